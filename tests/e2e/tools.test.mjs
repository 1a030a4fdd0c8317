// Every read tool, resource and prompt of pons-mcp through the official SDK client, on a seeded
// database; structured results are checked against each tool's outputSchema with ajv.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, seed, seededInbox } from './lib.mjs';

const readTools = ['list_conversations', 'get_messages', 'search_messages', 'get_contact',
  'search_contacts', 'get_window_status', 'list_accounts', 'list_templates', 'get_media',
  'wait_for_messages'];

let inbox;
let session;
let tools;
const ajv = new Ajv({ strict: false });

before(async () => {
  inbox = await seededInbox();
  session = await connect(['--db', inbox.db]);
  tools = new Map((await session.client.listTools()).tools.map((t) => [t.name, t]));
});

after(async () => {
  await session?.client.close();
  inbox?.cleanup();
});

/** Calls a tool and checks structuredContent against the tool's outputSchema. */
async function call(name, args = {}) {
  const result = await session.client.callTool({ name, arguments: args });
  const tool = tools.get(name);
  assert.ok(result.content.length > 0, `${name} returns a text rendering`);
  if (!result.isError) {
    assert.ok(result.structuredContent, `${name} returns structuredContent`);
    const validate = ajv.compile(tool.outputSchema);
    assert.ok(validate(result.structuredContent),
      `${name} output matches its schema: ${JSON.stringify(validate.errors)}`);
  }
  return result;
}

test('every read tool is listed with schemas and read-only annotations', () => {
  for (const name of readTools) {
    const tool = tools.get(name);
    assert.ok(tool, `${name} is listed`);
    assert.ok(tool.title && tool.description.length > 40);
    assert.equal(tool.inputSchema.type, 'object');
    assert.equal(tool.outputSchema.type, 'object');
    assert.equal(tool.annotations.readOnlyHint, true);
    assert.equal(tool.annotations.destructiveHint, false);
  }
});

test('list_conversations filters unread and unanswered and shows windows', async () => {
  const all = (await call('list_conversations')).structuredContent.conversations;
  assert.deepEqual(all.map((c) => c.id), [3, 1, 2]);
  const unread = (await call('list_conversations', { unread: true })).structuredContent;
  assert.deepEqual(unread.conversations.map((c) => c.id), [3, 1]);
  assert.equal(unread.conversations[1].window.open, true);
  const bob = all.find((c) => c.id === 2);
  assert.equal(bob.window.open, false);
  assert.equal(bob.unanswered, false);
  const page = (await call('list_conversations', { limit: 2 })).structuredContent;
  assert.equal(page.conversations.length, 2);
  const rest = (await call('list_conversations', { limit: 2, cursor: page.next_cursor })).structuredContent;
  assert.deepEqual(rest.conversations.map((c) => c.id), [2]);
});

test('get_messages pages forward with cursor, since/sinceId, and rejects a wamid', async () => {
  const latest = (await call('get_messages', { contact: 'Alice', limit: 2 })).structuredContent;
  assert.deepEqual(latest.messages.map((m) => m.id), [4, 5]);
  const none = (await call('get_messages', { cursor: latest.next_cursor, contact: 'Alice' })).structuredContent;
  assert.deepEqual(none.messages, []);
  assert.equal(none.has_more, false);
  const first = latest.messages[0];
  const after = (await call('get_messages', { since: first.created_at, sinceId: first.id })).structuredContent;
  assert.ok(after.messages.every((m) => m.id > first.id));
  assert.ok(after.messages.some((m) => m.id === 8));
  const inbound = (await call('get_messages', { direction: 'outbound', limit: 100 })).structuredContent;
  assert.ok(inbound.messages.length > 0 && inbound.messages.every((m) => m.direction === 'outbound'));
  await assert.rejects(call('get_messages', { since: 'wamid.A4' }), (e) => e.code === -32602 && /wamid/.test(e.message));
  await assert.rejects(call('get_messages', { limit: 101 }), (e) => e.code === -32602 && /limit/.test(e.message));
  const unknown = await call('get_messages', { contact: 'Alcie Smiht' });
  assert.equal(unknown.isError, true);
  assert.match(unknown.content[0].text, /Alice Smith/);
});

test('search_messages finds words with context', async () => {
  const r = (await call('search_messages', { query: 'invoice' })).structuredContent;
  assert.ok(r.count >= 2);
  assert.ok(r.hits.every((h) => /invoice/i.test(h.message.text + h.message.media?.caption)));
  assert.ok(r.hits[0].before.length > 0);
  const bob = (await call('search_messages', { query: 'invoice', contact: '447700900002' })).structuredContent;
  assert.equal(bob.count, 0);
});

