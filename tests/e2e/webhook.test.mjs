// The whole inbound path: the real pons-webhook stores a signed Meta payload, and pons-mcp
// (driven by the SDK client) notices it: resource update notifications, wait_for_messages, and
// get_messages with the cursor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, tempDir } from './lib.mjs';

const appSecret = 'e2e-app-secret';
const phoneNumberId = '106540352242922';

async function startWebhook(dir) {
  const db = path.join(dir, 'pons.db');
  const portFile = path.join(dir, 'port');
  const child = spawn(process.env.PONS_WEBHOOK_BIN,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile, '--db', db], {
      env: {
        PATH: process.env.PATH ?? '', HOME: dir, WA_APP_SECRET: appSecret,
        WA_WEBHOOK_VERIFY_TOKEN: 'e2e-verify', WA_PHONE_NUMBER_ID: phoneNumberId,
        WA_ACCESS_TOKEN: 'e2e-token', WA_WABA_ID: '419561257915477',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  let log = '';
  child.stderr.on('data', (d) => { log += d.toString(); });
  for (let i = 0; i < 100; i++) {
    if (existsSync(portFile)) {
      const port = Number(readFileSync(portFile, 'utf8').trim());
      if (port > 0) return { child, db, port, log: () => log };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`pons-webhook did not start: ${log}`);
}

function textPayload(wamid, body) {
  const fixture = JSON.parse(readFileSync(
    path.join(process.env.PONS_FIXTURES_DIR, 'meta', 'webhooks', 'messages', 'text.json'), 'utf8'));
  const value = fixture.entry[0].changes[0].value;
  value.messages[0].id = wamid;
  value.messages[0].timestamp = String(Math.floor(Date.now() / 1000));
  value.messages[0].text.body = body;
  return JSON.stringify(fixture);
}

async function post(port, body) {
  const signature = 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
  const res = await fetch(`http://127.0.0.1:${port}/webhook/meta`, {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': signature },
  });
  return res.status;
}

test('a message stored by pons-webhook reaches the MCP client', async () => {
  const { dir, cleanup } = tempDir();
  const webhook = await startWebhook(dir);
  let session;
  try {
    // Something in the inbox first, so there is a conversation to subscribe to.
    assert.equal(await post(webhook.port, textPayload('wamid.E2E1', 'Does it come in another color?')), 200);
    session = await connect(['--db', webhook.db]);
    const { client } = session;
    const first = await client.callTool({ name: 'get_messages', arguments: {} });
    assert.equal(first.structuredContent.messages.length, 1);
    const conversationId = first.structuredContent.messages[0].conversation_id;
    const cursor = first.structuredContent.next_cursor;

    const updates = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updates.push(n.params.uri));
    await client.subscribeResource({ uri: `pons://conversations/${conversationId}` });
    await client.subscribeResource({ uri: 'pons://inbox' });

    const waiting = client.callTool({ name: 'wait_for_messages', arguments: { timeout_seconds: 20 } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await post(webhook.port, textPayload('wamid.E2E2', 'And in green?')), 200);

    const arrived = await waiting;
    assert.equal(arrived.structuredContent.timed_out, false);
    assert.equal(arrived.structuredContent.messages[0].text, 'And in green?');
    assert.equal(arrived.structuredContent.messages[0].contact.name, 'Sheena Nelson');

    for (let i = 0; i < 30 && updates.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(updates.includes(`pons://conversations/${conversationId}`), `updates: ${updates}`);
    assert.ok(updates.includes('pons://inbox'));

    const newer = await client.callTool({ name: 'get_messages', arguments: { cursor } });
    assert.deepEqual(newer.structuredContent.messages.map((m) => m.wamid), ['wamid.E2E2']);
    const window = await client.callTool({ name: 'get_window_status', arguments: { contact: 'Sheena Nelson' } });
    assert.equal(window.structuredContent.open, true);
  } finally {
    await session?.client.close();
    webhook.child.kill('SIGTERM');
    cleanup();
  }
});
