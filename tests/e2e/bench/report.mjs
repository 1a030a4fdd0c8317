// The benchmark report of scripts/bench: merges the figures each scripts/bench-<name> wrote as
// JSON with the machine they came from into ONE report, checks the counts (never the timings),
// and prints a short table.
//   node report.mjs --out REPORT.json --commit SHA --load-before "a b c" [--quick] NAME=FILE...
//   node report.mjs --verify REPORT.json [NAME...]   (exit 1 unless well formed and every count
//                                                     is right; used by the bench:quick test)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const valued = new Set(['--out', '--commit', '--load-before', '--verify', '--build']);
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1])));

// Count checks per benchmark: a list of failures (empty: every count is right).
const checks = {
  webhook(r) {
    const problems = [];
    for (const run of ['closed', 'closed_wide', 'open']) {
      const x = r[run];
      if (!x) { problems.push(`${run}: missing`); continue; }
      const statuses = x.loadgen.statuses ?? {};
      const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
      if (!(x.loadgen.requests > 0)) problems.push(`${run}: no requests`);
      if (x.loadgen.errors !== 0) problems.push(`${run}: ${x.loadgen.errors} connection errors`);
      if (answered !== x.loadgen.requests) problems.push(`${run}: ${x.loadgen.requests} requests, ${answered} answers`);
      // Every request answered 200 is in webhook_log, and nothing else is.
      if ((statuses['200'] ?? 0) !== x.stored.webhook_log) {
        problems.push(`${run}: ${statuses['200'] ?? 0} answered 200 but ${x.stored.webhook_log} in webhook_log`);
      }
    }
    return problems;
  },
  postgresql(r) {
    const problems = [];
    const runs = [];
    for (const kind of ['peer', 'one', 'two']) {
      if (!Array.isArray(r[kind]?.runs) || r[kind].runs.length === 0) { problems.push(`${kind}: no runs`); continue; }
      r[kind].runs.forEach((x, i) => runs.push([`${kind} round ${i + 1}`, x]));
    }
    for (const kind of ['open', 'open_one']) {
      if (!r[kind]) problems.push(`${kind}: missing`);
      else runs.push([kind, r[kind]]);
    }
    for (const [name, x] of runs) {
      const statuses = x.loadgen?.statuses ?? {};
      const answered = Object.values(statuses).reduce((a, b) => a + b, 0);
      if (!(x.loadgen?.requests > 0)) problems.push(`${name}: no requests`);
      if (x.loadgen?.errors !== 0) problems.push(`${name}: ${x.loadgen?.errors} connection errors`);
      if (answered !== x.loadgen?.requests) problems.push(`${name}: ${x.loadgen?.requests} requests, ${answered} answers`);
      // Every request answered 200 was logged in its committed transaction, and nothing else.
      if ((statuses['200'] ?? 0) !== x.logged) problems.push(`${name}: ${statuses['200'] ?? 0} answered 200 but ${x.logged} logged`);
    }
    if (!Array.isArray(r.mcp?.tools) || r.mcp.tools.length === 0) problems.push('mcp: no tool figures');
    for (const t of r.mcp?.tools ?? []) if (t.ok !== t.calls) problems.push(`mcp ${t.label}: ${t.ok}/${t.calls} calls ok`);
    return problems;
  },
  mcp(r) {
    const problems = [];
    const s = r.spawn_initialize_ms;
    if (!s || s.answered !== s.runs || !(s.runs > 0)) problems.push('not every spawn answered initialize');
    if (!Array.isArray(r.tools) || r.tools.length === 0) problems.push('no tool figures');
    for (const t of r.tools ?? []) if (t.ok !== t.calls) problems.push(`${t.label}: ${t.ok}/${t.calls} calls ok`);
    if (!(r.peak_rss_kb > 0)) problems.push('no peak RSS');
    return problems;
  },
  dashboard(r) {
    const problems = [];
    for (const page of ['inbox_first_load', 'thread_first_load']) {
      const x = r[page];
      if (!x || !(x.runs > 0)) problems.push(`${page}: no runs`);
      else if (!(x.items_shown > 0)) problems.push(`${page}: nothing shown`);
    }
    const live = r.webhook_to_visible;
    if (!live || !(live.posted > 0)) problems.push('webhook_to_visible: nothing posted');
    else {
      if (live.accepted !== live.posted) problems.push(`webhook_to_visible: ${live.accepted}/${live.posted} answered 200`);
      if (live.seen !== live.posted) problems.push(`webhook_to_visible: ${live.seen}/${live.posted} shown`);
    }
    if (!(r.assets_bytes?.total > 0)) problems.push('no asset sizes');
    return problems;
  },
  'mcp-http'(r) {
    const problems = [];
    const s = r.sse;
    if (!s) {
      problems.push('sse: missing');
    } else {
      if (!(s.sessions > 0)) problems.push('sse: no sessions');
      for (const k of ['opened', 'streams_open', 'sessions_deleted']) {
        if (s[k] !== s.sessions) problems.push(`sse: ${k} ${s[k]} of ${s.sessions}`);
      }
      if (s.streams_ended_early !== 0) problems.push(`sse: ${s.streams_ended_early} streams ended while open`);
      if (!(s.sessions_gauge >= s.sessions)) problems.push(`sse: pons_mcp_http_sessions ${s.sessions_gauge}, ${s.sessions} opened`);
      if (!(s.open?.rss_kb > 0)) problems.push('sse: no RSS');
      if (s.bar_judged && !(s.open?.rss_kb <= s.rss_bar_kb)) {
        problems.push(`sse: ${s.open?.rss_kb} kB resident with ${s.sessions} sessions, over the ${s.rss_bar_kb} kB bar`);
      }
    }
    for (const [part, target] of [['get_messages', 'pons'], ['get_messages', 'peer'], ['latency', 'pons'], ['latency', 'peer']]) {
      const runs = r[part]?.[target]?.runs;
      if (!Array.isArray(runs) || runs.length === 0) { problems.push(`${part} ${target}: missing`); continue; }
      runs.forEach((x, i) => {
        const name = `${part} ${target} round ${i + 1}`;
        if (!(x.calls > 0)) problems.push(`${name}: no calls`);
        if (x.bad !== 0 || x.ok !== x.calls || x.warmup_bad !== 0) {
          problems.push(`${name}: ${x.bad + x.warmup_bad} answers not a result with 50 messages (${x.problem})`);
        }
        if (x.sessions_deleted !== x.sessions) problems.push(`${name}: ${x.sessions_deleted} of ${x.sessions} sessions deleted`);
        // In the closed loop no connection is ever idle, so none may have been closed and opened
        // again: a reconnection there is a client or a server dropping a keep-alive connection.
        if (part === 'get_messages' && x.reconnects !== 0) problems.push(`${name}: ${x.reconnects} reconnections`);
      });
    }
    for (const run of ['alone', 'with_mcp']) {
      const runs = r.webhook?.[run]?.runs;
      if (!Array.isArray(runs) || runs.length === 0) { problems.push(`webhook ${run}: missing`); continue; }
      runs.forEach((x, i) => {
        const name = `webhook ${run} round ${i + 1}`;
        const l = x.loadgen ?? {};
        const answered = Object.values(l.statuses ?? {}).reduce((a, b) => a + b, 0);
        if (!(l.requests > 0)) problems.push(`${name}: no requests`);
        if (l.errors !== 0) problems.push(`${name}: ${l.errors} connection errors`);
        if (answered !== l.requests) problems.push(`${name}: ${l.requests} requests, ${answered} answers`);
        if ((l.statuses?.['200'] ?? 0) !== x.stored) problems.push(`${name}: ${l.statuses?.['200'] ?? 0} answered 200 but ${x.stored} in webhook_log`);
        if (run === 'with_mcp' && (!(x.mcp?.ok > 0) || x.mcp.bad !== 0)) {
          problems.push(`${name}: MCP ${x.mcp?.ok} ok, ${x.mcp?.bad} not a result with 50 messages (${x.mcp?.problem})`);
        }
        if (run === 'with_mcp' && x.mcp?.sessions_deleted !== x.mcp?.clients) {
          problems.push(`${name}: MCP ${x.mcp?.sessions_deleted} of ${x.mcp?.clients} sessions deleted`);
        }
      });
    }
    return problems;
  },
  forward(r) {
    const problems = [];
    const expected = (r.burst?.events ?? 0) + (r.paced?.events ?? 0) + (r.backlog?.events ?? 0);
    if (!(expected > 0) || r.events !== expected) problems.push(`events ${r.events}, expected ${expected}`);
    if (r.received !== r.events) problems.push(`received ${r.received} of ${r.events}`);
    for (const k of ['missing', 'duplicates', 'bad_signatures', 'unexpected', 'webhooks_not_200']) {
      if (r[k] !== 0) problems.push(`${k}: ${r[k]}`);
    }
    if (r.deliveries_succeeded !== r.events) problems.push(`${r.deliveries_succeeded} deliveries succeeded of ${r.events}`);
    return problems;
  },
  crash(r) {
    const problems = [];
    if (!r.passed) problems.push('the crash test failed');
    if (r.cycles !== r.requested_cycles) problems.push(`${r.cycles} of ${r.requested_cycles} kill/restart cycles ran`);
    if (!(r.acknowledged > 0)) problems.push('no webhook was acknowledged');
    if (!(r.unknown_stored <= r.unknown)) problems.push('more cut-off payloads stored than cut off');
    return problems;
  },
};

