// pons-mcp benchmark: spawn -> initialize answered, tools/call round trips on a large database,
// peak RSS. Usage: node mcp_bench.mjs PONS_MCP DB [--quick] [--json FILE] [--messages N]
// --quick: a few iterations only (smoke run); --json: also write the figures as one JSON object.
import { rpcSession } from './rpc_session.mjs';
import { readFileSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const valued = ['--json', '--messages'];
const [binary, db] = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.includes(args[i - 1])));
const quick = flag('--quick');
const jsonPath = option('--json');
const spawnRuns = quick ? 5 : 30;
const callRuns = quick ? 20 : 200;

function session() {
  return rpcSession(binary, ['--db', db]);
}

const init = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } };
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const p99 = (xs) => sorted(xs)[Math.floor(xs.length * 0.99)];
const round = (x, digits = 3) => Number(x.toFixed(digits));
const report = { benchmark: 'mcp', quick, messages: Number(option('--messages') ?? 0), tools: [] };

const starts = [];
let initialized = 0;
for (let i = 0; i < spawnRuns; i++) {
  const t = performance.now();
  const s = session();
  const r = await s.request('initialize', init);
  starts.push(performance.now() - t);
  if (r.result?.protocolVersion) initialized++;
  s.child.stdin.end();
  await s.exited;
}
console.log(`spawn -> initialize answered: median ${median(starts).toFixed(2)} ms, p99 ${p99(starts).toFixed(2)} ms`);
report.spawn_initialize_ms = { runs: spawnRuns, answered: initialized, median: round(median(starts)), p99: round(p99(starts)) };

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
  let ok = 0;
  for (let i = 0; i < callRuns; i++) {
    const t = performance.now();
    const r = await s.request('tools/call', { name, arguments: args });
    times.push(performance.now() - t);
    if (r.error || r.result.isError) throw new Error(`${label}: ${JSON.stringify(r)}`);
    ok++;
  }
  console.log(`${label}: median ${median(times).toFixed(3)} ms, p99 ${p99(times).toFixed(3)} ms`);
  report.tools.push({ label, tool: name, calls: callRuns, ok, median_ms: round(median(times)), p99_ms: round(p99(times)) });
}
const status = readFileSync(`/proc/${s.child.pid}/status`, 'utf8');
const rss = Number(status.match(/VmHWM:\s+(\d+)/)[1]);
console.log(`peak RSS (VmHWM): ${rss} kB`);
report.peak_rss_kb = rss;
s.child.stdin.end();
await s.exited;
report.ok = initialized === spawnRuns && report.tools.every((t) => t.ok === t.calls);
if (jsonPath) writeFileSync(jsonPath, JSON.stringify(report) + '\n');
