// Sends through the fake Graph API (tests/support/fake_graph): pons-mcp's send tools call it over
// HTTP with the configured token; the fake validates Meta's request shapes and can inject errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, seededInbox, sendHeldByMeta, startFakeGraph as startFake } from './lib.mjs';

test('send tools reach the fake Graph API and map its errors', async () => {
  const inbox = await seededInbox();
  const fake = await startFake(inbox.dir);
  let session;
  try {
    await fetch(`${fake.base}/_fake/templates`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ data: [{ name: 'order_update', language: 'en_US', status: 'APPROVED',
        category: 'UTILITY', id: '9001',
        components: [{ type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped.' }] }] }),
    });
    session = await connect(['--db', inbox.db],
      { WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token' });
    const { client } = session;

    const sent = await client.callTool({ name: 'send_text',
      arguments: { to: 'Alice Smith', text: 'Here is the invoice again', reply_to: 'wamid.A5' } });
    assert.equal(sent.isError, undefined, JSON.stringify(sent));
    assert.equal(sent.structuredContent.state, 'sent');
    assert.match(sent.structuredContent.wamid, /^wamid\./);
    const recorded = await (await fetch(`${fake.base}/_fake/requests`)).json();
    const requests = Array.isArray(recorded) ? recorded : recorded.requests;
    const body = requests.map((r) => r.json).find((j) => j?.type === 'text');
    assert.equal(body.to, '447700900001');
    assert.equal(body.text.body, 'Here is the invoice again');
    assert.equal(body.context.message_id, 'wamid.A5');
    assert.ok(requests.every((r) => r.auth === 'ok'));

    const template = await client.callTool({ name: 'send_template',
      arguments: { to: 'Bob Jones', name: 'order_update', language: 'en_US', parameters: ['Bob', '1042'] } });
    assert.equal(template.structuredContent.state, 'sent', JSON.stringify(template));

    await fetch(`${fake.base}/_fake/inject`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: 131047, recipient: '447700900001', times: 1 }) });
    const refused = await client.callTool({ name: 'send_text', arguments: { to: 'Alice Smith', text: 'One more' } });
    assert.equal(refused.isError, true);
    assert.equal(refused.structuredContent.state, 'failed');
    assert.equal(refused.structuredContent.error_code, 131047);

    const read = await client.callTool({ name: 'mark_read', arguments: { message_id: 'wamid.A5' } });
    assert.equal(read.structuredContent.read, true, JSON.stringify(read));
    const marks = await (await fetch(`${fake.base}/_fake/read-marks`)).json();
    assert.ok(marks.message_ids.includes('wamid.A5'));

    const stored = await client.callTool({ name: 'get_messages',
      arguments: { contact: 'Alice Smith', direction: 'outbound', limit: 100 } });
    const statuses = stored.structuredContent.messages.map((m) => `${m.text}:${m.status}`);
    assert.ok(statuses.includes('Here is the invoice again:sent'), statuses.join(', '));
    assert.ok(statuses.includes('One more:failed'), statuses.join(', '));
  } finally {
    await session?.client.close();
    fake.child.kill('SIGTERM');
    inbox.cleanup();
  }
});

test('a send waiting on a slow Meta does not hold up the reads', async () => {
  const inbox = await seededInbox();
  const fake = await startFake(inbox.dir);
  let session;
  try {
    // One thread for each kind of call, so the read can only be answered if the send is not on
    // its thread.
    session = await connect(['--db', inbox.db, '--workers', '1', '--call-out-workers', '1'],
      { WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token' });
    const { client } = session;
    // Meta takes a minute to answer this send (the client gives up sooner).
    const send = await sendHeldByMeta(client, fake.base,
      { recipient: '447700900001', to: 'Alice Smith', text: 'Slow one' });

    const read = await client.callTool({ name: 'get_messages', arguments: { contact: 'Alice Smith', limit: 5 } });
    assert.equal(read.isError, undefined, JSON.stringify(read));
    assert.ok(read.structuredContent.messages.length > 0);
    const contacts = await client.callTool({ name: 'list_conversations', arguments: {} });
    assert.equal(contacts.isError, undefined, JSON.stringify(contacts));
    assert.equal(send.settled(), false, 'the send is still waiting for Meta');
  } finally {
    // Meta first: the held send then fails at once and pons-mcp can stop.
    fake.child.kill('SIGKILL');
    await session?.client.close();
    inbox.cleanup();
  }
});
