// /mcp on the real pons-webhook, driven by the official SDK's StreamableHTTPClientTransport:
// the same tools as pons-mcp, a tool call answered over SSE, and a resource update pushed on the
// session's GET stream when pons-webhook stores a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { tempDir } from './lib.mjs';

const appSecret = 'e2e-app-secret';

async function startWebhook(dir) {
  const db = path.join(dir, 'pons.db');
  const portFile = path.join(dir, 'port');
  const child = spawn(process.env.PONS_WEBHOOK_BIN,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile, '--db', db,
      '--mcp-conformance', '--no-template-sync', '--no-media'], {
      env: {
        PATH: process.env.PATH ?? '', HOME: dir, WA_APP_SECRET: appSecret,
        WA_WEBHOOK_VERIFY_TOKEN: 'e2e-verify', WA_PHONE_NUMBER_ID: '106540352242922',
        WA_ACCESS_TOKEN: 'e2e-token', WA_WABA_ID: '419561257915477',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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

test('the SDK client lists and calls pons tools over Streamable HTTP', async () => {
  const { dir, cleanup } = tempDir();
  const webhook = await startWebhook(dir);
  const client = new Client({ name: 'pons-e2e-http', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${webhook.port}/mcp`));
  try {
    assert.equal(await post(webhook.port, textPayload('wamid.HTTP1', 'Does it come in another color?')), 200);
    await client.connect(transport);
    assert.match(transport.sessionId, /^[0-9a-f]{64}$/);
    assert.equal(client.getServerVersion().name, 'pons');

    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    for (const name of ['list_conversations', 'get_messages', 'search_messages', 'test_simple_text']) {
      assert.ok(names.includes(name), `${name} is listed`);
    }

    const first = await client.callTool({ name: 'get_messages', arguments: {} });
    assert.equal(first.structuredContent.messages.length, 1);
    assert.equal(first.structuredContent.messages[0].text, 'Does it come in another color?');
    const conversationId = first.structuredContent.messages[0].conversation_id;

    // A subscription is answered on the session's GET stream once pons-webhook stores more.
    const updated = new Promise((resolve) => {
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        if (n.params.uri === `pons://conversations/${conversationId}`) resolve(n.params.uri);
      });
    });
    await client.subscribeResource({ uri: `pons://conversations/${conversationId}` });
    assert.equal(await post(webhook.port, textPayload('wamid.HTTP2', 'And in green?')), 200);
    assert.equal(await updated, `pons://conversations/${conversationId}`);

    await transport.terminateSession();
    assert.equal(transport.sessionId, undefined);
    assert.match(webhook.log(), /event=mcp_session_closed reason=deleted/);
  } finally {
    await client.close().catch(() => {});
    webhook.child.kill();
    cleanup();
  }
});
