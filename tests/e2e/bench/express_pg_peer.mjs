// The peer of the PostgreSQL benchmark (scripts/bench postgresql): a small Express server doing
// the durable ingest pons-webhook does, the way such a service is commonly written with `pg`:
// the X-Hub-Signature-256 HMAC checked over the raw body (timing-safe), the JSON parsed, and in
// one transaction per webhook on a pooled connection the raw body logged, the sender upserted as
// a contact, the conversation upserted, each message stored once by its wamid (a redelivery
// changes nothing) and each status recorded and applied to its message; 200 after COMMIT, whose
// durability PostgreSQL's synchronous_commit (on) guarantees.
//   node express_pg_peer.mjs CONNINFO PORT_FILE [POOL_SIZE]
// Listens on 127.0.0.1, an ephemeral port written to PORT_FILE. Creates its tables (prefixed
// peer_) in the connection's schema. Not done here, unlike pons: the log body's redaction, media
// jobs, forwarding events, monotonic statuses, contact merges.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import express from 'express';
import pg from 'pg';

const [conninfo, portFile, poolSize = '20'] = process.argv.slice(2);
const secret = process.env.WA_APP_SECRET;
if (!conninfo || !portFile || !secret) {
  console.error('usage: WA_APP_SECRET=... node express_pg_peer.mjs CONNINFO PORT_FILE [POOL_SIZE]');
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: conninfo, max: Number(poolSize) });

await pool.query(`
  CREATE TABLE IF NOT EXISTS peer_webhook_log (id BIGSERIAL PRIMARY KEY, received_at TIMESTAMPTZ NOT NULL, body TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS peer_contacts (id BIGSERIAL PRIMARY KEY, wa_id TEXT UNIQUE NOT NULL, name TEXT NOT NULL DEFAULT '');
  CREATE TABLE IF NOT EXISTS peer_conversations (id BIGSERIAL PRIMARY KEY, phone_number_id TEXT NOT NULL,
    contact_id BIGINT NOT NULL REFERENCES peer_contacts(id), last_message_at TIMESTAMPTZ, UNIQUE (phone_number_id, contact_id));
  CREATE TABLE IF NOT EXISTS peer_messages (id BIGSERIAL PRIMARY KEY, wamid TEXT UNIQUE NOT NULL,
    conversation_id BIGINT NOT NULL REFERENCES peer_conversations(id), type TEXT NOT NULL, text TEXT NOT NULL,
    media_id TEXT, status TEXT NOT NULL, ts BIGINT NOT NULL);
  CREATE TABLE IF NOT EXISTS peer_status_events (id BIGSERIAL PRIMARY KEY, wamid TEXT NOT NULL, status TEXT NOT NULL,
    ts BIGINT NOT NULL, UNIQUE (wamid, status));
`);

function signatureValid(raw, header) {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice(7), 'hex');
  const expected = createHmac('sha256', secret).update(raw).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function upsertContact(db, waId, name) {
  const r = await db.query(
    'INSERT INTO peer_contacts (wa_id, name) VALUES ($1, $2) ON CONFLICT (wa_id) DO UPDATE SET ' +
      "name = CASE WHEN EXCLUDED.name <> '' THEN EXCLUDED.name ELSE peer_contacts.name END RETURNING id",
    [waId, name]);
  return r.rows[0].id;
}

async function storeMessage(db, phoneNumberId, names, m) {
  const contactId = await upsertContact(db, m.from, names.get(m.from) ?? '');
  const conv = await db.query(
    'INSERT INTO peer_conversations (phone_number_id, contact_id, last_message_at) VALUES ($1, $2, now()) ' +
      'ON CONFLICT (phone_number_id, contact_id) DO UPDATE SET last_message_at = now() RETURNING id',
    [phoneNumberId, contactId]);
  const media = m[m.type]?.id ?? null;
  const text = m.text?.body ?? m[m.type]?.caption ?? '';
  await db.query(
    'INSERT INTO peer_messages (wamid, conversation_id, type, text, media_id, status, ts) ' +
      "VALUES ($1, $2, $3, $4, $5, 'received', $6) ON CONFLICT (wamid) DO NOTHING",
    [m.id, conv.rows[0].id, m.type, text, media, Number(m.timestamp)]);
}

async function storeStatus(db, s) {
  await db.query(
    'INSERT INTO peer_status_events (wamid, status, ts) VALUES ($1, $2, $3) ON CONFLICT (wamid, status) DO NOTHING',
    [s.id, s.status, Number(s.timestamp)]);
  await db.query('UPDATE peer_messages SET status = $2 WHERE wamid = $1', [s.id, s.status]);
}

async function ingest(raw, payload) {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    await db.query('INSERT INTO peer_webhook_log (received_at, body) VALUES (now(), $1)', [raw.toString('utf8')]);
    for (const entry of payload.entry ?? []) {
      for (const change of entry.changes ?? []) {
        const v = change.value ?? {};
        const phoneNumberId = v.metadata?.phone_number_id ?? '';
        const names = new Map((v.contacts ?? []).map((c) => [c.wa_id, c.profile?.name ?? '']));
        for (const m of v.messages ?? []) await storeMessage(db, phoneNumberId, names, m);
        for (const s of v.statuses ?? []) await storeStatus(db, s);
      }
    }
    await db.query('COMMIT');
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    db.release();
  }
}

const app = express();
app.post('/webhook/meta', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
  if (!signatureValid(req.body, req.get('x-hub-signature-256'))) return res.status(401).end();
  let payload;
  try {
    payload = JSON.parse(req.body.toString('utf8'));
  } catch {
    return res.status(400).end();
  }
  try {
    await ingest(req.body, payload);
    res.status(200).send('ok');
  } catch (e) {
    console.error(`ingest failed: ${e.message}`);
    res.status(500).end();
  }
});

const server = app.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(server.address().port)));
server.keepAliveTimeout = 65000;
