// The fake Graph API plays the webhooks of the 2026 WhatsApp surface (as a sandbox or the demo
// would use them), signed and POSTed to a real pons-webhook, with pons-mcp (official SDK client)
// acting on what they stored: a username user writes by BSUID and is answered through `recipient`;
// a user stops marketing messages; a lower messaging limit arrives as phone_number_quality_update;
// an account restriction arrives as account_update.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSendingInbox } from './lib.mjs';

let inbox;
let fake;
let session;

async function fakeControl(path, body) {
  const res = await fetch(`${fake.base}/_fake/${path}`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json();
  assert.equal(res.status, 200, JSON.stringify(answer));
  // Each webhook the fake sent was acknowledged: pons-webhook committed it.
  assert.ok(answer.webhook_statuses.length > 0 && answer.webhook_statuses.every((s) => s === 200),
    JSON.stringify(answer));
  return answer;
}

function graphRequests() {
  return inbox.graphRequests();
}

function call(name, args) {
  return session.client.callTool({ name, arguments: args });
}

before(async () => {
  inbox = await startSendingInbox({ fakeWebhooks: true, templates: [{ name: 'winter_sale', language: 'en_US',
    status: 'APPROVED', category: 'MARKETING', id: '9301',
    components: [{ type: 'BODY', text: 'Winter sale: 30% off this weekend.' }] }] });
  ({ fake, session } = inbox);
});

after(async () => {
  await inbox?.close();
});

test('a username user writes by BSUID and the reply goes to their BSUID', async () => {
  await fakeControl('inbound', { user_id: 'US.13491208655302741918', username: 'realsheenanelson',
    parent_user_id: 'US.ENT.11815799212886844830', name: 'Sheena Nelson', text: 'Does it come in another color?' });
  const contact = await call('get_contact', { contact: '@realsheenanelson' });
  assert.equal(contact.isError, undefined, JSON.stringify(contact.content));
  assert.equal(contact.structuredContent.contact.wa_id, '');
  assert.equal(contact.structuredContent.contact.parent_user_id, 'US.ENT.11815799212886844830');
  const reply = await call('send_text', { to: 'Sheena Nelson', text: 'Yes: blue and green.' });
  assert.equal(reply.isError, undefined, JSON.stringify(reply.content));
  const sent = (await graphRequests()).find((j) => j.text?.body === 'Yes: blue and green.');
  assert.equal(sent.recipient, 'US.13491208655302741918');
});

test('a user who stops marketing messages through WhatsApp gets no marketing template', async () => {
  await fakeControl('inbound', { from: '16505551234', name: 'Pablo', text: 'Hi' });
  await fakeControl('preferences', { from: '16505551234', value: 'stop' });
  const refused = await call('send_template', { to: '+16505551234', name: 'winter_sale', language: 'en_US', parameters: [] });
  assert.equal(refused.isError, true);
  assert.match(refused.content[0].text, /stopped marketing messages/);
  assert.equal((await graphRequests()).filter((j) => j.template?.name === 'winter_sale').length, 0);
});

test('a lower messaging limit and an account restriction reach get_number_health', async () => {
  await fakeControl('number', { messaging_limit_tier: 'TIER_250', quality_rating: 'RED' });
  await fakeControl('account-update', { event: 'ACCOUNT_RESTRICTION', restriction_info: [
    { restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: '2026-12-10T13:38:04+0000' }] });
  const health = await call('get_number_health', {});
  assert.equal(health.isError, undefined, JSON.stringify(health.content));
  const [n] = health.structuredContent.numbers;
  assert.equal(n.quality_rating, 'RED');
  assert.deepEqual([n.last_quality_event.event, n.last_quality_event.messaging_limit_tier], ['DOWNGRADE', 'TIER_250']);
  assert.equal(n.account_standing.event, 'ACCOUNT_RESTRICTION');
  assert.match(n.account_standing.detail, /RESTRICTED_BIZ_INITIATED_MESSAGING until 2026-12-10T13:38:04\+0000/);
});