const f = (x, digits = 1) => (typeof x === 'number' ? x.toFixed(digits) : '?');
const int = (x) => (typeof x === 'number' ? Math.round(x).toLocaleString('en-US') : '?');

function table(report) {
  const rows = [];
  const b = report.benchmarks;
  if (b.webhook) {
    for (const run of ['closed', 'closed_wide', 'open']) {
      const l = b.webhook[run]?.loadgen;
      if (!l) continue;
      rows.push(['webhook', `${run.startsWith('closed') ? 'closed loop' : `open loop ${l.mode.slice(5)}`}, ${l.connections} conn`,
        `${int(l.rps)} req/s, p50 ${f(l.p50_ms)} ms, p99 ${f(l.p99_ms)} ms`]);
    }
  }
  if (b.postgresql) {
    const p = b.postgresql;
    rows.push(['postgresql', `closed loop, ${p.connections} conn, Express + pg peer`, `${int(p.peer?.median_rps)} req/s (median), p99 ${f(p.peer?.median_p99_ms)} ms`]);
    rows.push(['postgresql', `closed loop, ${p.connections} conn, pons-webhook x1`,
      `${int(p.one?.median_rps)} req/s (median), p99 ${f(p.one?.median_p99_ms)} ms, ${f(p.ratios?.one_vs_peer, 2)}x the peer`]);
    rows.push(['postgresql', `closed loop, ${p.connections} conn, pons-webhook x2 + HAProxy`,
      `${int(p.two?.median_rps)} req/s (median), p99 ${f(p.two?.median_p99_ms)} ms, ${f(p.ratios?.two_vs_peer, 2)}x the peer, ${f(p.ratios?.two_vs_one, 2)}x one`]);
    for (const [run, label] of [['open', 'x2 + HAProxy'], ['open_one', 'x1']]) {
      const o = p[run]?.loadgen;
      if (!o) continue;
      rows.push(['postgresql', `open loop ${p.rate}/s, ${label}`, `p50 ${f(o.p50_ms)} ms, p99 ${f(o.p99_ms)} ms`]);
      if (o.settle_s) {
        rows.push(['postgresql', `open loop ${p.rate}/s, ${label}, after its first ${o.settle_s} s`,
          `p50 ${f(o.settled_p50_ms)} ms, p99 ${f(o.settled_p99_ms)} ms`]);
      }
    }
    for (const t of p.mcp?.tools ?? []) {
      rows.push(['postgresql', `pons-mcp ${t.label}, ${int(p.mcp.messages)} msgs`, `median ${f(t.median_ms, 2)} ms, p99 ${f(t.p99_ms, 2)} ms`]);
    }
  }
  if (b.mcp) {
    const s = b.mcp.spawn_initialize_ms;
    rows.push(['mcp', `spawn -> initialize (${int(b.mcp.messages)} msgs)`, `median ${f(s?.median, 2)} ms, p99 ${f(s?.p99, 2)} ms`]);
    for (const t of b.mcp.tools ?? []) rows.push(['mcp', t.label, `median ${f(t.median_ms, 2)} ms, p99 ${f(t.p99_ms, 2)} ms`]);
    rows.push(['mcp', 'peak RSS', `${f(b.mcp.peak_rss_kb / 1024)} MB`]);
  }
  if (b['mcp-http']) {
    const h = b['mcp-http'];
    const g = h.get_messages ?? {};
    for (const [target, label] of [['pons', 'pons-webhook'], ['peer', 'TypeScript SDK peer']]) {
      const x = g[target];
      if (!x) continue;
      rows.push(['mcp-http', `get_messages over HTTP, ${h.clients} clients, ${label}`,
        `${int(x.calls_per_s)} calls/s, p50 ${f(x.p50_ms)} ms, p99 ${f(x.p99_ms)} ms, server CPU ${int(x.server_cpu_us_per_call)} us/call`]);
    }
    if (g.pons && g.peer) {
      rows.push(['mcp-http', 'get_messages, pons / peer', `${f(g.ratio_calls_per_s, 2)}x calls/s, ${f(g.ratio_server_cpu_per_call, 2)}x CPU per call`]);
    }
    const lat = h.latency ?? {};
    for (const [target, label] of [['pons', 'pons-webhook'], ['peer', 'TypeScript SDK peer']]) {
      const x = lat[target];
      if (!x) continue;
      rows.push(['mcp-http', `get_messages at ${int(lat.rate)} calls/s (open loop), ${label}`,
        `p50 ${f(x.p50_ms)} ms, p90 ${f(x.p90_ms)} ms, p99 ${f(x.p99_ms)} ms, server CPU ${int(x.server_cpu_us_per_call)} us/call`]);
    }
    const s = h.sse;
    if (s) {
      rows.push(['mcp-http', `${int(s.sessions)} sessions with a GET stream open`,
        `RSS ${f(s.before?.rss_kb / 1024)} MB -> ${f(s.open?.rss_kb / 1024)} MB (bar ${f(s.rss_bar_kb / 1024, 0)} MB: ` +
        `${s.bar_judged ? (s.rss_within_bar ? 'pass' : 'FAIL') : 'not judged in a smoke run'})`]);
    }
    const w = h.webhook;
    if (w) {
      rows.push(['mcp-http', `webhook closed loop, ${w.connections} conn, alone`, `${int(w.alone.rps)} req/s, p99 ${f(w.alone.p99_ms)} ms`]);
      rows.push(['mcp-http', `webhook closed loop, with ${h.clients} MCP clients`,
        `${int(w.with_mcp.rps)} req/s (${f(w.ratio_rps, 2)}x), p99 ${f(w.with_mcp.p99_ms)} ms; MCP ${int(w.with_mcp.mcp_calls_per_s)} calls/s`]);
    }
  }
  if (b.forward) {
    const { burst, paced } = b.forward;
    rows.push(['forward', `burst of ${int(burst.events)} events`,
      `${int(burst.deliveries_per_s)} deliveries/s, p50 ${f(burst.latency_ms.p50)} ms, p99 ${f(burst.latency_ms.p99)} ms`]);
    rows.push(['forward', `paced at ${paced.rate_per_s}/s`,
      `p50 ${f(paced.latency_ms.p50)} ms, p99 ${f(paced.latency_ms.p99)} ms, max ${f(paced.latency_ms.max)} ms`]);
    const backlog = b.forward.backlog;
    if (backlog) {
      rows.push(['forward', `backlog of ${int(backlog.events)} events`,
        `${int(backlog.deliveries_per_s)} deliveries/s (${int(backlog.drained_after_release)} drained in ${f(backlog.drain_seconds, 2)} s)`]);
    }
  }
  if (b.dashboard) {
    const d = b.dashboard;
    rows.push(['dashboard', `inbox first load, ${int(d.conversations)} conversations`,
      `median ${f(d.inbox_first_load.median_ms)} ms, p95 ${f(d.inbox_first_load.p95_ms)} ms`]);
    rows.push(['dashboard', `thread of 1,000 messages, first load`,
      `median ${f(d.thread_first_load.median_ms)} ms, p95 ${f(d.thread_first_load.p95_ms)} ms`]);
    rows.push(['dashboard', 'webhook to visible in the open thread',
      `median ${f(d.webhook_to_visible.median_ms)} ms, p99 ${f(d.webhook_to_visible.p99_ms)} ms`]);
    rows.push(['dashboard', 'JavaScript and CSS shipped', `${int(d.assets_bytes.total)} bytes`]);
  }
  if (b.crash) {
    rows.push(['crash', `${b.crash.cycles} SIGKILL/restart cycles`,
      `${int(b.crash.acknowledged)} webhooks answered 200 (all stored once), ${int(b.crash.unknown)} cut off, ${f(b.crash.seconds)} s`]);
  }
  for (const [name, problems] of Object.entries(report.problems)) {
    rows.push([name, 'counts', problems.length === 0 ? 'ok' : `FAILED: ${problems.join('; ')}`]);
  }
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const m = report.machine;
  const lines = [`bench report ${report.date} commit ${report.commit.slice(0, 12)}${report.quick ? ' (quick)' : ''}`,
    `machine: ${m.cores} x ${m.cpu_model}, ${f(m.memory_gb)} GB, kernel ${m.kernel}, load ${m.load_average_before.join(' ')} -> ${m.load_average_after.join(' ')}`];
  for (const r of rows) lines.push(`${r[0].padEnd(w[0])}  ${r[1].padEnd(w[1])}  ${r[2]}`);
  return lines.join('\n');
}

