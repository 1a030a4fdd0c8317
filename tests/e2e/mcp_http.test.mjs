// /mcp on the real pons-webhook, driven by the official SDK's StreamableHTTPClientTransport:
// the same tools as pons-mcp, a tool call answered over SSE, and a resource update pushed on the
// session's GET stream when pons-webhook stores a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { inboxWaba, postSigned, sendHeldByMeta, startFakeGraph, startWebhook, tempDir, textPayload,
  webhookAppSecret } from './lib.mjs';

test('the SDK client lists and calls pons tools over Streamable HTTP', async () => {
  const { dir, cleanup } = tempDir();
  const webhook = await startWebhook(dir, ['--mcp-conformance', '--no-template-sync', '--no-media']);
  const client = new Client({ name: 'pons-e2e-http', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${webhook.port}/mcp`));
  try {
    assert.equal(await postSigned(webhook.port, textPayload('wamid.HTTP1', 'Does it come in another color?')), 200);
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
    assert.equal(await postSigned(webhook.port, textPayload('wamid.HTTP2', 'And in green?')), 200);
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

test('over /mcp, a send waiting on a slow Meta does not hold up the reads', async () => {
  const { dir, cleanup } = tempDir();
  const fake = await startFakeGraph(dir, ['--app-secret', webhookAppSecret, '--waba-id', inboxWaba]);
  // One thread for each kind of call: the read is answered only if the send is not on its thread.
  const webhook = await startWebhook(dir, ['--mcp-conformance', '--no-template-sync', '--no-media',
    '--mcp-workers', '1', '--mcp-call-out-workers', '1'],
  { WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token' });
  const client = new Client({ name: 'pons-e2e-http', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${webhook.port}/mcp`));
  try {
    assert.equal(await postSigned(webhook.port, textPayload('wamid.SLOW1', 'Is it in stock?',
      { wa_id: '447700900123', name: 'Sam' })), 200);
    await client.connect(transport);
    // Meta takes a minute to answer this send (the client gives up sooner).
    const send = await sendHeldByMeta(client, fake.base,
      { recipient: '447700900123', to: '447700900123', text: 'Slow one' });

    const read = await client.callTool({ name: 'get_messages', arguments: { limit: 5 } });
    assert.equal(read.isError, undefined, JSON.stringify(read));
    assert.equal(read.structuredContent.messages[0].text, 'Is it in stock?');
    assert.equal(send.settled(), false, 'the send is still waiting for Meta');
  } finally {
    fake.child.kill('SIGKILL');
    await client.close().catch(() => {});
    webhook.child.kill();
    cleanup();
  }
});
