// The /mcp benchmark of scripts/bench mcp-http (docs/mcp-performance.md, "HTTP"), against a
// pons-webhook serving /mcp and the SDK peer (sdk_peer.mjs), both already listening on loopback
// on copies of the same database:
//   1. SSE sessions: pons-webhook's resident memory before and with S sessions open, each with its
//      GET /mcp stream;
//   2. get_messages (latest 50) over HTTP: C clients, each with its own session, in a closed loop
//      for N seconds after a warm-up, on pons and on the peer (alternating, R rounds): throughput;
//   3. the same calls in an open loop at a fixed rate both sustain: latency;
//   4. webhook ingest under MCP load: pons-webhook-loadgen's closed loop for N seconds alone, then
//      with the C MCP clients running against the same pons-webhook (R rounds).
// The MCP clients of 2-4 are pons-mcp-loadgen (C++, Beast): the same client for both servers, and
// a cheap one, so that the client's CPU does not set the ceiling on this machine.
// Every tools/call answer must be a successful result with 50 messages, every stream must stay
// open, every webhook be answered and stored: the counts are checked, the timings never.
//   node mcp_http_bench.mjs --pons PORT:PID --peer PORT:PID --pons-db DB --loadgen BIN
//     --mcp-loadgen BIN [--seconds N] [--warmup S] [--first-warmup S] [--clients C] [--rounds R]
//     [--sse-sessions S] [--mcp-rate R] [--loadgen-connections C] [--messages N] [--quick]
//     [--json FILE]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const quick = args.includes('--quick');
const seconds = Number(option('--seconds', quick ? 1 : 10));
const warmup = Number(option('--warmup', quick ? 0.5 : 2));
// Before its first round each server gets a longer warm-up: the peer's CPU per call kept falling
// through the first rounds (V8 tiering up, its heap growing), and a server in use is warm.
const firstWarmup = Number(option('--first-warmup', quick ? 0 : 20));
const clients = Number(option('--clients', 64));
const rounds = Number(option('--rounds', quick ? 1 : 3));
const sseSessions = Number(option('--sse-sessions', quick ? 100 : 1000));
const loadgenConnections = Number(option('--loadgen-connections', 64));
const jsonPath = option('--json');
const ponsDb = option('--pons-db');
const loadgen = option('--loadgen');
const mcpLoadgen = option('--mcp-loadgen');
// The open-loop rate of the latency run: calls/s that both servers can sustain.
const mcpRate = Number(option('--mcp-rate', quick ? 100 : 200));
const endpoint = (spec) => {
  const [port, pid] = spec.split(':').map(Number);
  return { port, pid, url: `http://127.0.0.1:${port}/mcp` };
};
const pons = { name: 'pons', ...endpoint(option('--pons')) };
const peer = { name: 'peer', ...endpoint(option('--peer')) };
// The acceptance bar of issue 16: 1,000 open sessions within 100 MB resident.
const rssBarKb = 100 * 1024;
const protocol = '2025-11-25';
const expectedMessages = 50;

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => (xs.length ? sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : null);
const median = (xs) => pct(xs, 0.5);
const round = (x, digits = 3) => (typeof x === 'number' ? Number(x.toFixed(digits)) : x);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => console.log(s);

function procStatus(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (k) => Number(status.match(new RegExp(`^${k}:\\s+(\\d+)`, 'm'))?.[1]);
  return { rss_kb: field('VmRSS'), hwm_kb: field('VmHWM'), anon_kb: field('RssAnon'), file_kb: field('RssFile'),
    threads: field('Threads') };
}

// CPU time (user + system) of a process and all its threads, in microseconds.
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 1e4;
}

// pons-webhook's CPU time per thread, in microseconds: the main thread runs the io_context (HTTP,
// JSON-RPC framing, webhook checks), pons-writer the SQLite writes, pons-walsync the fdatasyncs,
// pons-checkpoint the WAL checkpoints; "other" is mostly /mcp's tool workers and engines.
function threadCpuUs(pid) {
  const out = { io: 0, writer: 0, sync: 0, checkpoint: 0, other: 0 };
  const names = { 'pons-writer': 'writer', 'pons-walsync': 'sync', 'pons-checkpoint': 'checkpoint' };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = Number(tid) === pid ? 'io' : names[readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()] ?? 'other';
      out[name] += cpuUs(`${pid}/task/${tid}`);
    } catch { /* the thread ended */ }
  }
  return out;
}
const perEvent = (after, before, n) => Object.fromEntries(Object.keys(after).map((k) => [k, n ? Math.round((after[k] - (before[k] ?? 0)) / n) : null]));

