// Both eras of MCP on one pons-mcp process over stdio: raw 2026-07-28 requests (the pinned SDK
// speaks only 2025-11-25 and older), then the SDK client's initialize on the same stdin, as a
// dual-era client that probes with server/discover and still initializes does. Every modern
// message is checked against the 2026-07-28 JSON schema of the specification.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { rawSession, seed, seededInbox } from './lib.mjs';

// schema/2026-07-28/schema.json of modelcontextprotocol/modelcontextprotocol (commit b0f60ba).
const schema = JSON.parse(
  readFileSync(path.join(process.env.PONS_FIXTURES_DIR, 'mcp', 'schema-2026-07-28.json'), 'utf8'));
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema(schema, 'mcp');

/** Asserts that `message` is a valid `def` of the 2026-07-28 schema. */
function conforms(def, message) {
  const validate = ajv.getSchema(`mcp#/$defs/${def}`);
  assert.ok(validate, `no ${def} in the schema`);
  assert.ok(validate(message), `${def}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(message)}`);
}

const modernMeta = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'eras-e2e', version: '1.0.0' },
};
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** Sends a modern request with a string id ("raw-..."), resolves with its answer. */
function modern(s, id, method, params = {}) {
  s.send({ jsonrpc: '2.0', id: `raw-${id}`, method, params: { ...params, _meta: modernMeta } });
  return s.response(`raw-${id}`);
}

/** True for what belongs to the raw modern side: its answers and its stream's notifications. */
function isModern(m) {
  return (typeof m.id === 'string' && m.id.startsWith('raw-')) ||
    m.params?._meta?.[SUBSCRIPTION_ID] !== undefined ||
    (m.method === 'notifications/cancelled' && String(m.params?.requestId).startsWith('raw-'));
}

/** An SDK transport over a raw session's stdin/stdout that sees only the legacy side. */
class SharedStdioTransport {
  constructor(session) {
    this.session = session;
    session.tap((m) => { if (!isModern(m)) this.onmessage?.(m); });
  }
  async start() {}
  async send(message) { this.session.send(message); }
  async close() { this.onclose?.(); }
}

/** A new inbound message in conversation 1, written by another process as pons-webhook would. */
async function newMessage(inbox, id) {
  const sql = path.join(inbox.dir, `new-${id}.sql`);
  writeFileSync(sql, `
    INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, conversation_id, type,
      text, status, created_at, updated_at)
    VALUES (${id}, 'inbound', 'wamid.E${id}', '200000000000001', 1, 1, 'text', 'Message ${id}',
      'received', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
    UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+${id} seconds')
    WHERE id = 1;`);
  await seed(inbox.db, sql);
}

