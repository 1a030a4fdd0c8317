// WhatsApp identities end to end, on Meta's documented BSUID payloads signed into a real
// pons-webhook and tools called through pons-mcp (official SDK client) against the fake Graph API:
// a username user known only by their business-scoped user id is reachable by @username, gets
// templates through `recipient`, and is refused an authentication template with the reason; a later
// webhook carrying both ids merges them with the phone-only record; a changed phone number moves the
// contact, and the old number still finds them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inboxWaba as waba, postSigned, startSendingInbox } from './lib.mjs';

const bsuid = 'user.9373795779eb6441c8adb2eaee5b848e7dd174ddd302d7db62142f4722d574b6';
let inbox;
let webhook;
let session;

function fixture(relative, edit = (f) => f) {
  const f = JSON.parse(readFileSync(path.join(process.env.PONS_FIXTURES_DIR, 'meta', 'webhooks', relative), 'utf8'));
  f.entry[0].id = waba;
  return JSON.stringify(edit(f));
}

// Meta's text message, from `from`, sent now (so the 24-hour window is open).
function textFrom(from, wamid) {
  return fixture('messages/text.json', (f) => {
    const v = f.entry[0].changes[0].value;
    v.contacts[0].wa_id = from;
    v.contacts[0].profile.name = 'Sam Rivera';
    Object.assign(v.messages[0], { from, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)) });
    return f;
  });
}

async function graphSends(name) {
  return (await inbox.graphRequests()).filter((j) => j.type === 'template' && j.template?.name === name);
}

function call(name, args) {
  return session.client.callTool({ name, arguments: args });
}

before(async () => {
  inbox = await startSendingInbox({ templates: [
    { name: 'login_code', language: 'en_US', status: 'APPROVED', category: 'AUTHENTICATION', id: '9201',
      components: [{ type: 'BODY', text: '{{1}} is your verification code.' },
        { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Copy code', url: 'https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}' }] }] },
    { name: 'order_ready', language: 'en_US', status: 'APPROVED', category: 'UTILITY', id: '9202',
      components: [{ type: 'BODY', text: 'Your order is ready for pickup.' }] },
  ] });
  ({ webhook, session } = inbox);
});

after(async () => {
  await inbox?.close();
});

test('a BSUID-only user is reached by @username, refused authentication templates, then merged with their phone record', async () => {
  assert.equal(await postSigned(webhook.port, fixture('statuses/delivered_sent_to_bsuid_empty_wa_id.json')), 200);
  const known = await call('get_contact', { contact: '@pablomorales' });
  assert.equal(known.isError, undefined, JSON.stringify(known.content));
  assert.equal(known.structuredContent.contact.user_id, bsuid);
  assert.equal(known.structuredContent.contact.wa_id, '');
  assert.match(known.content[0].text, /known only by their business-scoped user id/);

  const login = { to: '@pablomorales', name: 'login_code', language: 'en_US', parameters: ['123456'] };
  const refused = await call('send_template', login);
  assert.equal(refused.isError, true);
  assert.match(refused.content[0].text, /login_code is an authentication template.*phone number.*131062/s);
  assert.equal((await graphSends('login_code')).length, 0, 'nothing reached the Graph API');

  const utility = await call('send_template', { to: '@pablomorales', name: 'order_ready', language: 'en_US', parameters: [] });
  assert.equal(utility.isError, undefined, JSON.stringify(utility.content));
  const [sent] = await graphSends('order_ready');
  assert.equal(sent.recipient, bsuid, 'a BSUID goes in Meta\'s recipient field');
  assert.equal(sent.to, undefined);

  // The same person writes from their phone (a separate record), then Meta links the two ids.
  assert.equal(await postSigned(webhook.port, fixture('messages/text.json')), 200);
  const before = await call('search_contacts', { query: '16505551234' });
  assert.equal(before.structuredContent.contacts.filter((c) => c.user_id === bsuid).length, 0);
  assert.equal(await postSigned(webhook.port, fixture('statuses/delivered_username_user_sent_to_phone.json')), 200);

  const merged = await call('get_contact', { contact: '@pablomorales' });
  assert.equal(merged.structuredContent.contact.wa_id, '16505551234');
  assert.equal(merged.structuredContent.contact.user_id, bsuid);
  assert.equal(merged.structuredContent.message_count, 2, 'the sent template and the phone message, one history');
  assert.deepEqual(merged.structuredContent.identity_changes.map((c) => c.kind), ['merged']);
  assert.match(merged.content[0].text, /merged on .* \(Meta linked the two\)/);
  const byPhone = await call('get_contact', { contact: '+1 650 555 1234' });
  assert.equal(byPhone.structuredContent.contact.id, merged.structuredContent.contact.id);

  // With a phone number known, the authentication template goes, to the phone.
  const sentLogin = await call('send_template', login);
  assert.equal(sentLogin.isError, undefined, JSON.stringify(sentLogin.content));
  const [loginRequest] = await graphSends('login_code');
  assert.equal(loginRequest.to, '16505551234');
});

test('a changed phone number moves the contact; the old number still finds them', async () => {
  assert.equal(await postSigned(webhook.port, textFrom('447700900555', 'wamid.IDENTITY.OLD.1')), 200);
  const changed = fixture('messages/system_user_changed_number.json', (f) => {
    const m = f.entry[0].changes[0].value.messages[0];
    m.from = '447700900555';
    m.id = 'wamid.IDENTITY.SYSTEM.1';
    m.system.wa_id = '447700900777';
    m.system.body = 'User Sam Rivera changed from 447700900555 to 447700900777';
    return f;
  });
  assert.equal(await postSigned(webhook.port, changed), 200);

  const contact = await call('get_contact', { contact: '+44 7700 900555' });
  assert.equal(contact.isError, undefined, JSON.stringify(contact.content));
  assert.equal(contact.structuredContent.contact.wa_id, '447700900777');
  assert.equal(contact.structuredContent.identity_changes[0].kind, 'number_changed');
  assert.equal(contact.structuredContent.identity_changes[0].previous_wa_id, '447700900555');
  assert.match(contact.content[0].text, /changed their number on .* \(formerly \+447700900555\)/);

  // A message to the old number goes to the new one, in the same conversation.
  const sent = await call('send_text', { to: '+447700900555', text: 'Thanks, noted your new number.' });
  assert.equal(sent.isError, undefined, JSON.stringify(sent.content));
  const texts = (await inbox.graphRequests())
    .filter((j) => j.type === 'text' && j.text?.body === 'Thanks, noted your new number.');
  assert.deepEqual(texts.map((j) => j.to), ['447700900777']);
  const after = await call('get_contact', { contact: '+447700900777' });
  assert.equal(after.structuredContent.contact.id, contact.structuredContent.contact.id);
  assert.equal(after.structuredContent.conversations.length, 1);
  assert.equal(after.structuredContent.message_count, 3, 'the message, the system message and the reply');
});
