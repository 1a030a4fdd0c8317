// pons-mcp benchmark: spawn -> initialize answered, tools/call round trips on a large database,
// peak RSS. Usage: node mcp_bench.mjs PONS_MCP DB
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [binary, db] = process.argv.slice(2);

function session() {
  const child = spawn(binary, ['--db', db], { stdio: ['pipe', 'pipe', 'ignore'] });
  let buffer = '';
  let id = 0;
  const waiting = new Map();
  child.stdout.on('data', (d) => {
    buffer += d;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const message = JSON.parse(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      waiting.get(message.id)?.(message);
    }
  });
  const request = (method, params) => new Promise((resolve) => {
    const n = ++id;
    waiting.set(n, resolve);
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: n, method, params }) + '\n');
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, request, exited };
}

const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

const starts = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  const s = session();
  await s.request('initialize', init);
  starts.push(performance.now() - t);
  s.child.stdin.end();
  await s.exited;
}
console.log(`spawn -> initialize answered: median ${median(starts).toFixed(2)} ms, p99 ${p99(starts).toFixed(2)} ms`);

const s = session();
await s.request('initialize', init);
const calls = [
  ['get_messages (latest 50)', 'get_messages', { limit: 50 }],
  ['get_messages (50, one contact)', 'get_messages', { limit: 50, contact: 'Customer 500' }],
  ['get_messages (50 after a cursor)', 'get_messages', { limit: 50, since: '2026-01-02T12:00:00.000Z', sinceId: 0 }],
  ['search_messages (common word)', 'search_messages', { query: 'invoice', limit: 10 }],
  ['search_messages (rare words)', 'search_messages', { query: 'code 4242', limit: 10 }],
  ['list_conversations (20)', 'list_conversations', {}],
];
for (const [label, name, args] of calls) {
  const times = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    const r = await s.request('tools/call', { name, arguments: args });
    times.push(performance.now() - t);
    if (r.error || r.result.isError) throw new Error(`${label}: ${JSON.stringify(r)}`);
  }
  console.log(`${label}: median ${median(times).toFixed(3)} ms, p99 ${p99(times).toFixed(3)} ms`);
}
const status = readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
console.log(`peak RSS (VmHWM): ${status.match(/VmHWM:\s+(\d+)/)[1]} kB`);
s.child.stdin.end();
await s.exited;
