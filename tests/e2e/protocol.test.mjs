// Protocol behaviour of pons-mcp seen from outside: framing, error codes, negotiation, shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { initializeMessage, rawSession, tempDir } from './lib.mjs';

test('every supported version is negotiated, an unknown one gets the latest', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const [asked, expected] of [
      ['2024-11-05', '2024-11-05'], ['2025-03-26', '2025-03-26'], ['2025-06-18', '2025-06-18'],
      ['2025-11-25', '2025-11-25'], ['2030-01-01', '2025-11-25']]) {
      const s = rawSession(['--db', path.join(dir, 'pons.db')]);
      s.send(initializeMessage(1, asked));
      const r = await s.response(1);
      assert.equal(r.result.protocolVersion, expected);
      assert.equal(r.result.serverInfo.name, 'pons');
      s.child.stdin.end();
      assert.equal((await s.exited).code, 0);
    }
  } finally { cleanup(); }
});

test('framing errors are answered and the server keeps serving', async () => {
  const { dir, cleanup } = tempDir();
  const s = rawSession(['--db', path.join(dir, 'pons.db'), '--max-line-bytes', '512']);
  try {
    s.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal((await s.response(1)).error.code, -32600);  // before initialize
    s.send(initializeMessage(2));
    await s.response(2);
    s.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    s.send('{"jsonrpc": "2.0", "id": 3, "method": ');
    const parse = await s.next((m) => m.error?.code === -32700);
    assert.equal(parse.id, null);
    s.send(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping', params: { pad: 'x'.repeat(2000) } }));
    const long = await s.next((m) => m.error && /512 bytes/.test(m.error.message));
    assert.equal(long.error.code, -32600);
    s.send({ jsonrpc: '2.0', id: 5, method: 'does/not/exist' });
    assert.equal((await s.response(5)).error.code, -32601);
    s.send({ jsonrpc: '2.0', id: 6, method: 'logging/setLevel', params: { level: 'shouting' } });
    const bad = await s.response(6);
    assert.equal(bad.error.code, -32602);
    assert.equal(bad.error.data.field, 'params.level');
    s.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'no_such_tool' } });
    assert.equal((await s.response(7)).error.code, -32602);
    s.send([{ jsonrpc: '2.0', id: 8, method: 'ping' }]);
    assert.equal((await s.next((m) => m.error?.message?.includes('batch'))).error.code, -32600);
    s.send('[' + '['.repeat(100) + ']'.repeat(100) + ']');
    await s.next((m) => m.error?.code === -32700 && m.error.message.includes('nesting'));
    s.send({ jsonrpc: '2.0', id: 9, method: 'ping' });
    assert.deepEqual((await s.response(9)).result, {});
    // Every stdout line was one JSON-RPC message; notifications were never answered.
    assert.ok(s.stdoutLines.every((l) => JSON.parse(l).jsonrpc === '2.0'));
    s.child.stdin.end();
    assert.equal((await s.exited).code, 0);
  } finally { s.child.kill(); cleanup(); }
});

test('SIGTERM stops the server cleanly', async () => {
  const { dir, cleanup } = tempDir();
  const s = rawSession(['--db', path.join(dir, 'pons.db')]);
  try {
    s.send(initializeMessage(1));
    await s.response(1);
    s.child.kill('SIGTERM');
    const { code } = await s.exited;
    assert.equal(code, 0);
    assert.match(s.stderr(), /event=stop/);
  } finally { cleanup(); }
});
