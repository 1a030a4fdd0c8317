// Shared helpers for the end-to-end tests: where the binary is, temporary databases, an SDK
// client over stdio, a raw line-level session for protocol edge cases, and the servers the tests
// start on loopback (pons-webhook, the fake Graph API) with signed Meta payloads for the first and
// dashboard users made by its `users add`.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const binary = process.env.PONS_MCP_BIN;
if (!binary) throw new Error('PONS_MCP_BIN must name the pons-mcp binary');

/** A fresh temporary directory, removed by the returned cleanup function. */
export function tempDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'pons-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Where a test's database lives: dir/pons.db, or, when the test runs against PostgreSQL (ctest
 * pg:e2e sets PONS_TEST_POSTGRESQL to a throwaway cluster's URL), a schema of its own on that
 * server, named after the folder, in a URL that makes it the connection's search path.
 */
export async function databaseIn(dir) {
  const server = process.env.PONS_TEST_POSTGRESQL;
  if (!server) return path.join(dir, 'pons.db');
  const schema = `e2e_${path.basename(dir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } finally {
    await admin.end();
  }
  return `${server}${server.includes('?') ? '&' : '?'}options=-csearch_path%3D${schema}`;
}

/** An SDK client connected to a spawned pons-mcp. */
export async function connect(args = [], env = {}) {
  const transport = new StdioClientTransport({
    command: binary,
    args,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d.toString(); });
  const client = new Client({ name: 'pons-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

/** A raw session: send lines, wait for parsed messages, watch the exit. */
export function rawSession(args = [], env = {}) {
  const child = spawn(binary, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages = [];
  const stdoutLines = [];
  const waiters = [];
  const taps = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d.toString(); });
  child.stdout.on('data', (d) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      stdoutLines.push(line);
      const message = JSON.parse(line);  // anything that is not JSON on stdout fails the test
      messages.push(message);
      for (const t of taps) t(message);
      for (const w of [...waiters]) w();
    }
  });
  // 'close', not 'exit': it comes once stderr is read to the end, so a test sees all of it.
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    child,
    messages,
    stdoutLines,
    exited,
    stderr: () => stderr,
    send(message) {
      child.stdin.write((typeof message === 'string' ? message : JSON.stringify(message)) + '\n');
    },
    /** Calls `fn` with every message from now on (e.g. to hand some to an SDK client). */
    tap(fn) { taps.push(fn); },
    /** Resolves with the first message matching `pred`, or rejects after `ms`. */
    next(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(pred);
          if (found) {
            waiters.splice(waiters.indexOf(check), 1);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out; got ${JSON.stringify(messages)}; stderr: ${stderr}`));
        }, ms);
        waiters.push(check);
        check();
      });
    },
    response(id, ms) { return this.next((m) => m.id === id, ms); },
  };
}

export function initializeMessage(id, version = '2025-11-25') {
  return {
    jsonrpc: '2.0', id, method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
}

/** Runs the seeding program on `db` with SQL files (creating and migrating the database). */
export async function seed(db, ...sqlFiles) {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  await promisify(execFile)(process.env.PONS_MCP_SEED_BIN, [db, ...sqlFiles]);
}

/** The seeded inbox of tests/fixtures/mcp/seed.sql in a fresh directory, with its media files. */
export async function seededInbox() {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const t = tempDir();
  const db = path.join(t.dir, 'pons.db');
  await seed(db, path.join(process.env.PONS_FIXTURES_DIR, 'mcp', 'seed.sql'));
  mkdirSync(path.join(t.dir, 'media'));
  // A 1x1 PNG and a small PDF, where the seed's media rows point.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  writeFileSync(path.join(t.dir, 'media', 'part.png'), png);
  writeFileSync(path.join(t.dir, 'media', 'invoice-1042.pdf'), '%PDF-1.4\n% pons test\n');
  return { ...t, db, png };
}

/**
 * Spawns a server started with `--port 0 --port-file portFile` and waits (5 s at most) until it
 * has written its port; `log()` is its stderr so far.
 */
export async function spawnOnFreePort(name, bin, args, portFile, options = {}) {
  const child = spawn(bin, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d.toString(); });
  for (let i = 0; i < 100; i++) {
    if (existsSync(portFile)) {
      const port = Number(readFileSync(portFile, 'utf8').trim());
      if (port > 0) return { child, port, log: () => log };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`${name} did not start: ${log}`);
}

/** Starts the fake Graph API (tests/support/fake_graph) on a free port; `base` is its URL. */
export async function startFakeGraph(dir, args = []) {
  const portFile = path.join(dir, 'fake-port');
  const { child, port } = await spawnOnFreePort('pons-fake-graph', process.env.PONS_FAKE_GRAPH_BIN,
    ['--host', '127.0.0.1', '--port', '0', '--port-file', portFile, '--token', 'fake-token',
      '--waba-id', '100000000000001', ...args], portFile);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** The JSON bodies of the requests the fake Graph API at `base` has received, oldest first. */
export async function graphRequestBodies(base) {
  const recorded = await (await fetch(`${base}/_fake/requests`)).json();
  return (Array.isArray(recorded) ? recorded : recorded.requests).map((r) => r.json).filter(Boolean);
}

/**
 * Calls send_text through `client` with Meta (the fake at `base`) holding its answer for a minute,
 * and resolves once the fake has the request: the send then holds its worker thread. `settled()`
 * says whether the call has ended since.
 */
export async function sendHeldByMeta(client, base, { recipient, to, text }) {
  await fetch(`${base}/_fake/inject`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ recipient, times: 1, delay_ms: 60000 }) });
  let settled = false;
  client.callTool({ name: 'send_text', arguments: { to, text } }, undefined, { timeout: 120000 })
    .then(() => { settled = true; }, () => { settled = true; });
  let reached = false;
  for (let i = 0; i < 600 && !reached; i++) {
    reached = (await graphRequestBodies(base)).some((j) => j.text?.body === text);
    if (!reached) await new Promise((r) => setTimeout(r, 50));
  }
  if (!reached) throw new Error('the send never reached the fake Graph API');
  return { settled: () => settled };
}

