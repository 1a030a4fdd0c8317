// The peer of the /mcp benchmark (scripts/bench mcp-http): a small MCP server written with the
// official TypeScript SDK (McpServer + StreamableHTTPServerTransport on node:http, one session
// per initialize, as the SDK's examples do) with one tool, get_messages, that runs pons's query
// for the latest messages (libs/mcp_tools/pons/mcp/tools/conversation_tools.cpp) on a copy of the
// same database with node:sqlite and answers what pons answers: one text line per message and a
// cursor line as text content, the rows as structuredContent.
//   node sdk_peer.mjs DB PORT_FILE     (listens on 127.0.0.1, an ephemeral port written to PORT_FILE)
// Not done here, unlike pons: the per-client pull record (a background write in pons), output
// schema checks, media, locations and reactions in the summary (the generated inbox has none).
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const [dbPath, portFile] = process.argv.slice(2);
const db = new DatabaseSync(dbPath, { readOnly: true });
db.exec('PRAGMA busy_timeout=5000');

// pons's message_columns, in the same order.
const latest = db.prepare(
  'SELECT m.id, m.direction, m.wamid, m.phone_number_id, m.contact_id, m.conversation_id, m.type, ' +
  'm.text, m.status, m.ts, m.created_at, c.wa_id, c.user_id, c.profile_name, c.username, ' +
  'm.media_id, m.media_mime, m.media_caption, m.media_filename, m.latitude, m.longitude, ' +
  'm.location_name, m.location_address, m.reaction_to, m.reaction_emoji, m.reply_to, m.forwarded, ' +
  'm.error_code, m.error_title, m.error_details, ' +
  '(SELECT md.state FROM media md WHERE md.message_id = m.id ORDER BY md.id LIMIT 1) AS media_state, ' +
  "CASE WHEN m.reaction_to <> '' THEN (SELECT r.id FROM messages r WHERE r.wamid = m.reaction_to) END AS reaction_id " +
  'FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE 1 = 1 ' +
  'ORDER BY m.created_at DESC, m.id DESC LIMIT ?');

const displayName = (r) => r.profile_name || (r.username ? `@${r.username}` : r.wa_id ? `+${r.wa_id}` : r.user_id);

function messageJson(r) {
  const m = {
    id: r.id, direction: r.direction, wamid: r.wamid ?? '', phone_number_id: r.phone_number_id,
    conversation_id: r.conversation_id, type: r.type, text: r.text, status: r.status, created_at: r.created_at,
  };
  if (r.ts > 0) m.sent_at = new Date(r.ts * 1000).toISOString();
  m.contact = { id: r.contact_id, wa_id: r.wa_id, user_id: r.user_id, username: r.username, name: displayName(r) };
  if (r.media_id || r.media_mime || r.media_state !== null) {
    m.media = { media_id: r.media_id, mime_type: r.media_mime, caption: r.media_caption, filename: r.media_filename, state: r.media_state ?? '' };
  }
  if (r.latitude !== null && r.longitude !== null) {
    m.location = { latitude: r.latitude, longitude: r.longitude, name: r.location_name, address: r.location_address };
  }
  if (r.reaction_to) m.reaction = { to: r.reaction_to, emoji: r.reaction_emoji, ...(r.reaction_id !== null ? { message_id: r.reaction_id } : {}) };
  if (r.reply_to) m.reply_to = r.reply_to;
  if (r.forwarded) m.forwarded = true;
  if (r.error_code !== null) m.error = { code: r.error_code, title: r.error_title, details: r.error_details };
  m.summary = r.type === 'text' || !r.type ? (r.text || '[text]') : (r.text.startsWith('[') ? r.text : `[${r.type}] ${r.text}`);
  return m;
}

const line = (m) => `#${m.id} ${m.created_at} ${m.direction === 'inbound' ? 'from' : 'to'} ${m.contact.name}: ${m.summary}` +
  (m.direction === 'inbound' ? '' : ` (${m.status})`);

function getMessages({ limit }) {
  const messages = latest.all(limit ?? 20).map(messageJson).reverse();
  const last = messages.at(-1);
  const next = Buffer.from(last ? `m1|${last.created_at}|${last.id}` : 'm1|1970-01-01T00:00:00.000Z|0').toString('base64url');
  let text = messages.length ? messages.map((m) => line(m) + '\n').join('') : 'No messages match.\n';
  text += `cursor for newer messages: "${next}"\n`;
  const structured = { messages, next_cursor: next, has_more: false, pulled_at: new Date().toISOString() };
  return { content: [{ type: 'text', text }], structuredContent: structured };
}

function newServer() {
  const server = new McpServer({ name: 'sdk-peer', version: '1.0.0' });
  server.registerTool('get_messages', {
    description: 'Messages of the inbox, oldest first: the latest `limit`.',
    inputSchema: { limit: z.number().int().min(1).max(200).optional() },
  }, async (args) => getMessages(args));
  return server;
}

const transports = new Map();

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
}

const httpServer = http.createServer(async (req, res) => {
  try {
    if (req.url !== '/mcp') { res.writeHead(404).end(); return; }
    const sid = req.headers['mcp-session-id'];
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      if (sid || req.method !== 'POST' || !isInitializeRequest(body)) {
        res.writeHead(sid ? 404 : 400, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'no such session' }, id: null }));
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => { transports.set(id, transport); },
      });
      transport.onclose = () => { if (transport.sessionId) transports.delete(transport.sessionId); };
      await newServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  } catch (e) {
    if (!res.headersSent) res.writeHead(500).end(String(e));
  }
});
httpServer.keepAliveTimeout = 10000;
httpServer.listen(0, '127.0.0.1', () => writeFileSync(portFile, String(httpServer.address().port)));
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