// How busy the whole machine was (all cores, every process, ours included), in percent.
function machineTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // idle and iowait are the 4th and 5th fields of the cpu line.
  return { total: f.reduce((a, b) => a + b, 0), idle: f[3] + f[4] };
}
const busyPct = (a, b) => round(100 * (1 - (b.idle - a.idle) / (b.total - a.total)), 1);

function headers(sid) {
  const h = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', 'MCP-Protocol-Version': protocol };
  if (sid) h['Mcp-Session-Id'] = sid;
  return h;
}

// The JSON-RPC message with `id` from an answer: one JSON body, or an SSE stream of messages.
function answerOf(res, text, id) {
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return JSON.parse(text);
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (!data) continue;
    const message = JSON.parse(data);
    if (message.id === id) return message;
  }
  return undefined;
}

async function openSession(target) {
  const res = await fetch(target.url, { method: 'POST', headers: headers(), body: JSON.stringify({
    jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: protocol, capabilities: {}, clientInfo: { name: 'bench-http', version: '1' } } }) });
  const sid = res.headers.get('mcp-session-id');
  const answer = answerOf(res, await res.text(), 0);
  if (res.status !== 200 || !sid || !answer?.result) throw new Error(`${target.name}: initialize answered ${res.status}`);
  const ack = await fetch(target.url, { method: 'POST', headers: headers(sid),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await ack.arrayBuffer();
  if (ack.status !== 202) throw new Error(`${target.name}: notifications/initialized answered ${ack.status}`);
  return sid;
}

async function closeSession(target, sid) {
  const res = await fetch(target.url, { method: 'DELETE', headers: headers(sid) });
  await res.arrayBuffer();
  return res.status;
}

async function inBatches(n, size, fn) {
  const out = [];
  for (let i = 0; i < n; i += size) {
    out.push(...await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, k) => fn(i + k))));
  }
  return out;
}

