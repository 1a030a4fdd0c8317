// pons-mcp driven by the official MCP TypeScript SDK client over stdio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, databaseIn, tempDir } from './lib.mjs';

test('the SDK client initializes, pings and lists', async () => {
  const { dir, cleanup } = tempDir();
  const { client } = await connect(['--db', await databaseIn(dir)]);
  try {
    const info = client.getServerVersion();
    assert.equal(info.name, 'pons');
    const caps = client.getServerCapabilities();
    assert.ok(caps.tools && caps.resources?.subscribe && caps.logging && caps.prompts);
    assert.ok(client.getInstructions()?.includes('WhatsApp'));
    await client.ping();
    const { tools } = await client.listTools();
    assert.ok(Array.isArray(tools));
    for (const tool of tools) {
      assert.equal(tool.inputSchema.type, 'object');
      assert.ok(tool.description.length > 20, `${tool.name} needs a description`);
    }
    await client.setLoggingLevel('warning');
  } finally {
    await client.close();
    cleanup();
  }
});
