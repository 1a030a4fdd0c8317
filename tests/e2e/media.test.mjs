// get_media through the official SDK client: a large photo comes back as image content scaled
// within the assistant's limits, a corrupt one as a tool error, a small one unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { connect, seed, seededInbox } from './lib.mjs';

const maxSide = 1568;
const maxPixels = 1150000;
const maxBytes = 700 * 1024;

let inbox;
let session;

/** CRC-32 as PNG chunks need it. */
function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; ++k) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** An RGB PNG of width x height with noise over a gradient (so it does not compress away). */
function noisyPng(width, height) {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  let seedValue = 1;
  for (let y = 0; y < height; ++y) {
    const row = y * (width * 3 + 1);
    rows[row] = 0;  // filter: none
    for (let x = 0; x < width * 3; ++x) {
      seedValue = (seedValue * 1103515245 + 12345) >>> 0;
      rows[row + 1 + x] = ((x / 3 + y) * 255 / (width + height) + (seedValue >>> 27)) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;  // bit depth
  ihdr[9] = 2;  // colour type: RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 1 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Width and height from a JPEG's frame header (SOFn), as a decoder reads them. */
function jpegSize(buf) {
  assert.equal(buf.readUInt16BE(0), 0xffd8, 'starts with a JPEG SOI marker');
  let i = 2;
  while (i + 9 < buf.length) {
    assert.equal(buf[i], 0xff, `marker at ${i}`);
    const type = buf[i + 1];
    const length = buf.readUInt16BE(i + 2);
    if (type >= 0xc0 && type <= 0xcf && type !== 0xc4 && type !== 0xc8 && type !== 0xcc) {
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    i += 2 + length;
  }
  throw new Error('no frame header in the JPEG');
}

before(async () => {
  inbox = await seededInbox();
  writeFileSync(path.join(inbox.dir, 'media', 'big.png'), noisyPng(3000, 2000));
  const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 0x42)]);
  writeFileSync(path.join(inbox.dir, 'media', 'broken.jpg'), corrupt);
  const sql = path.join(inbox.dir, 'media.sql');
  writeFileSync(sql, `
INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, conversation_id, type,
  text, media_id, media_mime, media_caption, media_filename, status, ts, created_at, updated_at)
VALUES
  (20, 'inbound', 'wamid.M20', '200000000000002', 3, 3, 'image', '', 'media-big', 'image/png', 'The whole shelf', '', 'received', 0, '2026-01-02T10:00:00.000Z', '2026-01-02T10:00:00.000Z'),
  (21, 'inbound', 'wamid.M21', '200000000000002', 3, 3, 'image', '', 'media-broken', 'image/jpeg', '', '', 'received', 0, '2026-01-02T10:01:00.000Z', '2026-01-02T10:01:00.000Z');
INSERT INTO media (id, message_id, media_id, phone_number_id, mime, sha256, size, path, state,
  next_attempt_at, created_at, updated_at)
VALUES
  (20, 20, 'media-big', '200000000000002', 'image/png', '', NULL, 'media/big.png', 'done', '2026-01-02T10:00:00.000Z', '2026-01-02T10:00:00.000Z', '2026-01-02T10:00:00.000Z'),
  (21, 21, 'media-broken', '200000000000002', 'image/jpeg', '', NULL, 'media/broken.jpg', 'done', '2026-01-02T10:01:00.000Z', '2026-01-02T10:01:00.000Z', '2026-01-02T10:01:00.000Z');
`);
  await seed(inbox.db, sql);
  session = await connect(['--db', inbox.db]);
});

after(async () => {
  await session?.client.close();
  inbox?.cleanup();
});

test('a large photo comes back as image content scaled within the limits', async () => {
  const r = await session.client.callTool({ name: 'get_media', arguments: { message_id: 20 } });
  assert.notEqual(r.isError, true, JSON.stringify(r.content));
  const image = r.content.find((c) => c.type === 'image');
  assert.ok(image, 'image content, not a link');
  assert.equal(image.mimeType, 'image/jpeg');
  const bytes = Buffer.from(image.data, 'base64');
  assert.ok(bytes.length <= maxBytes, `${bytes.length} bytes`);
  assert.ok(JSON.stringify(r).length < 1024 * 1024, 'the whole result fits in 1 MiB');
  const { width, height } = jpegSize(bytes);
  assert.ok(Math.max(width, height) <= maxSide);
  assert.ok(width * height <= maxPixels);
  assert.ok(Math.abs(width / height - 1.5) < 0.01, `aspect ratio kept: ${width}x${height}`);
  const s = r.structuredContent;
  assert.equal(s.scaled, true);
  assert.equal(s.width, width);
  assert.equal(s.height, height);
  assert.equal(s.original_width, 3000);
  assert.equal(s.original_height, 2000);
  const text = r.content.find((c) => c.type === 'text').text;
  assert.match(text, /3000x2000/);
  assert.match(text, new RegExp(`${width}x${height}`));
  assert.match(text, /The whole shelf/);
});

test('a small image is returned unchanged', async () => {
  const r = await session.client.callTool({ name: 'get_media', arguments: { message_id: 8 } });
  const image = r.content.find((c) => c.type === 'image');
  assert.equal(image.mimeType, 'image/png');
  assert.equal(image.data, inbox.png.toString('base64'));
  assert.equal(r.structuredContent.scaled, false);
});

test('a corrupt image is a tool error that says so', async () => {
  const r = await session.client.callTool({ name: 'get_media', arguments: { media_id: 'media-broken' } });
  assert.equal(r.isError, true);
  assert.match(r.content[0].text, /corrupt/);
  // The server keeps serving.
  const again = await session.client.callTool({ name: 'get_media', arguments: { message_id: 8 } });
  assert.ok(again.content.some((c) => c.type === 'image'));
});