// pons-mcp-loadgen's result line: "key=value ..." with the first problem, if any, last.
function parseMcpLoadgen(line) {
  const out = {};
  const at = line.indexOf(' problem=');
  out.problem = at >= 0 ? line.slice(at + 9).trim() || undefined : 'no result line';
  for (const token of (at >= 0 ? line.slice(0, at) : line).trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0) continue;
    const v = token.slice(eq + 1);
    out[token.slice(0, eq)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

// The MCP load generator running now: stopped with this process.
let mcpLoadgenChild;

// pons-mcp-loadgen against `target`: `clients` sessions calling get_messages, a closed-loop warm-up
// of `warmupS` seconds, then `seconds` measured (closed loop, or open loop at `rate` calls/s).
// hooks.start and hooks.end run when it starts and ends the measured part.
function runMcpLoadgen(target, { warmupS, seconds: measured, rate = 0 }, hooks = {}) {
  return new Promise((resolve, reject) => {
    const argv = ['--port', String(target.port), '--clients', String(clients), '--warmup', String(warmupS),
      '--duration', String(measured), '--limit', String(expectedMessages)];
    if (rate > 0) argv.push('--rate', String(rate));
    const child = mcpLoadgenChild = spawn(mcpLoadgen, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buffered = '';
    let result;
    child.stdout.on('data', (d) => {
      buffered += d;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === 'measure-start') hooks.start?.();
        else if (line === 'measure-end') hooks.end?.();
        else if (line.startsWith('mode=')) result = parseMcpLoadgen(line);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      mcpLoadgenChild = undefined;
      resolve({ ...(result ?? parseMcpLoadgen('')), exit_code: code });
    });
  });
}

// What a server used between two points of a run.
function sample(target) {
  return { cpu: cpuUs(target.pid), threads: target === pons ? threadCpuUs(pons.pid) : undefined,
    machine: machineTicks() };
}

// One measured run on `target`: the load generator's figures, and the server's CPU per call.
async function measureCalls(target, { warmupS, rate = 0 }) {
  let s0;
  let s1;
  const l = await runMcpLoadgen(target, { warmupS, seconds, rate },
    { start: () => { s0 = sample(target); }, end: () => { s1 = sample(target); } });
  const calls = l.calls ?? 0;
  const result = {
    calls, ok: l.ok, bad: l.bad, warmup_calls: l.warmup_calls, warmup_bad: l.warmup_bad, problem: l.problem,
    seconds: l.seconds, calls_per_s: l.calls_per_s, p50_ms: l.p50_ms, p90_ms: l.p90_ms, p99_ms: l.p99_ms,
    p999_ms: l.p999_ms, max_ms: l.max_ms,
    server_cpu_us_per_call: calls && s0 && s1 ? Math.round((s1.cpu - s0.cpu) / calls) : null,
    client_cpu_us_per_call: l.client_cpu_us_per_call,
    machine_busy_pct: s0 && s1 ? busyPct(s0.machine, s1.machine) : null,
    sessions: clients, sessions_opened: l.sessions, sessions_deleted: l.deleted,
    reconnects: l.reconnects,
  };
  if (rate > 0) result.rate = rate;
  if (s0?.threads && s1?.threads) result.server_thread_cpu_us_per_call = perEvent(s1.threads, s0.threads, calls);
  return result;
}

function summary(runs) {
  const m = (k) => round(median(runs.map((r) => r[k]).filter((x) => typeof x === 'number')));
  return {
    calls_per_s: m('calls_per_s'), p50_ms: m('p50_ms'), p90_ms: m('p90_ms'), p99_ms: m('p99_ms'), p999_ms: m('p999_ms'),
    server_cpu_us_per_call: m('server_cpu_us_per_call'), client_cpu_us_per_call: m('client_cpu_us_per_call'), runs,
  };
}

function sessionGauge(port) {
  return fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())
    .then((t) => Number(t.match(/^pons_mcp_http_sessions (\d+)/m)?.[1]));
}

// --- 1. SSE sessions ---------------------------------------------------------------------------
async function sse() {
  log(`== ${sseSessions} sessions with their GET /mcp stream open on pons-webhook`);
  await sleep(500);
  const before = procStatus(pons.pid);
  const sessions = [];
  let refused = 0;
  let endedEarly = 0;
  let closing = false;
  await inBatches(sseSessions, 50, async () => {
    const sid = await openSession(pons);
    const abort = new AbortController();
    const res = await fetch(pons.url, { method: 'GET', signal: abort.signal,
      headers: { Accept: 'text/event-stream', 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': protocol } });
    const s = { sid, abort, open: false };
    sessions.push(s);
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      refused++;
      await res.arrayBuffer().catch(() => {});
      return;
    }
    s.open = true;
    const reader = res.body.getReader();
    (async () => {
      try { while (!(await reader.read()).done); } catch { /* aborted */ }
      if (!closing) endedEarly++;
    })();
  });
  await sleep(1000);
  const open = procStatus(pons.pid);
  const gauge = await sessionGauge(pons.port);
  closing = true;
  for (const s of sessions) s.abort.abort();
  const deleted = await inBatches(sessions.length, 50, (i) => closeSession(pons, sessions[i].sid));
  await sleep(1000);
  const after = procStatus(pons.pid);
  const r = {
    sessions: sseSessions, opened: sessions.length, streams_open: sessions.filter((s) => s.open).length,
    streams_refused: refused, streams_ended_early: endedEarly, sessions_gauge: gauge,
    sessions_deleted: deleted.filter((s) => s === 200 || s === 204).length,
    before, open, after, per_session_kb: round((open.rss_kb - before.rss_kb) / sseSessions, 1),
    rss_bar_kb: rssBarKb,
    // The bar is about 1,000 sessions of a release build; a smoke run (fewer sessions, maybe a
    // sanitizer build) reports its memory without judging it.
    bar_judged: !quick, rss_within_bar: open.rss_kb <= rssBarKb,
  };
  log(`RSS before ${before.rss_kb} kB (threads ${before.threads}), with ${r.streams_open} streams open ${open.rss_kb} kB ` +
    `(threads ${open.threads}), after closing ${after.rss_kb} kB; ${r.per_session_kb} kB per session; ` +
    `bar ${rssBarKb} kB: ${r.rss_within_bar ? 'within' : 'OVER'}`);
  return r;
}

// --- 2. get_messages, pons against the peer ----------------------------------------------------
async function calls() {
  log(`== get_messages (latest ${expectedMessages}) over HTTP, ${clients} clients, ${warmup}s warm-up ` +
    `(${warmup + firstWarmup}s before the first round) + ${seconds}s, ${rounds} round(s)`);
  const runs = { pons: [], peer: [] };
  for (let i = 0; i < rounds; i++) {
    for (const target of i % 2 === 0 ? [pons, peer] : [peer, pons]) {
      const r = await measureCalls(target, { warmupS: warmup + (i === 0 ? firstWarmup : 0) });
      runs[target.name].push(r);
      log(`round ${i + 1} ${target.name}: ${r.calls_per_s} calls/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, ` +
        `server CPU ${r.server_cpu_us_per_call} us/call${r.server_thread_cpu_us_per_call ? ` ${JSON.stringify(r.server_thread_cpu_us_per_call)}` : ''}, ` +
        `client CPU ${r.client_cpu_us_per_call} us/call, machine ${r.machine_busy_pct}% busy, ` +
        `${r.reconnects} reconnects, ${r.ok}/${r.calls} ok${r.problem ? ` (first problem: ${r.problem})` : ''}`);
    }
  }
  const out = { pons: summary(runs.pons), peer: summary(runs.peer) };
  out.ratio_calls_per_s = round(out.pons.calls_per_s / out.peer.calls_per_s, 2);
  out.ratio_server_cpu_per_call = round(out.pons.server_cpu_us_per_call / out.peer.server_cpu_us_per_call, 2);
  log(`medians: pons ${out.pons.calls_per_s} calls/s, peer ${out.peer.calls_per_s} calls/s: pons/peer ${out.ratio_calls_per_s}`);
  return out;
}

// --- 2b. get_messages latency at a fixed rate, pons against the peer --------------------------
// A closed loop measures throughput; its latency is the queue the clients themselves build (64
// clients at N calls/s wait 64/N s on average). Latency is measured in an open loop instead: calls
// due at a fixed rate that both servers sustain, each timed from when it was due.
async function latency() {
  log(`== get_messages (latest ${expectedMessages}) over HTTP, open loop at ${mcpRate} calls/s over ${clients} ` +
    `sessions, ${warmup}s warm-up + ${seconds}s, ${rounds} round(s)`);
  const runs = { pons: [], peer: [] };
  for (let i = 0; i < rounds; i++) {
    for (const target of i % 2 === 0 ? [pons, peer] : [peer, pons]) {
      const r = await measureCalls(target, { warmupS: warmup, rate: mcpRate });
      runs[target.name].push(r);
      log(`round ${i + 1} ${target.name}: ${r.calls_per_s} calls/s, p50 ${r.p50_ms} ms, p90 ${r.p90_ms} ms, ` +
        `p99 ${r.p99_ms} ms, p99.9 ${r.p999_ms} ms, server CPU ${r.server_cpu_us_per_call} us/call, ` +
        `machine ${r.machine_busy_pct}% busy, ${r.ok}/${r.calls} ok${r.problem ? ` (first problem: ${r.problem})` : ''}`);
    }
  }
  const out = { rate: mcpRate, pons: summary(runs.pons), peer: summary(runs.peer) };
  out.ratio_p99 = round(out.pons.p99_ms / out.peer.p99_ms, 2);
  log(`medians at ${mcpRate} calls/s: pons p99 ${out.pons.p99_ms} ms, peer p99 ${out.peer.p99_ms} ms`);
  return out;
}

// --- 3. webhook ingest alone and under MCP load ------------------------------------------------
function webhookLogRows() {
  const db = new DatabaseSync(ponsDb, { readOnly: true });
  try { return db.prepare('SELECT count(*) AS n FROM webhook_log').get().n; } finally { db.close(); }
}

// "key=value ... statuses= 200:10 503:2 ..." as an object.
function parseLoadgen(line) {
  const out = { statuses: {} };
  for (const token of line.trim().split(/\s+/)) {
    const status = token.match(/^(\d+):(\d+)$/);
    if (status) { out.statuses[status[1]] = Number(status[2]); continue; }
    const eq = token.indexOf('=');
    if (eq <= 0 || token.startsWith('statuses=')) continue;
    const v = token.slice(eq + 1);
    out[token.slice(0, eq)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

// The load generator running now: stopped with this process.
let loadgenChild;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    loadgenChild?.kill();
    mcpLoadgenChild?.kill();
    process.exit(1);
  });
}

function runLoadgen(runId) {
  return new Promise((resolve, reject) => {
    const child = loadgenChild = spawn(loadgen, ['--port', String(pons.port), '--secret', 'bench-app-secret',
      '--phone-number-id', '106540352242922', '--connections', String(loadgenConnections),
      '--duration', String(seconds), '--run-id', runId], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('exit', () => {
      loadgenChild = undefined;
      resolve(parseLoadgen(out.split('\n').find((l) => l.startsWith('mode=')) ?? ''));
    });
  });
}

async function ingestRun(runId, withMcp) {
  const measure = async () => {
    const rows0 = webhookLogRows();
    const threads0 = threadCpuUs(pons.pid);
    const machine0 = machineTicks();
    const t0 = performance.now();
    const l = await runLoadgen(runId);
    const elapsed = (performance.now() - t0) / 1000;
    return { loadgen: l, stored: webhookLogRows() - rows0, machine_busy_pct: busyPct(machine0, machineTicks()),
      // pons-webhook's threads: percent of one core each used during the run.
      server_thread_cpu_pct: perEvent(threadCpuUs(pons.pid), threads0, elapsed * 1e4) };
  };
  let r;
  if (withMcp) {
    // The MCP clients warm up, then the webhook load runs inside their measured part (1 s longer).
    let ingestRunning;
    const mcp = await runMcpLoadgen(pons, { warmupS: warmup, seconds: seconds + 1 },
      { start: () => { ingestRunning = measure(); } });
    r = await ingestRunning;
    r.mcp = { clients, calls: mcp.calls, ok: mcp.ok, bad: (mcp.bad ?? 0) + (mcp.warmup_bad ?? 0),
      problem: mcp.problem, calls_per_s: mcp.calls_per_s, p50_ms: mcp.p50_ms, p99_ms: mcp.p99_ms,
      sessions_deleted: mcp.deleted };
  } else {
    r = await measure();
  }
  const l = r.loadgen;
  log(`${withMcp ? 'with MCP' : 'alone   '}: ${l.rps} webhooks/s, p50 ${l.p50_ms} ms, p99 ${l.p99_ms} ms, ` +
    `${l.requests} requests, ${l.errors} errors, ${r.stored} stored, pons threads (% of a core) ${JSON.stringify(r.server_thread_cpu_pct)}, ` +
    `machine ${r.machine_busy_pct}% busy` +
    (r.mcp ? `; MCP ${r.mcp.calls_per_s} calls/s, p50 ${r.mcp.p50_ms} ms, p99 ${r.mcp.p99_ms} ms` : ''));
  return r;
}

async function ingest() {
  log(`== webhook closed loop, ${loadgenConnections} connections, ${seconds}s: alone, then with ${clients} MCP clients, ${rounds} round(s)`);
  const runs = { alone: [], with_mcp: [] };
  for (let i = 0; i < rounds; i++) {
    for (const withMcp of i % 2 === 0 ? [false, true] : [true, false]) {
      const name = withMcp ? 'with_mcp' : 'alone';
      runs[name].push(await ingestRun(`http-${name}-${i}-${process.pid}`, withMcp));
    }
  }
  const rps = (xs) => median(xs.map((r) => r.loadgen.rps));
  const out = {
    connections: loadgenConnections,
    alone: { rps: rps(runs.alone), p50_ms: median(runs.alone.map((r) => r.loadgen.p50_ms)),
      p99_ms: median(runs.alone.map((r) => r.loadgen.p99_ms)), runs: runs.alone },
    with_mcp: { rps: rps(runs.with_mcp), p50_ms: median(runs.with_mcp.map((r) => r.loadgen.p50_ms)),
      p99_ms: median(runs.with_mcp.map((r) => r.loadgen.p99_ms)),
      mcp_calls_per_s: median(runs.with_mcp.map((r) => r.mcp.calls_per_s)), runs: runs.with_mcp },
  };
  out.ratio_rps = round(out.with_mcp.rps / out.alone.rps, 2);
  log(`medians: alone ${out.alone.rps} webhooks/s, with MCP ${out.with_mcp.rps} webhooks/s: ratio ${out.ratio_rps}`);
  return out;
}

const report = { benchmark: 'mcp-http', quick, messages: Number(option('--messages', 0)), seconds, warmup_seconds: warmup,
  first_warmup_seconds: firstWarmup, clients, rounds };
report.sse = await sse();
report.get_messages = await calls();
report.latency = await latency();
report.webhook = await ingest();
if (jsonPath) writeFileSync(jsonPath, JSON.stringify(report) + '\n');
