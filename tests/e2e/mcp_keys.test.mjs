// /mcp with API keys on the real pons-webhook (--mcp), driven by the official SDK's
// StreamableHTTPClientTransport with the key in requestInit headers: the 401 challenge and the
// metadata document, revocation, a read-only key, two accounts that never see each other, a send
// through the fake Graph API, and the rate per key. Keys are made with `pons-webhook keys create`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startFakeGraph, tempDir } from './lib.mjs';

const run = promisify(execFile);
const webhookBin = process.env.PONS_WEBHOOK_BIN;

// Two accounts of separate Meta apps, each with one number and one customer who wrote to it.
const shopA = { waba: '111', number: '1001', secret: 'secret-a', token: 'token-a',
  customer: '447700900001', name: 'Ada', text: 'Do you have the blue one?' };
const shopB = { waba: '222', number: '2002', secret: 'secret-b', token: 'token-b',
  customer: '447700900002', name: 'Bob', text: 'Is the green one in stock?' };

async function startWebhook(dir, fakeBase, extra = []) {
  const cfg = path.join(dir, `accounts-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(cfg, JSON.stringify({ accounts: [shopA, shopB].map((s) => ({
    waba_id: s.waba, app_secret: s.secret, verify_token: 'verify', access_token: s.token,
    phone_numbers: [s.number] })) }), { mode: 0o600 });
  const db = path.join(dir, 'pons.db');
  const portFile = path.join(dir, `port-${Math.random().toString(36).slice(2)}`);
  const child = spawn(webhookBin,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile, '--db', db,
      '--config', cfg, '--mcp', '--no-template-sync', '--no-media', ...extra], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, WA_GRAPH_BASE_URL: fakeBase },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  let log = '';
  child.stderr.on('data', (d) => { log += d.toString(); });
  for (let i = 0; i < 100; i++) {
    if (existsSync(portFile)) {
      const port = Number(readFileSync(portFile, 'utf8').trim());
      if (port > 0) return { child, port, db, url: `http://127.0.0.1:${port}/mcp`, log: () => log };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`pons-webhook did not start: ${log}`);
}

// The customer of `shop` writes to its number, signed with its app secret, as Meta would.
async function customerWrites(port, shop, wamid) {
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: shop.waba, changes: [{
    field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: `1555000${shop.number}`, phone_number_id: shop.number },
      contacts: [{ profile: { name: shop.name }, wa_id: shop.customer }],
      messages: [{ from: shop.customer, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)),
        type: 'text', text: { body: shop.text } }] } }] }] });
  const signature = 'sha256=' + createHmac('sha256', shop.secret).update(body).digest('hex');
  const res = await fetch(`http://127.0.0.1:${port}/webhook/meta`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature },
  });
  assert.equal(res.status, 200, `webhook for ${shop.waba}`);
}

async function keys(dir, db, ...args) {
  const { stdout } = await run(webhookBin, ['keys', ...args, '--db', db, '--json'],
    { env: { PATH: process.env.PATH ?? '', HOME: dir } });
  return JSON.parse(stdout);
}

async function keyClient(url, secret) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${secret}` } },
  });
  const client = new Client({ name: 'pons-e2e-keys', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

// What a rejected SDK call carries: the HTTP status (StreamableHTTPError.code) and the message.
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    return { code: e.code, message: String(e.message) };
  }
  assert.fail('the call was expected to be refused');
}

function rawPost(url, headers, body = { jsonrpc: '2.0', id: 1, method: 'ping' }) {
  return fetch(url, { method: 'POST', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers } });
}

let t;
let fake;
let webhook;
const clients = [];
const secrets = {};

before(async () => {
  t = tempDir();
  fake = await startFakeGraph(t.dir);
  await fetch(`${fake.base}/_fake/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ numbers: { [shopA.number]: shopA.token, [shopB.number]: shopB.token } }) });
  webhook = await startWebhook(t.dir, fake.base);
  await customerWrites(webhook.port, shopA, 'wamid.KEYS.A1');
  await customerWrites(webhook.port, shopB, 'wamid.KEYS.B1');
  const make = async (name, ...args) => {
    const made = await keys(t.dir, webhook.db, 'create', '--name', name, ...args);
    secrets[name] = made.secret;
    return made;
  };
  await make('reader-a', '--scopes', 'read', '--account', shopA.waba);
  await make('sender-a', '--scopes', 'read,send', '--account', shopA.waba);
  await make('reader-b', '--scopes', 'read', '--account', shopB.waba);
  await make('reader-all', '--scopes', 'read');
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  webhook?.child.kill('SIGTERM');
  fake?.child.kill('SIGTERM');
  t?.cleanup();
});

