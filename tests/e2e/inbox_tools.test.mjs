// list_unanswered, update_conversation and get_usage end to end: signed webhooks into a real
// pons-webhook, the tools through the official SDK client on a real pons-mcp reading the same
// database; a reply sent through the fake Graph API, whose status webhooks carry Meta's pricing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { connect, postSigned, startFakeGraph, startWebhook, tempDir, textPayload, webhookAppSecret } from './lib.mjs';

let t;
let webhook;
let session;
let tools;
const ajv = new Ajv({ strict: false });
const customer = { wa_id: '447700900123', name: 'Dana Waits' };

before(async () => {
  t = tempDir();
  webhook = await startWebhook(t.dir);
  session = await connect(['--db', webhook.db]);
  tools = new Map((await session.client.listTools()).tools.map((x) => [x.name, x]));
});

after(async () => {
  await session?.client.close();
  webhook?.child.kill();
  t?.cleanup();
});

async function call(name, args = {}) {
  const result = await session.client.callTool({ name, arguments: args });
  assert.ok(!result.isError, `${name}: ${JSON.stringify(result.content)}`);
  const validate = ajv.compile(tools.get(name).outputSchema);
  assert.ok(validate(result.structuredContent), `${name} output matches its schema: ${JSON.stringify(validate.errors)}`);
  return result;
}

test('the inbox tools are listed with their schemas and annotations', () => {
  const waiting = tools.get('list_unanswered');
  assert.equal(waiting.annotations.readOnlyHint, true);
  const update = tools.get('update_conversation');
  assert.equal(update.annotations.readOnlyHint, false);
  assert.equal(update.annotations.destructiveHint, false);
  assert.equal(update.annotations.idempotentHint, true);
  assert.deepEqual(update.inputSchema.required, ['conversation_id']);
});

test('a customer who wrote waits in list_unanswered; archived, they leave it; writing again brings them back', async () => {
  assert.equal(await postSigned(webhook.port, textPayload('wamid.wait.1', 'Is my order ready?', { ...customer, secondsAgo: 600 })), 200);
  let out = (await call('list_unanswered')).structuredContent;
  assert.equal(out.conversations.length, 1);
  const dana = out.conversations[0];
  assert.equal(dana.contact.name, 'Dana Waits');
  assert.equal(dana.waiting_messages, 1);
  assert.equal(dana.window.open, true);
  assert.ok(dana.waiting_seconds >= 0);

  const state = (await call('update_conversation', {
    conversation_id: dana.id, archived: true, labels: ['orders'], note: 'Check the warehouse first',
  })).structuredContent;
  assert.equal(state.archived, true);
  assert.deepEqual(state.labels, ['orders']);
  assert.equal((await call('list_unanswered')).structuredContent.conversations.length, 0);
  assert.equal((await call('list_conversations')).structuredContent.conversations.length, 0);
  const archived = (await call('list_conversations', { include_archived: true, label: 'ORDERS' })).structuredContent;
  assert.deepEqual(archived.conversations.map((c) => c.id), [dana.id]);
  assert.equal(archived.conversations[0].note, 'Check the warehouse first');

  // The customer writes again: the conversation is back in the inbox, its labels and note kept.
  assert.equal(await postSigned(webhook.port, textPayload('wamid.wait.2', 'Hello?', customer)), 200);
  out = (await call('list_unanswered')).structuredContent;
  assert.deepEqual(out.conversations.map((c) => c.id), [dana.id]);
  assert.equal(out.conversations[0].waiting_messages, 2);
  assert.equal(out.conversations[0].archived, false);
  assert.deepEqual(out.conversations[0].labels, ['orders']);
  const text = (await call('list_unanswered')).content[0].text;
  assert.match(text, /Dana Waits \(\+447700900123\): waiting \d+ (s|min) since .* \(2 messages\)/);
});

test('a reply leaves list_unanswered, and get_usage counts it by the pricing its statuses carry', async () => {
  const fake = await startFakeGraph(t.dir, ['--app-secret', webhookAppSecret, '--waba-id', '419561257915477']);
  const sender = await connect(['--db', webhook.db], {
    WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token', WA_PHONE_NUMBER_ID: '106540352242922',
    WA_WABA_ID: '419561257915477',
  });
  try {
    // The fake answers each send with signed status webhooks (sent, delivered, read) to pons-webhook.
    await fetch(`${fake.base}/_fake/config`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ webhook_url: `http://127.0.0.1:${webhook.port}/webhook/meta`, auto_status_ms: 50 }) });
    const sent = await sender.client.callTool({ name: 'send_text', arguments: { to: '+447700900123', text: 'It ships today.' } });
    assert.equal(sent.isError, undefined, JSON.stringify(sent.content));
    assert.equal((await call('list_unanswered')).structuredContent.conversations.length, 0);

    // The delivered status (service, free inside the window) reaches the database as it would from Meta.
    let usage;
    for (let i = 0; i < 100; i++) {
      usage = (await call('get_usage')).structuredContent;
      if (usage.totals.priced === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(usage.totals, { sent: 1, priced: 1, billable: 0, by_category: { service: 1 }, billable_by_category: {} });
    assert.equal(usage.days.length, 1);
    assert.equal(usage.days[0].phone_number_id, '106540352242922');
    const text = (await call('get_usage')).content[0].text;
    assert.match(text, /1 messages sent, 1 with Meta's pricing, 0 billable; service 1 \(0 billable\)/);
    assert.match(text, /counts of messages in Meta's pricing categories, not amounts/);
  } finally {
    await sender.client.close();
    fake.child.kill();
  }
});

test('update_conversation explains what it cannot do', async () => {
  const none = await session.client.callTool({ name: 'update_conversation', arguments: { conversation_id: 424242, archived: true } });
  assert.equal(none.isError, true);
  assert.match(none.content[0].text, /no conversation #424242.*list_conversations or list_unanswered/);
});

test('a read-only pons-mcp offers list_unanswered but not update_conversation', async () => {
  const ro = await connect(['--db', webhook.db, '--read-only']);
  try {
    const names = (await ro.client.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('list_unanswered'));
    assert.ok(!names.includes('update_conversation'));
  } finally {
    await ro.client.close();
  }
});
