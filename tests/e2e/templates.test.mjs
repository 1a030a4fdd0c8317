// Templates through the real pons-mcp and the fake Graph API: list_templates on a database nobody
// synced says so and how to fix it, sync_templates fetches them (a write-like tool, hidden with
// --read-only), and list_templates then says when they were synced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Ajv from 'ajv';
import { connect, startFakeGraph, tempDir } from './lib.mjs';

const waba = '100000000000001';  // the fake's WABA (startFakeGraph)
const ajv = new Ajv({ strict: false });

test('sync_templates fetches the templates list_templates then shows, with the sync time', async () => {
  const t = tempDir();
  const fake = await startFakeGraph(t.dir);
  let session;
  try {
    session = await connect(['--db', path.join(t.dir, 'pons.db')], {
      WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token',
      WA_PHONE_NUMBER_ID: '106540352242922', WA_WABA_ID: waba,
    });
    const { client } = session;
    const tools = new Map((await client.listTools()).tools.map((x) => [x.name, x]));
    const sync = tools.get('sync_templates');
    assert.ok(sync, 'sync_templates is listed');
    assert.equal(sync.annotations.readOnlyHint, false);
    assert.equal(sync.annotations.destructiveHint, false);

    const before = await client.callTool({ name: 'list_templates', arguments: {} });
    assert.deepEqual(before.structuredContent.templates, []);
    assert.match(before.content[0].text, /never been synced/);
    assert.match(before.content[0].text, /call sync_templates/);

    const synced = await client.callTool({ name: 'sync_templates', arguments: {} });
    assert.equal(synced.isError, undefined, JSON.stringify(synced));
    assert.ok(ajv.compile(sync.outputSchema)(synced.structuredContent));
    const [account] = synced.structuredContent.accounts;
    assert.equal(account.waba_id, waba);
    assert.equal(account.templates, 5);
    assert.equal(account.approved, 4);
    assert.equal(account.added, 5);
    assert.match(synced.content[0].text, new RegExp(`Account ${waba}: 5 templates \\(4 approved\\): 5 added, 0 updated, 0 removed`));

    const after = await client.callTool({ name: 'list_templates', arguments: {} });
    const names = after.structuredContent.templates.map((x) => x.name);
    assert.ok(names.includes('hello_world'), names.join(', '));
    assert.ok(!names.includes('summer_launch'));  // REJECTED
    assert.ok(ajv.compile(tools.get('list_templates').outputSchema)(after.structuredContent));
    const [state] = after.structuredContent.synced;
    assert.equal(state.waba_id, waba);
    assert.match(state.synced_at, /^\d{4}-\d\d-\d\dT/);
    assert.match(after.content[0].text, new RegExp(`synced from Meta at ${state.synced_at}`));

    // Meta refuses: the tool says what happened and what to do; list_templates keeps the list
    // and tells when the last sync failed.
    await fetch(`${fake.base}/_fake/inject`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ path: '/message_templates', code: 190, times: 1 }) });
    const refused = await client.callTool({ name: 'sync_templates', arguments: { account: waba } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /access token/);
    const stale = await client.callTool({ name: 'list_templates', arguments: {} });
    assert.equal(stale.structuredContent.templates.length, 4);
    assert.match(stale.structuredContent.synced[0].error, /access token/);

    const unknown = await client.callTool({ name: 'sync_templates', arguments: { account: '999' } });
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0].text, new RegExp(`999.*${waba}`, 's'));
  } finally {
    await session?.client.close();
    fake.child.kill('SIGTERM');
    t.cleanup();
  }
});

test('--read-only has no sync_templates; list_templates then points at pons-webhook', async () => {
  const t = tempDir();
  try {
    const ro = await connect(['--db', path.join(t.dir, 'pons.db'), '--read-only']);
    const names = (await ro.client.listTools()).tools.map((x) => x.name);
    assert.ok(!names.includes('sync_templates'));
    const empty = await ro.client.callTool({ name: 'list_templates', arguments: {} });
    assert.match(empty.content[0].text, /pons-webhook templates sync/);
    await ro.client.close();
  } finally {
    t.cleanup();
  }
});
