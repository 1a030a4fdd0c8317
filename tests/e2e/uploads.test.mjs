// send_media with local files through the real pons-mcp and the fake Graph API: a hostile
// message may make the assistant ask for any path, so only files in the upload folder (outbox/
// beside the database by default) are uploaded, with the type read from their bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect, seededInbox, startFakeGraph } from './lib.mjs';

async function requests(fake) {
  const recorded = await (await fetch(`${fake.base}/_fake/requests`)).json();
  return recorded.requests;
}

const uploads = (list) => list.filter((r) => r.method === 'POST' && r.path.endsWith('/media'));

test('send_media refuses /proc/self/environ and the database, and sends a file from the outbox', async () => {
  const inbox = await seededInbox();
  const fake = await startFakeGraph(inbox.dir);
  const outbox = path.join(inbox.dir, 'outbox');
  mkdirSync(outbox, { mode: 0o700 });
  // A PNG under a .jpg name: the upload must say image/png.
  writeFileSync(path.join(outbox, 'photo.jpg'), inbox.png);
  symlinkSync('/proc/self/environ', path.join(outbox, 'environ.txt'));
  symlinkSync(inbox.db, path.join(outbox, 'backup.pdf'));
  let session;
  try {
    session = await connect(['--db', inbox.db],
      { WA_GRAPH_BASE_URL: fake.base, WA_ACCESS_TOKEN: 'fake-token' });
    const { client } = session;
    const send = (kind, file) => client.callTool({ name: 'send_media',
      arguments: { to: 'Alice Smith', kind, path: file } });
    for (const file of ['/proc/self/environ', inbox.db, `${inbox.db}-wal`, `${outbox}/../pons.db`,
      'environ.txt', 'backup.pdf', '/etc/passwd']) {
      const refused = await send('document', file);
      assert.equal(refused.isError, true, `${file}: ${JSON.stringify(refused)}`);
      assert.equal(refused.structuredContent, undefined, file);
    }
    const outside = await send('document', '/etc/passwd');
    assert.match(outside.content[0].text, /outside the upload folder/);
    assert.ok(outside.content[0].text.includes(outbox), outside.content[0].text);
    assert.match(outside.content[0].text, /--upload-dir or PONS_UPLOAD_DIR/);
    assert.match((await send('document', '/proc/self/environ')).content[0].text, /never sends it/);
    assert.match((await send('document', inbox.db)).content[0].text, /never sends it/);
    assert.equal(uploads(await requests(fake)).length, 0, 'nothing refused reached Meta');

    const sent = await send('image', 'photo.jpg');
    assert.equal(sent.isError, undefined, JSON.stringify(sent));
    assert.equal(sent.structuredContent.state, 'sent');
    const all = await requests(fake);
    assert.equal(uploads(all).length, 1);
    const message = all.map((r) => r.json).find((j) => j?.type === 'image');
    const media = await (await fetch(`${fake.base}/v25.0/${message.image.id}`,
      { headers: { Authorization: 'Bearer fake-token' } })).json();
    assert.equal(media.mime_type, 'image/png');
    assert.equal(media.sha256, createHash('sha256').update(inbox.png).digest('hex'));
    const description = (await client.listTools()).tools.find((t) => t.name === 'send_media').description;
    assert.ok(description.includes(outbox), description);
  } finally {
    await session?.client.close();
    fake.child.kill('SIGTERM');
    inbox.cleanup();
  }
});

test('an upload folder holding the database is refused, and the refusal says how to fix it', async () => {
  const inbox = await seededInbox();
  let session;
  try {
    session = await connect(['--db', inbox.db, '--dry-run', '--upload-dir', inbox.dir],
      { WA_ACCESS_TOKEN: 'not-used' });
    const refused = await session.client.callTool({ name: 'send_media',
      arguments: { to: 'Alice Smith', kind: 'document', path: `${inbox.dir}/media/invoice-1042.pdf` } });
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /no usable upload folder/);
    assert.match(refused.content[0].text, /contains Pons's own files/);
    assert.match(refused.content[0].text, /--upload-dir or PONS_UPLOAD_DIR/);
    assert.match(session.stderr(), /event=upload_dir_refused/);
  } finally {
    await session?.client.close();
    inbox.cleanup();
  }
});
