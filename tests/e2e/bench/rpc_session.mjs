// A raw newline-delimited JSON-RPC session with a spawned pons-mcp, for the benchmarks: they
// time single round trips, so they talk to the process directly instead of through the SDK.
import { spawn } from 'node:child_process';

/// Spawns `binary` with `args` (and spawn `options`: env, ...); returns the child, a
/// `request(method, params)` that resolves with the answer whose id matches, and `exited`.
export function rpcSession(binary, args, options = {}) {
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'ignore'], ...options });
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
      waiting.delete(message.id);
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
