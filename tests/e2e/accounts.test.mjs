// pons-mcp on a database pons-webhook has not written yet, with exactly the environment
// --print-config asks for: it records and uses the number it is configured with. And with no
// number at all, a send says what to set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, seed, startFakeGraph, tempDir } from './lib.mjs';

const waba = '100000000000001';  // the fake's WABA (startFakeGraph)
const pnid = '106540352242922';

// Ada wrote an hour ago to our number (as pons-webhook would have stored it), so the 24-hour
// window is open. Written after pons-mcp recorded the number it is configured with.
function adaWrote(account) {
  return `
INSERT INTO contacts(account_id, wa_id, profile_name, created_at, updated_at)
  SELECT id, '447700900001', 'Ada', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour'),
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour') FROM accounts WHERE waba_id = '${account}';
INSERT INTO conversations(phone_number_id, contact_id, last_message_at, last_inbound_at,
  last_direction, preview, unread_count, window_expires_at, created_at, updated_at)
  SELECT '${pnid}', id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour'),
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour'), 'inbound', 'Hello?', 1,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+23 hours'),
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour'),
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour') FROM contacts WHERE wa_id = '447700900001';
`;
}

test('pons-mcp records the number it is configured with, lists it and sends from it', async () => {
  const t = tempDir();
  const fake = await startFakeGraph(t.dir);
  const db = path.join(t.dir, 'pons.db');
  let session;
  try {
    session = await connect(['--db', db], {
      WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token',
      WA_PHONE_NUMBER_ID: pnid, WA_WABA_ID: waba,
    });
    const { client } = session;
    const accounts = await client.callTool({ name: 'list_accounts', arguments: {} });
    assert.doesNotMatch(accounts.content[0].text, /No WhatsApp account/);
    assert.equal(accounts.structuredContent.accounts.length, 1);
    assert.equal(accounts.structuredContent.accounts[0].waba_id, waba);
    assert.deepEqual(accounts.structuredContent.accounts[0].phone_numbers.map((p) => p.phone_number_id), [pnid]);
    assert.equal(accounts.structuredContent.default_sender, pnid);

    const sql = path.join(t.dir, 'ada.sql');
    writeFileSync(sql, adaWrote(waba));
    await seed(db, sql);
    const sent = await client.callTool({ name: 'send_text', arguments: { to: 'Ada', text: 'Yes, we are open.' } });
    assert.equal(sent.isError, undefined, JSON.stringify(sent));
    assert.equal(sent.structuredContent.state, 'sent');
    const { requests } = await (await fetch(`${fake.base}/_fake/requests`)).json();
    const post = requests.find((r) => r.json?.type === 'text');
    assert.equal(post.path, `/v25.0/${pnid}/messages`);
    assert.equal(post.auth, 'ok');
    assert.equal(post.json.to, '447700900001');
  } finally {
    await session?.client.close();
    fake.child.kill('SIGTERM');
    t.cleanup();
  }
});

test('with no number configured, a send says to set WA_PHONE_NUMBER_ID', async () => {
  const t = tempDir();
  let session;
  try {
    session = await connect(['--db', path.join(t.dir, 'pons.db')], { WA_ACCESS_TOKEN: 'a-token' });
    const { client } = session;
    const refused = await client.callTool({ name: 'send_text', arguments: { to: '+44 7700 900001', text: 'Hi' } });
    assert.equal(refused.isError, true);
    const text = refused.content[0].text;
    assert.doesNotMatch(text, /Several numbers/);
    assert.match(text, /No WhatsApp number is configured/);
    assert.match(text, /WA_PHONE_NUMBER_ID/);
    const accounts = await client.callTool({ name: 'list_accounts', arguments: {} });
    assert.match(accounts.content[0].text, /WA_PHONE_NUMBER_ID/);
  } finally {
    await session?.client.close();
    t.cleanup();
  }
});