async function client(name) {
  const c = await keyClient(webhook.url, secrets[name]);
  clients.push(c);
  return c;
}

test('without a key /mcp answers 401 naming the metadata, which is served without a key', async () => {
  const metadataUrl = `http://127.0.0.1:${webhook.port}/.well-known/oauth-protected-resource/mcp`;
  const bare = await rawPost(webhook.url, {});
  assert.equal(bare.status, 401);
  assert.equal(bare.headers.get('www-authenticate'),
    `Bearer resource_metadata="${metadataUrl}", scope="read"`);
  const basic = await rawPost(webhook.url, { Authorization: 'Basic dXNlcjpwYXNz' });
  assert.equal(basic.status, 401);

  // The SDK client without a key cannot even initialize.
  const anonymous = new Client({ name: 'pons-e2e-anonymous', version: '1.0.0' });
  const refused = await refusal(anonymous.connect(new StreamableHTTPClientTransport(new URL(webhook.url))));
  assert.equal(refused.code, 401);
  assert.match(refused.message, /needs an API key/);

  // A well-formed key that was never made: invalid_token, said the same way as a wrong secret.
  const forged = await rawPost(webhook.url,
    { Authorization: `Bearer ${secrets['reader-a'].slice(0, -4)}AAAA` });
  assert.equal(forged.status, 401);
  assert.match(forged.headers.get('www-authenticate'), /^Bearer error="invalid_token", error_description="no API key matches/);
  assert.match(forged.headers.get('www-authenticate'), new RegExp(`resource_metadata="${metadataUrl}"`));

  for (const url of [metadataUrl, `http://127.0.0.1:${webhook.port}/.well-known/oauth-protected-resource`]) {
    const res = await fetch(url);
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const doc = await res.json();
    assert.equal(doc.resource, webhook.url);
    assert.deepEqual(doc.scopes_supported, ['read', 'send']);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
  }
});

test('a revoked key is refused with 401 at its next request', async () => {
  const made = await keys(t.dir, webhook.db, 'create', '--name', 'soon-revoked', '--scopes', 'read');
  const c = await keyClient(webhook.url, made.secret);
  clients.push(c);
  assert.ok((await c.listTools()).tools.length > 0);
  const revoked = await keys(t.dir, webhook.db, 'revoke', String(made.key.id));
  assert.equal(revoked.state, 'revoked');

  const refused = await refusal(c.listTools());
  assert.equal(refused.code, 401);
  assert.match(refused.message, /revoked/);
  const raw = await rawPost(webhook.url, { Authorization: `Bearer ${made.secret}` });
  assert.equal(raw.status, 401);
  assert.match(raw.headers.get('www-authenticate'), /^Bearer error="invalid_token", error_description="this API key was revoked/);
});

test('a key revoked while its GET stream is open: the stream ends, the next request is 401',
  { timeout: 60_000 }, async () => {
    const made = await keys(t.dir, webhook.db, 'create', '--name', 'revoked-mid-stream', '--scopes', 'read');
    const auth = { Authorization: `Bearer ${made.secret}` };
    const init = await rawPost(webhook.url, auth, { jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e', version: '1' } } });
    assert.equal(init.status, 200);
    await init.text();
    const session = { ...auth, 'Mcp-Session-Id': init.headers.get('mcp-session-id'),
      'MCP-Protocol-Version': '2025-11-25' };
    const ready = await rawPost(webhook.url, session, { jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(ready.status, 202);

    const stream = await fetch(webhook.url, { headers: { ...session, Accept: 'text/event-stream' } });
    assert.equal(stream.status, 200);
    const reader = stream.body.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (!seen.includes('id: 1-0')) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream starts with its priming event');
      seen += decoder.decode(value);
    }

    const revoked = await keys(t.dir, webhook.db, 'revoke', String(made.key.id));
    assert.equal(revoked.state, 'revoked');
    // The stream ends on its own (the test's timeout only guards against a hang).
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    const next = await rawPost(webhook.url, session);
    assert.equal(next.status, 401);
    assert.match(next.headers.get('www-authenticate'), /revoked/);
    assert.match(webhook.log(), new RegExp(`reason=key_revoked principal=key:${made.key.id} `));
  });

test('a read-only key lists no send tool, and calling one is refused naming the scope', async () => {
  const reader = await client('reader-a');
  const sender = await client('sender-a');
  const readable = (await reader.listTools()).tools.map((x) => x.name);
  const sendable = (await sender.listTools()).tools.map((x) => x.name);
  for (const name of ['list_conversations', 'get_messages', 'search_messages']) {
    assert.ok(readable.includes(name), `${name} is listed for the read key`);
  }
  for (const name of ['send_text', 'send_template', 'mark_read', 'sync_templates']) {
    assert.ok(!readable.includes(name), `${name} is hidden from the read key`);
    assert.ok(sendable.includes(name), `${name} is listed for the send key`);
  }

  const requestsBefore = (await (await fetch(`${fake.base}/_fake/requests`)).json()).requests.length;
  const refused = await refusal(reader.callTool({ name: 'send_text', arguments: { to: shopA.name, text: 'Hi' } }));
  assert.equal(refused.code, 403);
  assert.match(refused.message, /send_text needs an API key with the send scope/);
  assert.match(refused.message, /keys create .*--scopes read,send/);
  const requestsAfter = (await (await fetch(`${fake.base}/_fake/requests`)).json()).requests.length;
  assert.equal(requestsAfter, requestsBefore, 'nothing reached the Graph API');

  const raw = await rawPost(webhook.url, { Authorization: `Bearer ${secrets['reader-a']}` },
    { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'send_text', arguments: {},
      _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} } } });
  assert.equal(raw.status, 403);
  assert.match(raw.headers.get('www-authenticate'), /^Bearer error="insufficient_scope", scope="read send"/);
  assert.equal((await raw.json()).id, 7);
});

test('a key for account A never sees account B\'s conversations or messages', async () => {
  const texts = async (c) => (await c.callTool({ name: 'get_messages', arguments: {} }))
    .structuredContent.messages.map((m) => m.text);
  const a = await client('reader-a');
  const b = await client('reader-b');
  const all = await client('reader-all');
  assert.deepEqual(await texts(a), [shopA.text]);
  assert.deepEqual(await texts(b), [shopB.text]);
  assert.deepEqual((await texts(all)).sort(), [shopA.text, shopB.text].sort());

  const conversations = await a.callTool({ name: 'list_conversations', arguments: {} });
  assert.doesNotMatch(JSON.stringify(conversations.structuredContent), new RegExp(`${shopB.name}|${shopB.customer}`));
  assert.match(JSON.stringify(conversations.structuredContent), new RegExp(shopA.name));
  const search = await a.callTool({ name: 'search_messages', arguments: { query: 'green' } });
  assert.doesNotMatch(JSON.stringify(search), /green one in stock/);
  const searchAll = await all.callTool({ name: 'search_messages', arguments: { query: 'green' } });
  assert.match(JSON.stringify(searchAll), /green one in stock/);

  // B's conversation, named by its id, is as absent for A as one that does not exist.
  const bConversation = (await b.callTool({ name: 'get_messages', arguments: {} }))
    .structuredContent.messages[0].conversation_id;
  await assert.rejects(a.readResource({ uri: `pons://conversations/${bConversation}` }));
  const read = await b.readResource({ uri: `pons://conversations/${bConversation}` });
  assert.match(JSON.stringify(read), /green one in stock/);

  // Nor does A hear of B's activity: subscribed to B's conversation and the inbox, A is told
  // nothing when B's customer writes again, while B is.
  const heard = { a: [], b: [] };
  a.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => heard.a.push(n.params.uri));
  b.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => heard.b.push(n.params.uri));
  for (const uri of [`pons://conversations/${bConversation}`, 'pons://inbox']) {
    await a.subscribeResource({ uri });
    await b.subscribeResource({ uri });
  }
  await customerWrites(webhook.port, shopB, 'wamid.KEYS.B2');
  for (let i = 0; i < 50 && heard.b.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(heard.b.sort(), [`pons://conversations/${bConversation}`, 'pons://inbox'].sort());
  await new Promise((r) => setTimeout(r, 500));  // two more polls of the watcher
  assert.deepEqual(heard.a, []);
});

test('a key with send sends a text through the Graph API, from its own account only', async () => {
  const sender = await client('sender-a');
  const sent = await sender.callTool({ name: 'send_text', arguments: { to: shopA.name, text: 'Yes, in blue.' } });
  assert.equal(sent.isError, undefined, JSON.stringify(sent));
  assert.equal(sent.structuredContent.state, 'sent');
  const { requests } = await (await fetch(`${fake.base}/_fake/requests`)).json();
  const post = requests.find((r) => r.json?.type === 'text' && r.json?.text?.body === 'Yes, in blue.');
  assert.ok(post, JSON.stringify(requests));
  assert.equal(post.path, `/v26.0/${shopA.number}/messages`);
  assert.equal(post.auth, 'ok');
  assert.equal(post.json.to, shopA.customer);

  const fromB = await sender.callTool({ name: 'send_text', arguments: { to: shopB.customer, from: shopB.number, text: 'Hello' } });
  assert.equal(fromB.isError, true);
  const again = (await (await fetch(`${fake.base}/_fake/requests`)).json()).requests;
  assert.ok(!again.some((r) => r.path === `/v26.0/${shopB.number}/messages`), 'nothing was sent from B');

  // Sessions are logged with the key's id; the keys themselves appear nowhere in the log.
  assert.match(webhook.log(), /event=mcp_session_opened .*principal=key:\d+/);
  for (const secret of Object.values(secrets)) assert.ok(!webhook.log().includes(secret));
  assert.doesNotMatch(webhook.log(), /pons_[A-Za-z0-9]{12}_/);
});

test('a key beyond its rate is answered 429 with Retry-After', async () => {
  const dir = path.join(t.dir, 'limited');
  mkdirSync(dir);
  const limited = await startWebhook(dir, fake.base, ['--mcp-key-burst', '3', '--mcp-key-rate', '0.01']);
  try {
    const made = await keys(dir, limited.db, 'create', '--name', 'busy', '--scopes', 'read');
    const other = await keys(dir, limited.db, 'create', '--name', 'quiet', '--scopes', 'read');
    const auth = { Authorization: `Bearer ${made.secret}` };
    for (let i = 0; i < 3; i++) assert.equal((await rawPost(limited.url, auth)).status, 400, `call ${i + 1}`);
    const over = await rawPost(limited.url, auth);
    assert.equal(over.status, 429);
    const retryAfter = Number(over.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${over.headers.get('retry-after')}`);
    assert.match((await over.json()).error.message, /rate/);
    // Another key has a bucket of its own.
    assert.equal((await rawPost(limited.url, { Authorization: `Bearer ${other.secret}` })).status, 400);
  } finally {
    limited.child.kill('SIGTERM');
  }
});
