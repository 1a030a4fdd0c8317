// get_number_health end to end: pons-mcp (official SDK client) asks the fake Graph API for the
// number's standing, beside what Meta's signed phone_number_quality_update, phone_number_name_update
// and account_update webhooks told a real pons-webhook; a token Meta refuses is explained.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { connect, postSigned, startFakeGraph, startWebhook, tempDir, textPayload, webhookAppSecret } from './lib.mjs';

const waba = '419561257915477';
const number = '106540352242922';
let t;
let fake;
let webhook;

// One of Meta's documented webhooks about our account, as Meta signs it for this account.
function accountWebhook(name) {
  const fixture = JSON.parse(readFileSync(path.join(process.env.PONS_FIXTURES_DIR, 'meta', 'webhooks',
    'other_fields', name), 'utf8'));
  fixture.entry[0].id = waba;
  return JSON.stringify(fixture);
}

function mcpEnv(token) {
  return { WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: token, WA_PHONE_NUMBER_ID: number, WA_WABA_ID: waba };
}

before(async () => {
  t = tempDir();
  fake = await startFakeGraph(t.dir, ['--app-secret', webhookAppSecret, '--waba-id', waba]);
  webhook = await startWebhook(t.dir, ['--no-template-sync']);
  // A message first: its metadata tells pons-webhook the number's display number, which is all
  // Meta's quality webhook names the number by.
  assert.equal(await postSigned(webhook.port, textPayload('wamid.NH1', 'Hello', { wa_id: '447700900555', name: 'Nia' })), 200);
  for (const name of ['phone_number_quality_update_1.json', 'phone_number_name_update_1.json',
    'account_update_ACCOUNT_VIOLATION.json']) {
    assert.equal(await postSigned(webhook.port, accountWebhook(name)), 200);
  }
  await fetch(`${fake.base}/_fake/number`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ quality_rating: 'YELLOW', messaging_limit_tier: 'TIER_10K' }) });
});

after(() => {
  webhook?.child.kill();
  fake?.child.kill();
  t?.cleanup();
});

test('get_number_health reports Meta\'s answer now and the last quality webhook', async () => {
  const session = await connect(['--db', webhook.db], mcpEnv('fake-token'));
  try {
    const tool = (await session.client.listTools()).tools.find((x) => x.name === 'get_number_health');
    assert.ok(tool, 'listed');
    assert.equal(tool.annotations.readOnlyHint, true);
    const result = await session.client.callTool({ name: 'get_number_health', arguments: {} });
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    const validate = new Ajv({ strict: false }).compile(tool.outputSchema);
    assert.ok(validate(result.structuredContent), JSON.stringify(validate.errors));
    const [n] = result.structuredContent.numbers;
    assert.equal(n.phone_number_id, number);
    assert.equal(n.quality_rating, 'YELLOW');
    assert.equal(n.messaging_limit_tier, 'TIER_10K');
    assert.equal(n.name_status, 'APPROVED');
    assert.equal(n.throughput_level, 'STANDARD');
    assert.equal(n.status, 'CONNECTED');
    assert.match(n.advice, /quality is medium/);
    assert.equal(n.last_quality_event.event, 'THROUGHPUT_UPGRADE');
    assert.equal(n.last_quality_event.messaging_limit_tier, 'TIER_UNLIMITED');
    assert.match(result.content[0].text, /quality YELLOW, messaging limit TIER_10K/);
    assert.deepEqual([n.last_name_decision.decision, n.last_name_decision.requested_name], ['APPROVED', 'Lucky Shrub']);
    assert.equal(n.account_standing.event, 'ACCOUNT_VIOLATION');
    assert.match(result.content[0].text, /display name "Lucky Shrub" APPROVED/);
    assert.match(result.content[0].text, /account: Meta found a policy violation \(ADULT\)/);
  } finally {
    await session.client.close();
  }
});

test('a token Meta refuses is explained, and an unknown number lists ours', async () => {
  const session = await connect(['--db', webhook.db], mcpEnv('not-the-token'));
  try {
    const refused = await session.client.callTool({ name: 'get_number_health', arguments: {} });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /Meta did not answer: .*190/);
    const unknown = await session.client.callTool({ name: 'get_number_health', arguments: { from: '999' } });
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0].text, /106540352242922/);
  } finally {
    await session.client.close();
  }
});
