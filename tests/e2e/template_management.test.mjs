// create_template and delete_template end to end: the real pons-mcp (official SDK client) and a
// real pons-webhook on one database, against the fake Graph API. A template that breaks Meta's
// rules is refused with words and never reaches the fake; a valid one is created PENDING and
// listed at once; Meta's refusals (duplicate, too many variables, a name being deleted) come back
// in Meta's words; the fake's review sends Meta's signed message_template_status_update webhook,
// which makes the stored template APPROVED; delete removes it by name or by one language.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { connect, startFakeGraph, startWebhook, tempDir, webhookAppSecret } from './lib.mjs';

const waba = '419561257915477';  // the account startWebhook configures
const number = '106540352242922';
const ajv = new Ajv({ strict: false });
let t;
let fake;
let webhook;
let session;
let tools;

// Meta's own example of a valid MARKETING template.
const seasonalPromotion = {
  name: 'seasonal_promotion', language: 'en_US', category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Our {{1}} is on!', example: { header_text: ['Summer Sale'] } },
    { type: 'BODY', text: 'Shop now through {{1}} and use code {{2}} to get {{3}} off of all merchandise.',
      example: { body_text: [['the end of August', '25OFF', '25%']] } },
    { type: 'FOOTER', text: 'Use the buttons below to manage your marketing subscriptions' },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Unsubscribe from Promos' },
      { type: 'QUICK_REPLY', text: 'Unsubscribe from All' }] },
  ],
};

async function fakeJson(method, path, body) {
  const res = await fetch(`${fake.base}${path}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

async function apiRequests() {
  return (await fakeJson('GET', '/_fake/requests')).requests;
}

async function call(name, args) {
  const result = await session.client.callTool({ name, arguments: args });
  if (result.structuredContent) {
    const validate = ajv.compile(tools.get(name).outputSchema);
    assert.ok(validate(result.structuredContent), JSON.stringify(validate.errors));
  }
  return result;
}

async function listed(status) {
  const r = await call('list_templates', { status });
  return r.structuredContent.templates;
}

before(async () => {
  t = tempDir();
  fake = await startFakeGraph(t.dir, ['--app-secret', webhookAppSecret, '--waba-id', waba]);
  webhook = await startWebhook(t.dir, ['--no-template-sync']);
  await fakeJson('POST', '/_fake/config', { webhook_url: `http://127.0.0.1:${webhook.port}/webhook/meta` });
  session = await connect(['--db', webhook.db], {
    WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token', WA_PHONE_NUMBER_ID: number, WA_WABA_ID: waba,
  });
  tools = new Map((await session.client.listTools()).tools.map((x) => [x.name, x]));
});

after(async () => {
  await session?.client.close();
  webhook?.child.kill();
  fake?.child.kill();
  t?.cleanup();
});

test('both tools are listed with their hints and neither is offered read-only', async () => {
  const create = tools.get('create_template');
  const remove = tools.get('delete_template');
  assert.ok(create && remove);
  assert.equal(create.annotations.readOnlyHint, false);
  assert.equal(create.annotations.destructiveHint, false);
  assert.equal(create.annotations.openWorldHint, true);
  assert.equal(remove.annotations.destructiveHint, true);
  assert.equal(remove.annotations.idempotentHint, true);
  const ro = await connect(['--db', webhook.db, '--read-only']);
  try {
    const names = (await ro.client.listTools()).tools.map((x) => x.name);
    assert.ok(!names.includes('create_template') && !names.includes('delete_template'));
  } finally {
    await ro.client.close();
  }
});

test('a template that breaks Meta\'s rules is refused with every reason and nothing reaches Meta', async () => {
  await fakeJson('DELETE', '/_fake/requests');
  const r = await call('create_template', {
    name: 'Summer Sale', language: 'en_US', category: 'MARKETING',
    components: [
      { type: 'BODY', text: '{{1}}, shop now through {{3}}' },
      { type: 'FOOTER', text: 'Reply {{1}} to stop' },
    ],
  });
  assert.equal(r.isError, true);
  assert.equal(r.structuredContent.created, false);
  const rules = r.structuredContent.violations.map((v) => `${v.component}:${v.rule}`);
  for (const expected of ['name:invalid_name', 'BODY:variable_format', 'BODY:variable_at_edge',
    'BODY:missing_example', 'FOOTER:footer_format']) {
    assert.ok(rules.includes(expected), `${expected} in ${rules.join(', ')}`);
  }
  const text = r.content[0].text;
  assert.match(text, /^Not sent to Meta/);
  assert.match(text, /name: required, and only lowercase letters/);
  assert.match(text, /BODY: the text starts or ends with a variable/);
  assert.match(text, /FOOTER: the footer may not have variables/);
  assert.deepEqual(await apiRequests(), []);
});