/** The app secret of the account startWebhook configures; postSigned signs with it. */
export const webhookAppSecret = 'e2e-app-secret';
/** The phone number id of that account, the one textPayload's fixture is addressed to. */
const webhookPhoneNumberId = '106540352242922';

/**
 * Starts `pons-webhook serve` on a free loopback port with databaseIn(dir); args are added, and env
 * (WA_GRAPH_BASE_URL, say) to its environment.
 */
export async function startWebhook(dir, args = [], env = {}) {
  const db = await databaseIn(dir);
  const portFile = path.join(dir, 'port');
  const server = await spawnOnFreePort('pons-webhook', process.env.PONS_WEBHOOK_BIN,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile, '--db', db, ...args],
    portFile, {
      env: {
        PATH: process.env.PATH ?? '', HOME: dir, WA_APP_SECRET: webhookAppSecret,
        WA_WEBHOOK_VERIFY_TOKEN: 'e2e-verify', WA_PHONE_NUMBER_ID: webhookPhoneNumberId,
        WA_ACCESS_TOKEN: 'e2e-token', WA_WABA_ID: '419561257915477', ...env,
      },
    });
  return { ...server, db };
}

/**
 * Adds a dashboard user with the real `pons-webhook users add`, the password piped on stdin as an
 * operator's script would; rejects with the command's stderr when it fails.
 */
export async function addUser(dir, db, email, role, password) {
  const child = spawn(process.env.PONS_WEBHOOK_BIN, ['users', 'add', email, '--role', role, '--db', db], {
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d.toString(); });
  child.stderr.on('data', (d) => { output += d.toString(); });
  child.stdin.end(password + '\n');
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`users add ${email} exited ${code}: ${output}`);
  return output;
}

/**
 * The golden text-message webhook (tests/fixtures) with this wamid and body, sent now; `from`
 * gives another sender ({wa_id, name, secondsAgo}).
 */
export function textPayload(wamid, body, from = {}) {
  const fixture = JSON.parse(readFileSync(
    path.join(process.env.PONS_FIXTURES_DIR, 'meta', 'webhooks', 'messages', 'text.json'), 'utf8'));
  const value = fixture.entry[0].changes[0].value;
  value.messages[0].id = wamid;
  value.messages[0].timestamp = String(Math.floor(Date.now() / 1000) - (from.secondsAgo ?? 0));
  value.messages[0].text.body = body;
  if (from.wa_id) {
    value.messages[0].from = from.wa_id;
    value.contacts[0].wa_id = from.wa_id;
  }
  if (from.name) value.contacts[0].profile.name = from.name;
  return JSON.stringify(fixture);
}

/** POSTs body to pons-webhook's /webhook/meta, signed as Meta signs; resolves to the status. */
export async function postSigned(port, body) {
  const signature = 'sha256=' + createHmac('sha256', webhookAppSecret).update(body).digest('hex');
  const res = await fetch(`http://127.0.0.1:${port}/webhook/meta`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature },
  });
  return res.status;
}

/** The WhatsApp Business Account of the inbox startSendingInbox makes (startWebhook's WA_WABA_ID). */
export const inboxWaba = '419561257915477';

/**
 * A sending inbox: the fake Graph API (signing with webhookAppSecret), a real pons-webhook on its
 * own database, and pons-mcp connected through the official SDK with a token for the account.
 * `templates` (Meta's shape) replace the fake's list and are synced; `fakeWebhooks` makes the fake
 * POST its webhooks to pons-webhook. `close()` stops everything; `graphRequests()` lists the JSON
 * bodies the fake received.
 */
export async function startSendingInbox({ templates, fakeWebhooks = false } = {}) {
  const t = tempDir();
  const fake = await startFakeGraph(t.dir, ['--app-secret', webhookAppSecret, '--waba-id', inboxWaba]);
  const webhook = await startWebhook(t.dir, ['--no-template-sync']);
  const post = (route, body) => fetch(`${fake.base}${route}`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (fakeWebhooks) await post('/_fake/config', { webhook_url: `http://127.0.0.1:${webhook.port}/webhook/meta` });
  if (templates) await post('/_fake/templates', { data: templates });
  const session = await connect(['--db', webhook.db], {
    WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token', WA_PHONE_NUMBER_ID: webhookPhoneNumberId,
    WA_WABA_ID: inboxWaba,
  });
  if (templates) {
    const synced = await session.client.callTool({ name: 'sync_templates', arguments: {} });
    if (synced.isError) throw new Error(`sync_templates failed: ${JSON.stringify(synced.content)}`);
  }
  return {
    t, fake, webhook, session,
    graphRequests: () => graphRequestBodies(fake.base),
    async close() {
      await session.client.close();
      webhook.child.kill();
      fake.child.kill();
      t.cleanup();
    },
  };
}