test('contacts: get, search, close matches and windows', async () => {
  const alice = (await call('get_contact', { contact: '+44 7700 900001' })).structuredContent;
  assert.equal(alice.contact.name, 'Alice Smith');
  assert.equal(alice.message_count, 5);
  const carol = (await call('get_contact', { contact: '@carol' })).structuredContent;
  assert.equal(carol.contact.user_id, 'US.13491208655302741918');
  const typo = await call('get_contact', { contact: 'Bobb Jnes' });
  assert.equal(typo.isError, true);
  assert.match(typo.content[0].text, /Bob Jones/);
  const found = (await call('search_contacts', { query: '9000' })).structuredContent;
  assert.equal(found.contacts.length, 2);
  const bob = (await call('get_window_status', { contact: 'Bob Jones' })).structuredContent;
  assert.equal(bob.open, false);
  const al = (await call('get_window_status', { contact: 'Alice Smith' })).structuredContent;
  assert.equal(al.open, true);
  assert.ok(al.windows[0].window.seconds_left > 22 * 3600);
});

test('accounts and templates', async () => {
  const a = (await call('list_accounts')).structuredContent;
  assert.equal(a.default_sender, '200000000000001');
  assert.equal(a.accounts[0].phone_numbers.length, 2);
  const t = (await call('list_templates')).structuredContent.templates;
  assert.deepEqual(t.map((x) => x.name), ['order_update', 'welcome']);
  assert.equal(t[0].parameter_format, 'POSITIONAL');
  assert.deepEqual(t[1].variables.map((v) => v.name), ['first_name', 'shop']);
  const all = (await call('list_templates', { status: 'all' })).structuredContent.templates;
  assert.equal(all.length, 3);
});

test('get_media returns images as image content and other files as links', async () => {
  const image = await call('get_media', { message_id: 8 });
  const img = image.content.find((c) => c.type === 'image');
  assert.equal(img.mimeType, 'image/png');
  assert.equal(img.data, inbox.png.toString('base64'));
  const doc = await call('get_media', { message_id: 3 });
  const link = doc.content.find((c) => c.type === 'resource_link');
  assert.equal(link.mimeType, 'application/pdf');
  assert.ok(link.uri.endsWith('invoice-1042.pdf'));
  assert.equal(doc.structuredContent.size, 21);
  const missing = await call('get_media', { message_id: 1 });
  assert.equal(missing.isError, true);
});

test('resources, subscriptions and wait_for_messages see a newly stored message', async () => {
  const { resources } = await session.client.listResources();
  assert.ok(resources.some((r) => r.uri === 'pons://inbox'));
  assert.ok(resources.some((r) => r.uri === 'pons://conversations/1'));
  const { resourceTemplates } = await session.client.listResourceTemplates();
  assert.equal(resourceTemplates[0].uriTemplate, 'pons://conversations/{id}');
  const read = await session.client.readResource({ uri: 'pons://conversations/1' });
  assert.equal(JSON.parse(read.contents[0].text).messages.length, 5);
  await assert.rejects(session.client.readResource({ uri: 'pons://conversations/999' }),
    (e) => e.code === -32002);

  const updates = [];
  session.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
  await session.client.subscribeResource({ uri: 'pons://conversations/1' });
  await session.client.subscribeResource({ uri: 'pons://inbox' });

  const waiting = call('wait_for_messages', { timeout_seconds: 20, contact: 'Alice Smith' });
  await new Promise((r) => setTimeout(r, 500));
  const sql = path.join(inbox.dir, 'new.sql');
  writeFileSync(sql, `
    INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, conversation_id, type,
      text, status, created_at, updated_at)
    VALUES (9, 'inbound', 'wamid.A9', '200000000000001', 1, 1, 'text', 'Any news about the invoice?',
      'received', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    UPDATE conversations SET unread_count = 3, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second')
    WHERE id = 1;`);
  await seed(inbox.db, sql);
  const result = (await waiting).structuredContent;
  assert.equal(result.timed_out, false);
  assert.deepEqual(result.messages.map((m) => m.id), [9]);
  for (let i = 0; i < 40 && updates.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(updates.includes('pons://conversations/1'), `updates: ${updates}`);
  assert.ok(updates.includes('pons://inbox'));
});

test('prompts render with live data and complete their arguments', async () => {
  const { prompts } = await session.client.listPrompts();
  assert.deepEqual(prompts.map((p) => p.name).sort(), ['draft_reply', 'triage_unread']);
  const triage = await session.client.getPrompt({ name: 'triage_unread' });
  assert.match(triage.messages[0].content.text, /Alice Smith/);
  const draft = await session.client.getPrompt({ name: 'draft_reply', arguments: { contact: 'Bob Jones' } });
  assert.match(draft.messages[0].content.text, /parcel/);
  const completion = await session.client.complete({
    ref: { type: 'ref/prompt', name: 'draft_reply' },
    argument: { name: 'contact', value: 'Al' },
  });
  assert.deepEqual(completion.completion.values, ['Alice Smith']);
  const ids = await session.client.complete({
    ref: { type: 'ref/resource', uri: 'pons://conversations/{id}' },
    argument: { name: 'id', value: '' },
  });
  assert.ok(ids.completion.values.includes('1'));
});