test('a valid template is created at Meta and listed PENDING at once', async () => {
  await fakeJson('DELETE', '/_fake/requests');
  const r = await call('create_template', seasonalPromotion);
  assert.equal(r.isError, undefined, JSON.stringify(r.content));
  assert.equal(r.structuredContent.created, true);
  assert.equal(r.structuredContent.status, 'PENDING');
  assert.equal(r.structuredContent.category, 'MARKETING');
  assert.match(r.structuredContent.id, /^\d+$/);
  assert.match(r.content[0].text, /Meta reviews new templates/);
  const [request] = await apiRequests();
  assert.equal(request.method, 'POST');
  assert.equal(request.path, `/v26.0/${waba}/message_templates`);
  assert.deepEqual(request.json, seasonalPromotion);

  const pending = await listed('PENDING');
  const row = pending.find((x) => x.name === 'seasonal_promotion');
  assert.ok(row, JSON.stringify(pending));
  assert.equal(row.language, 'en_US');
  assert.equal(row.parameter_format, 'POSITIONAL');
  assert.match(row.body, /^Shop now through \{\{1\}\}/);
  assert.ok(!(await listed('APPROVED')).some((x) => x.name === 'seasonal_promotion'));
});

test('Meta\'s refusals come back in Meta\'s words', async () => {
  const duplicate = await call('create_template', seasonalPromotion);
  assert.equal(duplicate.isError, true);
  assert.equal(duplicate.structuredContent.error_code, 100);
  assert.equal(duplicate.structuredContent.error_subcode, 2388024);
  assert.match(duplicate.content[0].text, /Content in This Language Already Exists/);
  assert.match(duplicate.content[0].text, /There is already English content for this template/);

  // Within Meta's documented rules, but more variables than the fake lets its words carry.
  const crowded = await call('create_template', {
    name: 'crowded', language: 'en_US', category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Hi {{1}} {{2}} {{3}} ok now', example: { body_text: [['a', 'b', 'c']] } }],
  });
  assert.equal(crowded.isError, true);
  assert.equal(crowded.structuredContent.error_subcode, 2388293);
  assert.match(crowded.content[0].text, /Parameters words ratio exceeds limit/);
  assert.match(crowded.content[0].text, /too many variables for its length/);
  assert.ok(!(await listed('all')).some((x) => x.name === 'crowded'));
});

test('Meta\'s review webhook makes the stored template APPROVED', async () => {
  const review = await fakeJson('POST', '/_fake/template-review',
    { name: 'seasonal_promotion', language: 'en_US', status: 'APPROVED' });
  assert.deepEqual(review.webhook_statuses, [200]);
  const approved = (await listed('APPROVED')).find((x) => x.name === 'seasonal_promotion');
  assert.ok(approved);
  assert.equal(approved.status, 'APPROVED');
});

test('one language is deleted by its stored id and the others stay', async () => {
  const body = { category: 'UTILITY', components: [{ type: 'BODY', text: 'Your order {{1}} has shipped today.', example: { body_text: [['1042']] } }] };
  const english = await call('create_template', { name: 'order_shipped', language: 'en_US', ...body });
  const spanish = await call('create_template', { name: 'order_shipped', language: 'es_ES', ...body });
  assert.equal(english.structuredContent.created, true);
  assert.equal(spanish.structuredContent.created, true);
  await fakeJson('DELETE', '/_fake/requests');
  const r = await call('delete_template', { name: 'order_shipped', language: 'es_ES' });
  assert.equal(r.isError, undefined, JSON.stringify(r.content));
  assert.equal(r.structuredContent.deleted, true);
  assert.equal(r.structuredContent.removed_here, 1);
  const [request] = await apiRequests();
  assert.equal(request.method, 'DELETE');
  assert.equal(request.query, `name=order_shipped&hsm_id=${spanish.structuredContent.id}`);
  const left = (await listed('all')).filter((x) => x.name === 'order_shipped').map((x) => x.language);
  assert.deepEqual(left, ['en_US']);

  // A language not stored here is refused before Meta is asked: by name alone Meta would delete
  // every language.
  await fakeJson('DELETE', '/_fake/requests');
  const unknown = await call('delete_template', { name: 'order_shipped', language: 'de' });
  assert.equal(unknown.isError, true);
  assert.match(unknown.content[0].text, /leave language out to delete every language/);
  assert.deepEqual(await apiRequests(), []);
});

test('delete removes every language and the name cannot be created again', async () => {
  const r = await call('delete_template', { name: 'seasonal_promotion' });
  assert.equal(r.isError, undefined, JSON.stringify(r.content));
  assert.equal(r.structuredContent.deleted, true);
  assert.equal(r.structuredContent.removed_here, 1);
  assert.match(r.content[0].text, /30 days/);
  assert.ok(!(await listed('all')).some((x) => x.name === 'seasonal_promotion'));
  const fakeList = (await fakeJson('GET', '/_fake/templates')).data;
  assert.ok(!fakeList.some((x) => x.name === 'seasonal_promotion'));

  const again = await call('create_template', seasonalPromotion);
  assert.equal(again.isError, true);
  assert.equal(again.structuredContent.error_subcode, 2388023);
  assert.match(again.content[0].text, /Message template language is being deleted/);
  assert.match(again.content[0].text, /create the template under a new name/);

  const gone = await call('delete_template', { name: 'seasonal_promotion' });
  assert.equal(gone.isError, true);
  assert.equal(gone.structuredContent.deleted, false);
  assert.match(gone.content[0].text, /Message template not found/);
});