test('one process serves 2026-07-28 requests and, after server/discover, the SDK\'s initialize',
  async () => {
    const inbox = await seededInbox();
    const s = rawSession(['--db', inbox.db, '--read-only']);
    try {
      // The dual-era probe: a DiscoverResult means "modern".
      const discover = await modern(s, 'discover', 'server/discover');
      conforms('DiscoverResultResponse', discover);
      assert.equal(discover.result.resultType, 'complete');
      assert.deepEqual(discover.result.supportedVersions, ['2026-07-28']);
      assert.equal(discover.result._meta['io.modelcontextprotocol/serverInfo'].name, 'pons');
      assert.equal(discover.result.capabilities.resources.subscribe, true);
      assert.match(discover.result.instructions, /WhatsApp/);

      // Lists and reads: resultType, cache hints, the same tool order every time.
      const tools = await modern(s, 'tools-1', 'tools/list');
      conforms('ListToolsResultResponse', tools);
      assert.equal(tools.result.cacheScope, 'public');
      const again = await modern(s, 'tools-2', 'tools/list');
      assert.deepEqual(again.result.tools.map((t) => t.name), tools.result.tools.map((t) => t.name));
      assert.ok(tools.result.tools.some((t) => t.name === 'list_conversations'));
      conforms('ListResourcesResultResponse', await modern(s, 'resources', 'resources/list'));
      conforms('ListResourceTemplatesResultResponse',
        await modern(s, 'templates', 'resources/templates/list'));
      conforms('ListPromptsResultResponse', await modern(s, 'prompts', 'prompts/list'));
      const read = await modern(s, 'read', 'resources/read', { uri: 'pons://conversations/1' });
      conforms('ReadResourceResultResponse', read);
      assert.equal(read.result.cacheScope, 'private');
      const call = await modern(s, 'call', 'tools/call',
        { name: 'list_conversations', arguments: {} });
      conforms('CallToolResultResponse', call);
      assert.equal(call.result.resultType, 'complete');
      assert.ok(call.result.structuredContent);
      conforms('GetPromptResultResponse',
        await modern(s, 'prompt', 'prompts/get',
          { name: 'draft_reply', arguments: { contact: 'Bob Jones' } }));
      const completion = await modern(s, 'complete', 'completion/complete', {
        ref: { type: 'ref/prompt', name: 'draft_reply' }, argument: { name: 'contact', value: 'Al' } });
      conforms('CompleteResultResponse', completion);
      assert.deepEqual(completion.result.completion.values, ['Alice Smith']);

      // Errors of the new era.
      const missing = await modern(s, 'missing', 'resources/read', { uri: 'pons://conversations/999' });
      conforms('JSONRPCErrorResponse', missing);
      conforms('InvalidParamsError', missing.error);
      assert.equal(missing.error.code, -32602);
      const ping = await modern(s, 'ping', 'ping');
      conforms('JSONRPCErrorResponse', ping);
      conforms('MethodNotFoundError', ping.error);
      s.send({ jsonrpc: '2.0', id: 'raw-version', method: 'tools/list',
        params: { _meta: { ...modernMeta, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } });
      const unsupported = await s.response('raw-version');
      conforms('UnsupportedProtocolVersionError', unsupported);
      assert.deepEqual(unsupported.error.data, { supported: ['2026-07-28'], requested: '2099-01-01' });
      s.send({ jsonrpc: '2.0', id: 'raw-nometa', method: 'server/discover', params: {} });
      assert.equal((await s.response('raw-nometa')).error.code, -32602);

      // A subscription stream: acknowledged first, with what it agreed to.
      s.send({ jsonrpc: '2.0', id: 'raw-listen', method: 'subscriptions/listen', params: {
        _meta: modernMeta,
        notifications: {
          resourcesListChanged: true,
          resourceSubscriptions: ['pons://conversations/1', 'pons://inbox', 'pons://nowhere'],
        },
      } });
      const ack = await s.next((m) => m.method === 'notifications/subscriptions/acknowledged');
      conforms('SubscriptionsAcknowledgedNotification', ack);
      assert.equal(ack.params._meta[SUBSCRIPTION_ID], 'raw-listen');
      assert.deepEqual(ack.params.notifications, {
        resourcesListChanged: true,
        resourceSubscriptions: ['pons://conversations/1', 'pons://inbox'],
      });

      // Now the SDK (2025-11-25) initializes on the same process, and subscribes its own way.
      const client = new Client({ name: 'eras-sdk', version: '1.0.0' });
      await client.connect(new SharedStdioTransport(s));
      assert.equal(client.getServerVersion().name, 'pons');
      assert.ok(client.getServerCapabilities().logging);
      await client.ping();
      const legacyTools = await client.listTools();
      assert.deepEqual(legacyTools.tools.map((t) => t.name), tools.result.tools.map((t) => t.name));
      const legacyUpdates = [];
      client.setNotificationHandler(ResourceUpdatedNotificationSchema,
        (n) => legacyUpdates.push(n.params.uri));
      await client.subscribeResource({ uri: 'pons://inbox' });
      await assert.rejects(client.readResource({ uri: 'pons://conversations/999' }),
        (e) => e.code === -32002);  // the legacy era keeps its code

      // A stored message reaches both: the stream tagged with its id, the SDK untagged.
      await newMessage(inbox, 50);
      const conversationUpdate = await s.next((m) => m.method === 'notifications/resources/updated' &&
        m.params.uri === 'pons://conversations/1');
      conforms('ResourceUpdatedNotification', conversationUpdate);
      assert.equal(conversationUpdate.params._meta[SUBSCRIPTION_ID], 'raw-listen');
      const inboxUpdate = await s.next((m) => m.method === 'notifications/resources/updated' &&
        m.params.uri === 'pons://inbox' && m.params._meta);
      assert.equal(inboxUpdate.params._meta[SUBSCRIPTION_ID], 'raw-listen');
      await s.next((m) => m.method === 'notifications/resources/updated' &&
        m.params.uri === 'pons://inbox' && !m.params._meta);
      assert.ok(legacyUpdates.includes('pons://inbox'));
      assert.ok(!legacyUpdates.includes('pons://conversations/1'));  // the SDK did not ask

      // Modern requests still work after initialize; the client ends its stream.
      conforms('DiscoverResultResponse', await modern(s, 'discover-2', 'server/discover'));
      s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'raw-listen' } });
      // Lines are handled in order: once this is answered, the cancellation was.
      await modern(s, 'after-cancel', 'tools/list');
      assert.ok(!s.messages.some((m) => m.id === 'raw-listen'), 'a cancelled stream gets no answer');
      await client.close();
      s.child.stdin.end();
      assert.equal((await s.exited).code, 0);
    } finally {
      s.child.kill();
      inbox.cleanup();
    }
  });

test('SIGTERM ends an open subscriptions/listen with its closing result', async () => {
  const inbox = await seededInbox();
  const s = rawSession(['--db', inbox.db]);
  try {
    s.send({ jsonrpc: '2.0', id: 7, method: 'subscriptions/listen', params: {
      _meta: modernMeta, notifications: { toolsListChanged: true } } });
    const ack = await s.next((m) => m.method === 'notifications/subscriptions/acknowledged');
    assert.equal(ack.params._meta[SUBSCRIPTION_ID], 7);
    s.child.kill('SIGTERM');
    const cancelled = await s.next((m) => m.method === 'notifications/cancelled');
    assert.equal((await s.exited).code, 0);
    const closing = s.messages.find((m) => m.id === 7);
    conforms('SubscriptionsListenResultResponse', closing);
    assert.equal(closing.result._meta[SUBSCRIPTION_ID], 7);
    conforms('CancelledNotification', cancelled);
    assert.equal(cancelled.params.requestId, 7);
    assert.ok(s.messages.indexOf(closing) < s.messages.indexOf(cancelled));
  } finally {
    s.child.kill();
    inbox.cleanup();
  }
});