function verify(path, expected) {
  const problems = [];
  let report;
  try {
    report = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    console.error(`${path}: ${e.message}`);
    process.exit(1);
  }
  if (!/^[0-9a-f]{40}$/.test(report.commit ?? '')) problems.push('commit is not a git sha');
  if (Number.isNaN(Date.parse(report.date))) problems.push('date is not a date');
  const m = report.machine ?? {};
  if (!(m.cores > 0) || !m.cpu_model || !m.kernel) problems.push('machine info incomplete');
  if (!Array.isArray(m.load_average_before) || m.load_average_before.length !== 3) problems.push('no load average');
  for (const name of expected) {
    const r = report.benchmarks?.[name];
    if (!r) { problems.push(`${name}: missing`); continue; }
    if (r.benchmark !== name) problems.push(`${name}: names itself ${r.benchmark}`);
    // Recomputed here, not trusted from the report.
    for (const p of checks[name](r)) problems.push(`${name}: ${p}`);
  }
  if (problems.length) {
    console.error(`${path}: ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`${path}: well formed; counts right for ${expected.join(', ')}`);
}

if (option('--verify')) {
  verify(option('--verify'), positional.length ? positional : Object.keys(checks));
  process.exit(0);
}

const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
const report = {
  schema: 1,
  date: new Date().toISOString(),
  commit: option('--commit') ?? '',
  quick: args.includes('--quick'),
  build: option('--build') ?? '',
  machine: {
    cores: os.cpus().length,
    cpu_model: (cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? os.cpus()[0]?.model ?? '').trim(),
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    load_average_before: (option('--load-before') ?? '').split(/\s+/).filter(Boolean).map(Number),
    load_average_after: os.loadavg().map((x) => Math.round(x * 100) / 100),
  },
  benchmarks: {},
  problems: {},
};
for (const item of positional) {
  const [name, file] = item.split('=');
  if (!checks[name]) throw new Error(`unknown benchmark ${name}`);
  if (!existsSync(file)) {
    report.problems[name] = ['no figures (the benchmark failed before writing them)'];
    continue;
  }
  report.benchmarks[name] = JSON.parse(readFileSync(file, 'utf8'));
  report.problems[name] = checks[name](report.benchmarks[name]);
}
report.ok = Object.values(report.problems).every((p) => p.length === 0);
writeFileSync(option('--out'), JSON.stringify(report, null, 2) + '\n');
console.log(table(report));
console.log(`report: ${option('--out')}`);
process.exit(report.ok ? 0 : 1);
