// Arguments written by whoever messaged the business reach pons-mcp through the assistant: LIKE
// wildcards, oversized or NUL-holding strings and out-of-range ids must get a precise answer,
// never everyone's data, a blamed database or an internal error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initializeMessage, rawSession, seededInbox } from './lib.mjs';

test('wildcards, huge strings, NUL and huge ids are answered precisely', async () => {
  const inbox = await seededInbox();
  const s = rawSession(['--db', inbox.db, '--read-only']);
  try {
    s.send(initializeMessage(1));
    await s.response(1);
    s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    let id = 10;
    const request = (method, params) => {
      id += 1;
      s.send({ jsonrpc: '2.0', id, method, params });
      return s.response(id);
    };
    const call = (name, args) => request('tools/call', { name, arguments: args });

    for (const query of ['%', '_', '%%', 'A_i']) {
      const r = await call('search_contacts', { query });
      assert.deepEqual(r.result.structuredContent.contacts, [], `${query}: ${JSON.stringify(r)}`);
    }
    assert.equal((await call('search_contacts', { query: 'ali' })).result.structuredContent.contacts[0].name,
      'Alice Smith');

    const huge = await call('get_contact', { contact: 'x'.repeat(100000) });
    assert.equal(huge.error?.code, -32602, JSON.stringify(huge).slice(0, 300));
    assert.equal(huge.error.data.field, 'arguments.contact');
    assert.match(huge.error.message, /at most 256 characters/);
    const nul = await call('get_contact', { contact: 'Ali\u0000ce' });
    assert.equal(nul.error?.code, -32602);
    assert.match(nul.error.message, /NUL/);

    const draft = await request('prompts/get',
      { name: 'draft_reply', arguments: { contact: 'y'.repeat(100000) } });
    assert.equal(draft.error?.code, -32602);
    assert.doesNotMatch(draft.error.message, /database/);

    const far = await request('resources/read', { uri: 'pons://conversations/99999999999999999999' });
    assert.equal(far.error?.code, -32002, JSON.stringify(far));
    const bigId = await call('get_messages', { conversation_id: 99999999999999999999 });
    assert.equal(bigId.error?.code, -32602, JSON.stringify(bigId));
  } finally {
    s.child.stdin.end();
    await s.exited;
    inbox.cleanup();
  }
});
