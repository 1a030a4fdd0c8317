// Marketing opt-outs end to end: Meta's user_preferences webhook (signed) into a real pons-webhook,
// then pons-mcp (official SDK client) sending templates through the fake Graph API: a marketing
// template to a contact who stopped is refused before Meta is called, a utility one goes, a
// "resume" lets marketing through again, and a 131050 refusal from Meta is remembered too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inboxWaba as waba, postSigned, startSendingInbox } from './lib.mjs';

const customer = '16505551234';
let inbox;
let fake;
let webhook;
let session;

function preferenceWebhook(value, timestamp) {
  const fixture = JSON.parse(readFileSync(path.join(process.env.PONS_FIXTURES_DIR, 'meta', 'webhooks',
    'other_fields', 'user_preferences_1.json'), 'utf8'));
  fixture.entry[0].id = waba;
  const pref = fixture.entry[0].changes[0].value.user_preferences[0];
  pref.value = value;
  pref.timestamp = timestamp;
  pref.detail = `User requested to ${value} marketing messages`;
  return JSON.stringify(fixture);
}

async function templateSends(name) {
  return (await inbox.graphRequests()).filter((j) => j.type === 'template' && j.template?.name === name).length;
}

async function sendTemplate(name) {
  return session.client.callTool({ name: 'send_template',
    arguments: { to: `+${customer}`, name, language: 'en_US', parameters: [] } });
}

before(async () => {
  inbox = await startSendingInbox({ templates: [
    { name: 'spring_sale', language: 'en_US', status: 'APPROVED', category: 'MARKETING', id: '9101',
      components: [{ type: 'BODY', text: 'Spring sale: 20% off everything this week.' }] },
    { name: 'order_ready', language: 'en_US', status: 'APPROVED', category: 'UTILITY', id: '9102',
      components: [{ type: 'BODY', text: 'Your order is ready for pickup.' }] },
  ] });
  ({ fake, webhook, session } = inbox);
});

after(async () => {
  await inbox?.close();
});

test('a contact who stopped marketing messages gets no marketing template, until they resume', async () => {
  assert.equal(await postSigned(webhook.port, preferenceWebhook('stop', 1764670000)), 200);
  const contact = await session.client.callTool({ name: 'get_contact', arguments: { contact: `+${customer}` } });
  assert.deepEqual(contact.structuredContent.marketing.map((m) => [m.phone_number_id, m.stopped, m.source]),
    [['106540352242922', true, 'user_preferences']]);
  assert.match(contact.content[0].text, /marketing messages from 106540352242922: stopped since/);

  const refused = await sendTemplate('spring_sale');
  assert.equal(refused.isError, true);
  assert.match(refused.content[0].text, /stopped marketing messages from this number .*spring_sale is a marketing template.*131050/);
  assert.equal(await templateSends('spring_sale'), 0, 'nothing reached the Graph API');

  const utility = await sendTemplate('order_ready');
  assert.equal(utility.isError, undefined, JSON.stringify(utility.content));
  assert.equal(utility.structuredContent.state, 'sent');

  // An older "resume" delivered late changes nothing; a newer one lets marketing through.
  assert.equal(await postSigned(webhook.port, preferenceWebhook('resume', 1764660000)), 200);
  assert.equal((await sendTemplate('spring_sale')).isError, true);
  assert.equal(await postSigned(webhook.port, preferenceWebhook('resume', 1764680000)), 200);
  const resumed = await sendTemplate('spring_sale');
  assert.equal(resumed.isError, undefined, JSON.stringify(resumed.content));
  assert.equal(await templateSends('spring_sale'), 1);
});

test('a 131050 refusal from Meta is remembered: the next marketing template is refused here', async () => {
  await fetch(`${fake.base}/_fake/inject`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code: 131050, recipient: customer, times: 1 }) });
  const failed = await sendTemplate('spring_sale');
  assert.equal(failed.structuredContent?.state ?? 'failed', 'failed');
  const sendsBefore = await templateSends('spring_sale');
  const refused = await sendTemplate('spring_sale');
  assert.equal(refused.isError, true);
  assert.match(refused.content[0].text, /an earlier send failed with 131050/);
  assert.equal(await templateSends('spring_sale'), sendsBefore, 'the second one never reached the Graph API');
  const contact = await session.client.callTool({ name: 'get_contact', arguments: { contact: `+${customer}` } });
  assert.equal(contact.structuredContent.marketing[0].source, 'error_131050');
});
