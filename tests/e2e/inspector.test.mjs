// The MCP inspector CLI (an independent client) lists pons-mcp's tools.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { binary, tempDir } from './lib.mjs';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

test('inspector --cli lists the tools', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const pkg = path.dirname(require.resolve('@modelcontextprotocol/inspector/package.json'));
    const cli = path.join(pkg, 'cli', 'build', 'cli.js');
    const { stdout } = await run(process.execPath,
      [cli, '--cli', binary, '--db', path.join(dir, 'pons.db'), '--method', 'tools/list'],
      { timeout: 60000 });
    const listed = JSON.parse(stdout);
    const names = listed.tools.map((t) => t.name);
    for (const name of ['list_conversations', 'get_messages', 'search_messages', 'wait_for_messages']) {
      assert.ok(names.includes(name), `${name} in ${names}`);
    }
  } finally { cleanup(); }
});
