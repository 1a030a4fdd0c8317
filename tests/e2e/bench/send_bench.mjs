// Send round trip of pons-mcp against the fake Graph API over HTTPS (a throw-away CA made with
// the openssl CLI, trusted through WA_GRAPH_CA_FILE, so the client's real TLS path runs).
// Usage: node send_bench.mjs PONS_MCP PONS_FAKE_GRAPH PONS_MCP_SEED SEED_SQL [SENDS]
// Prints the first send (a fresh Graph client: TLS context and connection), the median and p90
// of the following ones, and how many connections to the API are open at the end. Sends alternate between two contacts to stay within Meta's pair
// rate (45 in a burst per recipient), which pons paces like Meta.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rpcSession } from './rpc_session.mjs';

const [binary, fakeBinary, seedBinary, seedSql, sendsArg] = process.argv.slice(2);
const sends = Number(sendsArg ?? 60);
const dir = mkdtempSync(path.join(tmpdir(), 'pons-send-bench-'));
const file = (name) => path.join(dir, name);

// A CA and a certificate for localhost / 127.0.0.1 signed by it.
const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.pem'),
  '-subj', '/CN=pons bench CA', '-days', '1');
openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('key.pem'), '-out', file('srv.csr'),
  '-subj', '/CN=localhost');
writeFileSync(file('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
openssl('x509', '-req', '-in', file('srv.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
  '-CAcreateserial', '-out', file('cert.pem'), '-days', '1', '-extfile', file('ext.cnf'));

const fake = spawn(fakeBinary, ['--host', '127.0.0.1', '--port', '0', '--port-file', file('port'),
  '--tls-cert', file('cert.pem'), '--tls-key', file('key.pem'), '--token', 'bench-token'],
{ stdio: ['ignore', 'ignore', 'ignore'] });
let port = 0;
for (let i = 0; i < 200 && !port; i++) {
  if (existsSync(file('port'))) port = Number(readFileSync(file('port'), 'utf8').trim());
  if (!port) await new Promise((r) => setTimeout(r, 25));
}
if (!port) throw new Error('pons-fake-graph did not start');

const db = file('pons.db');
execFileSync(seedBinary, [db, seedSql]);
const { child, request } = rpcSession(binary, ['--db', db], {
  env: { PATH: process.env.PATH, WA_GRAPH_BASE_URL: `https://localhost:${port}`,
    WA_GRAPH_CA_FILE: file('ca.pem'), WA_ACCESS_TOKEN: 'bench-token' },
});

await request('initialize', { protocolVersion: '2025-11-25', capabilities: {},
  clientInfo: { name: 'send-bench', version: '1' } });
const times = [];
for (let i = 0; i < sends; i++) {
  // Carol wrote to the second number: her window is open from there.
  const args = i % 2 ? { to: 'Carol', from: '200000000000002' } : { to: 'Alice Smith' };
  const t = performance.now();
  const r = await request('tools/call', { name: 'send_text', arguments: { ...args, text: `bench ${i}` } });
  times.push(performance.now() - t);
  if (r.error || r.result.isError) throw new Error(`send failed: ${JSON.stringify(r)}`);
}
// Keep-alive: how many connections pons-mcp holds to the fake now (needs iproute2's ss).
let connections = 'unknown';
try {
  const out = execFileSync('ss', ['-tnH', 'state', 'established', `( dport = :${port} )`]).toString();
  connections = String(out.split('\n').filter((l) => l.trim()).length);
} catch { /* ss missing: leave it unknown */ }
child.stdin.end();
fake.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });

const rest = times.slice(1).sort((a, b) => a - b);
const at = (q) => rest[Math.min(rest.length - 1, Math.floor(rest.length * q))];
console.log(`send_text over https: first ${times[0].toFixed(1)} ms, then median ${at(0.5).toFixed(2)} ms, ` +
  `p90 ${at(0.9).toFixed(2)} ms (${rest.length} sends); open connections to the API: ${connections}`);
