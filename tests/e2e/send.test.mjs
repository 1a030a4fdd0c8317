// The send tools through the SDK client in --dry-run mode (validated and recorded, never sent),
// the window rule, the recipient allowlist, and --read-only hiding them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import Ajv from 'ajv';
import { connect, seededInbox } from './lib.mjs';

const sendTools = ['send_text', 'send_media', 'send_template', 'send_reaction', 'send_location',
  'send_interactive', 'mark_read'];
const ajv = new Ajv({ strict: false });

test('send tools in dry-run mode validate, record and respect the window', async () => {
  const inbox = await seededInbox();
  const { client } = await connect(['--db', inbox.db, '--dry-run'], { WA_ACCESS_TOKEN: 'not-used' });
  try {
    const tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
    for (const name of sendTools) {
      const t = tools.get(name);
      assert.ok(t, `${name} is listed`);
      assert.equal(t.annotations.readOnlyHint, false);
      assert.equal(t.annotations.openWorldHint, true);
    }
    const check = (name, result) => {
      const validate = ajv.compile(tools.get(name).outputSchema);
      assert.ok(validate(result.structuredContent), JSON.stringify(validate.errors));
    };
    const sent = await client.callTool({ name: 'send_text',
      arguments: { to: 'Alice Smith', text: 'Here is the invoice again', idempotency_key: 'k1' } });
    check('send_text', sent);
    assert.equal(sent.structuredContent.state, 'dry_run');
    assert.ok(sent.structuredContent.message_id > 0);
    const again = await client.callTool({ name: 'send_text',
      arguments: { to: 'Alice Smith', text: 'Here is the invoice again', idempotency_key: 'k1' } });
    assert.equal(again.structuredContent.message_id, sent.structuredContent.message_id);

    const closed = await client.callTool({ name: 'send_text', arguments: { to: 'Bob Jones', text: 'Hi Bob' } });
    assert.equal(closed.isError, true);
    assert.equal(closed.structuredContent.state, 'window_closed');
    assert.ok(closed.structuredContent.templates.some((t) => t.name === 'order_update'));
    const template = await client.callTool({ name: 'send_template',
      arguments: { to: 'Bob Jones', name: 'order_update', language: 'en_US', parameters: ['Bob', '1042'] } });
    check('send_template', template);
    assert.equal(template.structuredContent.state, 'dry_run');

    const loc = await client.callTool({ name: 'send_location',
      arguments: { to: '+44 7700 900001', latitude: 51.5, longitude: -0.12, name: 'Shop' } });
    assert.equal(loc.structuredContent.state, 'dry_run');
    const buttons = await client.callTool({ name: 'send_interactive', arguments: {
      to: 'Alice Smith', kind: 'buttons', body: 'Which one?',
      buttons: [{ id: 'a', title: 'Blue' }, { id: 'b', title: 'Green' }] } });
    assert.equal(buttons.structuredContent.state, 'dry_run');
    const tooMany = await client.callTool({ name: 'send_interactive', arguments: {
      to: 'Alice Smith', kind: 'buttons', body: 'x', buttons: [] } });
    assert.equal(tooMany.isError, true);
    // Local files go out only from the upload folder (outbox/ beside the database by default).
    writeFileSync(`${inbox.dir}/outbox/invoice-1042.pdf`, '%PDF-1.4\n');
    const media = await client.callTool({ name: 'send_media',
      arguments: { to: 'Alice Smith', kind: 'document', path: 'invoice-1042.pdf' } });
    assert.equal(media.structuredContent.state, 'dry_run');
    await assert.rejects(client.callTool({ name: 'send_media',
      arguments: { to: 'Alice Smith', kind: 'image', url: 'https://example.com/a.png', media_id: 'x' } }),
    (e) => e.code === -32602);
    const unknown = await client.callTool({ name: 'send_text', arguments: { to: 'Alcie', text: 'hi' } });
    assert.equal(unknown.isError, true);
    assert.match(unknown.content[0].text, /Alice Smith/);
    const read = await client.callTool({ name: 'mark_read', arguments: { message_id: 'wamid.A5' } });
    assert.equal(read.structuredContent.dry_run, true);

    const recorded = await client.callTool({ name: 'get_messages',
      arguments: { contact: 'Alice Smith', direction: 'outbound', limit: 100 } });
    assert.ok(recorded.structuredContent.messages.some((m) => m.text === 'Here is the invoice again'));
  } finally {
    await client.close();
    inbox.cleanup();
  }
});

test('--read-only hides the send tools; the allowlist refuses other recipients', async () => {
  const inbox = await seededInbox();
  try {
    const ro = await connect(['--db', inbox.db, '--read-only']);
    const names = (await ro.client.listTools()).tools.map((t) => t.name);
    await ro.client.close();
    for (const name of sendTools) assert.ok(!names.includes(name), `${name} hidden`);
    assert.ok(names.includes('get_messages'));

    const limited = await connect(['--db', inbox.db, '--dry-run'], { PONS_ALLOWED_RECIPIENTS: '+44 7700 900002' });
    const refused = await limited.client.callTool({ name: 'send_text', arguments: { to: 'Alice Smith', text: 'hi' } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /PONS_ALLOWED_RECIPIENTS/);
    await limited.client.close();
  } finally {
    inbox.cleanup();
  }
});
