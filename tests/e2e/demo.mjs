// The offline demo: the whole Pons loop without a Meta account. Starts the fake Graph API,
// pons-webhook and a local forwarding receiver on loopback, then drives pons-mcp with the official
// MCP SDK client the way an assistant would. Prints each step; exits 0 only when every step worked.
//
// Run through scripts/demo (which builds first). Binaries come from the environment:
// PONS_MCP_BIN, PONS_WEBHOOK_BIN, PONS_FAKE_GRAPH_BIN.
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const bins = {
  mcp: process.env.PONS_MCP_BIN,
  webhook: process.env.PONS_WEBHOOK_BIN,
  graph: process.env.PONS_FAKE_GRAPH_BIN,
};
for (const [name, bin] of Object.entries(bins)) {
  if (!bin || !existsSync(bin)) throw new Error(`demo: binary for ${name} not found (${bin})`);
}

const quiet = process.env.PONS_DEMO_QUIET === '1';
let stepNo = 0;
const step = (title) => { if (!quiet) console.log(`\n${++stepNo}. ${title}`); };
const say = (text) => { if (!quiet) console.log(`   ${text}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const work = mkdtempSync(path.join(tmpdir(), 'pons-demo-'));
const db = path.join(work, 'pons.db');
const secrets = {
  WA_ACCESS_TOKEN: `demo-token-${randomBytes(8).toString('hex')}`,
  WA_APP_SECRET: `demo-secret-${randomBytes(8).toString('hex')}`,
  WA_WEBHOOK_VERIFY_TOKEN: `demo-verify-${randomBytes(4).toString('hex')}`,
  WA_PHONE_NUMBER_ID: '106540352242922',
  WA_WABA_ID: '102290129340398',
};
const customer = { wa_id: '447700900123', name: 'Ada Lovelace' };
const children = [];

async function waitFor(what, probe, ms = 15000, every = 100) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

function start(bin, args, env) {
  const child = spawn(bin, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d) => { log += d.toString(); });
  children.push(child);
  return { child, log: () => log };
}

async function portFrom(file) {
  return waitFor(`port file ${path.basename(file)}`, () => {
    try { return Number(readFileSync(file, 'utf8').trim()) || null; } catch { return null; }
  });
}

async function postJson(url, body) {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

// A forwarding receiver like a user's CRM would run: verifies X-Pons-Signature itself.
function startReceiver() {
  const events = [];
  let secret = '';
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const ts = req.headers['x-pons-timestamp'];
      const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
      const valid = expected === req.headers['x-pons-signature'];
      events.push({ type: req.headers['x-pons-event-type'], valid, body: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    server, events, port: server.address().port, setSecret: (s) => { secret = s; },
  })));
}

function toolResult(result) {
  if (result.isError) {
    throw new Error(`tool failed: ${result.content?.map((c) => c.text).join(' ')}`);
  }
  return result.structuredContent;
}

async function main() {
  step('Start the fake Graph API, pons-webhook and a local forwarding receiver (all on loopback)');
  const graphPortFile = path.join(work, 'graph.port');
  const graph = start(bins.graph, ['--port', '0', '--port-file', graphPortFile,
    '--token', secrets.WA_ACCESS_TOKEN, '--app-secret', secrets.WA_APP_SECRET,
    '--waba-id', secrets.WA_WABA_ID], {});
  const graphUrl = `http://127.0.0.1:${await portFrom(graphPortFile)}`;
  const env = { ...secrets, WA_GRAPH_BASE_URL: graphUrl, PONS_DB: db };

  const receiver = await startReceiver();
  const added = JSON.parse(execFileSync(bins.webhook, ['targets', 'add', '--db', db,
    '--url', `http://127.0.0.1:${receiver.port}/pons-events`, '--json'],
  { env: { ...env, PONS_FORWARD_BACKOFF_SCALE: '0.01' } }).toString());
  receiver.setSecret(added.secret ?? added.signing_secret ?? added.target?.secret);
  say(`forwarding target #${added.id ?? added.target?.id} -> http://127.0.0.1:${receiver.port}/pons-events (signing secret shown once, kept by the receiver)`);

  const webhookPortFile = path.join(work, 'webhook.port');
  const webhook = start(bins.webhook, ['serve', '--port', '0', '--port-file', webhookPortFile,
    '--db', db], env);
  const webhookUrl = `http://127.0.0.1:${await portFrom(webhookPortFile)}`;
  await postJson(`${graphUrl}/_fake/config`, { webhook_url: `${webhookUrl}/webhook/meta` });
  say(`fake Graph API ${graphUrl}, pons-webhook ${webhookUrl}, database ${db}`);

  step('Connect pons-mcp with the official MCP SDK client and list its tools');
  const transport = new StdioClientTransport({
    command: bins.mcp, args: ['--db', db],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'pons-demo', version: '1.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  say(`${client.getServerVersion().name} ${client.getServerVersion().version}, ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);
  if (!tools.some((t) => t.name === 'send_text')) throw new Error('send_text is not offered');

  step(`${customer.name} (+${customer.wa_id}) writes to the business`);
  const waiting = client.callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 20 } });
  await sleep(300);
  const first = await postJson(`${graphUrl}/_fake/inbound`, {
    from: customer.wa_id, name: customer.name, text: 'Hi! Is my order #1042 ready?' });
  const got = toolResult(await waiting);
  if (got.timed_out || got.messages.length !== 1) throw new Error('wait_for_messages did not return the message');
  say(`wait_for_messages -> "${got.messages[0].text}" (wamid ${first.wamid.slice(0, 24)}...)`);

  step('The assistant replies with send_text, quoting the question');
  const sent = toolResult(await client.callTool({ name: 'send_text', arguments: {
    to: customer.name, text: 'Yes! Order #1042 ships today.', reply_to: first.wamid } }));
  say(`send_text -> status ${sent.status}, wamid ${sent.wamid.slice(0, 24)}...`);
  if (sent.status !== 'sent') throw new Error(`expected sent, got ${sent.status}`);

  step('Meta reports the delivery: sent -> delivered -> read');
  const seen = [];
  for (const status of ['sent', 'delivered', 'read']) {
    await postJson(`${graphUrl}/_fake/deliver-statuses`, { wamid: sent.wamid, statuses: [status] });
    const now = await waitFor(`status ${status}`, async () => {
      const page = toolResult(await client.callTool({ name: 'get_messages', arguments: {
        contact: customer.name, direction: 'outbound', limit: 5 } }));
      const m = page.messages.find((x) => x.wamid === sent.wamid);
      return m && m.status === status ? m.status : null;
    });
    seen.push(now);
    say(`get_messages shows the reply as: ${now}`);
  }

  step(`${customer.name} answers with a photo`);
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  const waitingPhoto = client.callTool({ name: 'wait_for_messages', arguments: {
    timeout_seconds: 20, after_id: got.after_id } });
  const photo = await postJson(`${graphUrl}/_fake/inbound`, {
    from: customer.wa_id, name: customer.name,
    image: { data_base64: png.toString('base64'), mime_type: 'image/png', caption: 'The box arrived dented' } });
  const photoMsg = toolResult(await waitingPhoto).messages[0];
  say(`wait_for_messages -> ${photoMsg.type} "${photoMsg.text}"`);

  step('The assistant looks at the photo with get_media (downloaded by pons-webhook, sha256 checked)');
  const media = await waitFor('the photo download', async () => {
    const r = await client.callTool({ name: 'get_media', arguments: { message_id: photoMsg.id } });
    return r.isError ? null : r;
  }, 20000, 250);
  const image = media.content.find((c) => c.type === 'image');
  if (!image) throw new Error('get_media returned no image content');
  const bytes = Buffer.from(image.data, 'base64');
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== photo.sha256) throw new Error('downloaded photo differs from what the customer sent');
  say(`image content ${image.mimeType}, ${bytes.length} bytes, sha256 ${sha.slice(0, 16)}... matches the customer's photo`);

  step('Forwarded events reach the receiver, each signed with the target secret');
  const wanted = ['message.inbound.received', 'message.outbound.sent', 'message.status.updated'];
  await waitFor('forwarded events', () => wanted.every((t) => receiver.events.some((e) => e.type === t)), 30000, 200);
  const counts = {};
  for (const e of receiver.events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  for (const [type, n] of Object.entries(counts)) say(`${type}: ${n}`);
  if (!receiver.events.every((e) => e.valid)) throw new Error('a forwarded event had a bad signature');
  say('every X-Pons-Signature verified');

  await client.close();
  receiver.server.close();
  void graph; void webhook;
  if (!quiet) console.log('\nDemo complete: every step worked.');
}

try {
  await main();
} catch (e) {
  console.error(`\ndemo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  await sleep(200);
  rmSync(work, { recursive: true, force: true });
}
