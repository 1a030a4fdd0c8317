// wait_for_messages through the real pons-mcp: waits run on a lane of their own, so one more
// wait than there are workers leaves quick calls answered; one beyond the wait limit gets a
// clear tool error; cancelling a wait frees its place. No timing is asserted, only answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initializeMessage, rawSession, seededInbox } from './lib.mjs';

test('waits do not starve quick calls, the one over the limit is told to try again', async () => {
  const inbox = await seededInbox();
  const workers = 4;  // also the default wait limit
  const s = rawSession(['--db', inbox.db, '--read-only', '--workers', String(workers)]);
  const progressed = (id) => s.next((m) => m.method === 'notifications/progress' &&
    m.params.progressToken === id, 10000);
  const wait = (id, timeout) => s.send({ jsonrpc: '2.0', id, method: 'tools/call',
    params: { name: 'wait_for_messages', arguments: { timeout_seconds: timeout },
      _meta: { progressToken: id } } });
  try {
    s.send(initializeMessage(1));
    await s.response(1);
    s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });

    // workers + 1 waits: the first `workers` run (each reports progress when it starts).
    for (let id = 11; id <= 11 + workers; id += 1) wait(id, 600);
    for (let id = 11; id < 11 + workers; id += 1) await progressed(id);
    const refused = await s.response(11 + workers);
    assert.equal(refused.result?.isError, true, JSON.stringify(refused));
    assert.match(refused.result.content[0].text, new RegExp(`waiting in ${workers} other calls`));
    assert.match(refused.result.content[0].text, /try again/i);

    s.send({ jsonrpc: '2.0', id: 20, method: 'tools/call',
      params: { name: 'list_conversations', arguments: { limit: 1 } } });
    const quick = await s.response(20);
    assert.equal(quick.result.structuredContent.conversations.length, 1);

    // Cancelled waits end and give their places back: a new wait runs to its own end.
    for (let id = 11; id < 11 + workers; id += 1) {
      s.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } });
    }
    wait(30, 1);
    const done = await s.response(30, 10000);
    assert.equal(done.result.isError, undefined, JSON.stringify(done));
    assert.equal(done.result.structuredContent.timed_out, true);
    for (let id = 11; id < 11 + workers; id += 1) {
      assert.equal(s.messages.find((m) => m.id === id), undefined, `cancelled wait ${id} got no answer`);
    }
  } finally {
    s.child.stdin.end();
    await s.exited;
    inbox.cleanup();
  }
});
