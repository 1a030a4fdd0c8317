// The whole inbound path: the real pons-webhook stores a signed Meta payload, and pons-mcp
// (driven by the SDK client) notices it: resource update notifications, wait_for_messages, and
// get_messages with the cursor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, postSigned, startWebhook, tempDir, textPayload } from './lib.mjs';

test('a message stored by pons-webhook reaches the MCP client', async () => {
  const { dir, cleanup } = tempDir();
  const webhook = await startWebhook(dir);
  let session;
  try {
    // Something in the inbox first, so there is a conversation to subscribe to.
    assert.equal(await postSigned(webhook.port, textPayload('wamid.E2E1', 'Does it come in another color?')), 200);
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
    assert.equal(await postSigned(webhook.port, textPayload('wamid.E2E2', 'And in green?')), 200);

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
