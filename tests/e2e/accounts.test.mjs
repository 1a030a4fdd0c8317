// pons-mcp on a database pons-webhook has not written yet, with exactly the environment
// --print-config asks for: it records and uses the number it is configured with. And with no
// number at all, a send says what to set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, rawSession, seed, startFakeGraph, tempDir } from './lib.mjs';

const waba = '100000000000001';  // the fake's WABA (startFakeGraph)
const pnid = '106540352242922';

// `name` (wa_id `waId`) wrote an hour ago to our number `number` of account `account` (as
// pons-webhook would have stored it), so the 24-hour window is open. Written after pons-mcp
// recorded the numbers it is configured with.
function wrote(account, number, waId, name) {
  const hourAgo = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 hour')";
  return `
INSERT INTO contacts(account_id, wa_id, profile_name, created_at, updated_at)
  SELECT id, '${waId}', '${name}', ${hourAgo}, ${hourAgo} FROM accounts WHERE waba_id = '${account}';
INSERT INTO conversations(phone_number_id, contact_id, last_message_at, last_inbound_at,
  last_direction, preview, unread_count, window_expires_at, created_at, updated_at)
  SELECT '${number}', id, ${hourAgo}, ${hourAgo}, 'inbound', 'Hello?', 1,
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+23 hours'), ${hourAgo}, ${hourAgo}
  FROM contacts WHERE wa_id = '${waId}';
`;
}

async function seedSql(dir, db, sql) {
  const file = path.join(dir, `seed-${Math.random().toString(36).slice(2)}.sql`);
  writeFileSync(file, sql);
  await seed(db, file);
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

    await seedSql(t.dir, db, wrote(waba, pnid, '447700900001', 'Ada'));
    const sent = await client.callTool({ name: 'send_text', arguments: { to: 'Ada', text: 'Yes, we are open.' } });
    assert.equal(sent.isError, undefined, JSON.stringify(sent));
    assert.equal(sent.structuredContent.state, 'sent');
    const { requests } = await (await fetch(`${fake.base}/_fake/requests`)).json();
    const post = requests.find((r) => r.json?.type === 'text');
    assert.equal(post.path, `/v26.0/${pnid}/messages`);
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

test('each account sends with its own token from PONS_CONFIG or --config', async () => {
  const t = tempDir();
  const fake = await startFakeGraph(t.dir);
  const db = path.join(t.dir, 'pons.db');
  // Meta: each number accepts only its own account's token.
  await fetch(`${fake.base}/_fake/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ numbers: { 1001: 'token-a', 2002: 'token-b' } }) });
  const config = (tokenB) => JSON.stringify({ accounts: [
    { waba_id: '111', access_token: 'token-a', phone_numbers: ['1001'] },
    { waba_id: '222', access_token: tokenB, phone_numbers: [{ phone_number_id: '2002', display_phone_number: '15550002002' }] }] });
  const cfg = path.join(t.dir, 'accounts.json');
  writeFileSync(cfg, config('token-b'), { mode: 0o600 });
  let session;
  try {
    session = await connect(['--db', db], { WA_GRAPH_BASE_URL: fake.base, PONS_CONFIG: cfg });
    const { client } = session;
    const listed = await client.callTool({ name: 'list_accounts', arguments: {} });
    assert.deepEqual(listed.structuredContent.accounts.map((a) => a.waba_id), ['111', '222']);
    await seedSql(t.dir, db, wrote('111', '1001', '447700900001', 'Ada') + wrote('222', '2002', '447700900002', 'Bob'));
    const toAda = await client.callTool({ name: 'send_text', arguments: { to: 'Ada', from: '1001', text: 'From shop A' } });
    assert.equal(toAda.structuredContent.state, 'sent', JSON.stringify(toAda));
    const toBob = await client.callTool({ name: 'send_text', arguments: { to: 'Bob', from: '+1 555-000-2002', text: 'From shop B' } });
    assert.equal(toBob.structuredContent.state, 'sent', JSON.stringify(toBob));
    const { requests } = await (await fetch(`${fake.base}/_fake/requests`)).json();
    assert.ok(requests.every((r) => r.auth === 'ok'), JSON.stringify(requests.map((r) => [r.path, r.auth])));
    await session.client.close();

    // Account 222 given account 111's token (--config this time): Meta refuses the number, and
    // the error says what happened and what to do.
    const wrong = path.join(t.dir, 'wrong.json');
    writeFileSync(wrong, config('token-a'), { mode: 0o600 });
    session = await connect(['--db', db, '--config', wrong], { WA_GRAPH_BASE_URL: fake.base });
    const refused = await session.client.callTool({ name: 'send_text', arguments: { to: 'Bob', from: '2002', text: 'Again' } });
    assert.equal(refused.isError, true);
    assert.equal(refused.structuredContent.error_code, 200);
    assert.match(refused.content[0].text, /permission/i);
  } finally {
    await session?.client.close();
    fake.child.kill('SIGTERM');
    t.cleanup();
  }
});

test('a config file others can read is refused at start, saying how to fix it', async () => {
  const t = tempDir();
  try {
    const cfg = path.join(t.dir, 'accounts.json');
    writeFileSync(cfg, JSON.stringify({ accounts: [] }), { mode: 0o644 });
    const s = rawSession(['--db', path.join(t.dir, 'pons.db'), '--config', cfg]);
    const { code } = await s.exited;
    assert.equal(code, 2);
    assert.match(s.stderr(), /chmod 600/);
  } finally {
    t.cleanup();
  }
});
