-- Pons initial schema. STRICT tables, foreign keys enforced (PRAGMA foreign_keys=ON per connection).
-- Times written by Pons are ISO-8601 UTC with milliseconds ("2026-11-25T14:00:00.123Z"), which sort
-- as text. Meta's own timestamps are kept as unix seconds (INTEGER) next to them.
-- Secrets (access tokens, app secrets, verify tokens) are never stored here: accounts hold only the
-- names of the environment variables / config keys that carry them.

-- One WhatsApp Business Account.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  waba_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  app_secret_ref TEXT NOT NULL DEFAULT '',
  access_token_ref TEXT NOT NULL DEFAULT '',
  verify_token_ref TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

-- One business phone number (a sender); phone_number_id is Meta's id.
CREATE TABLE phone_numbers (
  id INTEGER PRIMARY KEY,
  phone_number_id TEXT NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  display_phone_number TEXT NOT NULL DEFAULT '',
  verified_name TEXT NOT NULL DEFAULT '',
  is_default INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX phone_numbers_account ON phone_numbers(account_id);

-- A WhatsApp user, scoped to an account. wa_id is empty for username (BSUID) users, who are
-- identified by user_id instead. Meta's wa_id is kept exactly as Meta sent it.
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  wa_id TEXT NOT NULL DEFAULT '',
  user_id TEXT NOT NULL DEFAULT '',
  username TEXT NOT NULL DEFAULT '',
  profile_name TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK (wa_id <> '' OR user_id <> '')
) STRICT;
CREATE UNIQUE INDEX contacts_wa_id ON contacts(account_id, wa_id) WHERE wa_id <> '';
CREATE UNIQUE INDEX contacts_user_id ON contacts(account_id, user_id) WHERE user_id <> '';
CREATE INDEX contacts_profile_name ON contacts(profile_name COLLATE NOCASE);

-- One chat: our phone number x a contact.
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY,
  phone_number_id TEXT NOT NULL REFERENCES phone_numbers(phone_number_id),
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  last_message_at TEXT NOT NULL DEFAULT '',
  last_inbound_at TEXT NOT NULL DEFAULT '',
  last_outbound_at TEXT NOT NULL DEFAULT '',
  last_direction TEXT NOT NULL DEFAULT '' CHECK (last_direction IN ('', 'inbound', 'outbound')),
  preview TEXT NOT NULL DEFAULT '',
  unread_count INTEGER NOT NULL DEFAULT 0,
  window_expires_at TEXT NOT NULL DEFAULT '',
  archived INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (phone_number_id, contact_id)
) STRICT;
CREATE INDEX conversations_recent ON conversations(last_message_at DESC);
CREATE INDEX conversations_unread ON conversations(last_message_at DESC) WHERE unread_count > 0;
CREATE INDEX conversations_contact ON conversations(contact_id);

-- Every message, both directions. id is the monotonic cursor; created_at is assigned by the server
-- inside the writing transaction and never decreases, so (created_at, id) pages are stable.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  wamid TEXT,
  phone_number_id TEXT NOT NULL REFERENCES phone_numbers(phone_number_id),
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  conversation_id INTEGER NOT NULL REFERENCES conversations(id),
  type TEXT NOT NULL,
  text TEXT NOT NULL DEFAULT '',
  media_id TEXT NOT NULL DEFAULT '',
  media_mime TEXT NOT NULL DEFAULT '',
  media_sha256 TEXT NOT NULL DEFAULT '',
  media_caption TEXT NOT NULL DEFAULT '',
  media_filename TEXT NOT NULL DEFAULT '',
  latitude REAL,
  longitude REAL,
  location_name TEXT NOT NULL DEFAULT '',
  location_address TEXT NOT NULL DEFAULT '',
  reaction_to TEXT NOT NULL DEFAULT '',
  reaction_emoji TEXT NOT NULL DEFAULT '',
  reply_to TEXT NOT NULL DEFAULT '',
  forwarded INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  error_code INTEGER,
  error_title TEXT NOT NULL DEFAULT '',
  error_details TEXT NOT NULL DEFAULT '',
  ts INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  idempotency_key TEXT,
  raw_json TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX messages_wamid ON messages(wamid) WHERE wamid IS NOT NULL;
CREATE UNIQUE INDEX messages_idempotency_key ON messages(idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_cursor ON messages(created_at, id);
CREATE INDEX messages_conversation ON messages(conversation_id, created_at, id);
CREATE INDEX messages_contact ON messages(contact_id, created_at, id);
CREATE INDEX messages_reply_to ON messages(reply_to) WHERE reply_to <> '';

-- Full-text index over what a person would search for. External content table: the triggers below
-- keep it in sync with messages.
CREATE VIRTUAL TABLE messages_fts USING fts5(
  text, media_caption, media_filename,
  content = 'messages', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, text, media_caption, media_filename)
  VALUES (new.id, new.text, new.media_caption, new.media_filename);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text, media_caption, media_filename)
  VALUES ('delete', old.id, old.text, old.media_caption, old.media_filename);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, media_caption, media_filename ON messages
BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, text, media_caption, media_filename)
  VALUES ('delete', old.id, old.text, old.media_caption, old.media_filename);
  INSERT INTO messages_fts(rowid, text, media_caption, media_filename)
  VALUES (new.id, new.text, new.media_caption, new.media_filename);
END;

-- Every status Meta reported, in arrival order, whether or not it advanced the message. A status
-- for a wamid we do not know yet keeps message_id NULL; it is applied when the message appears.
CREATE TABLE message_status_events (
  id INTEGER PRIMARY KEY,
  wamid TEXT NOT NULL,
  message_id INTEGER REFERENCES messages(id),
  status TEXT NOT NULL,
  applied INTEGER NOT NULL DEFAULT 0,
  ts INTEGER NOT NULL DEFAULT 0,
  recipient_id TEXT NOT NULL DEFAULT '',
  recipient_user_id TEXT NOT NULL DEFAULT '',
  phone_number_id TEXT NOT NULL DEFAULT '',
  error_code INTEGER,
  error_title TEXT NOT NULL DEFAULT '',
  error_details TEXT NOT NULL DEFAULT '',
  conversation_id TEXT NOT NULL DEFAULT '',
  conversation_origin TEXT NOT NULL DEFAULT '',
  pricing_billable INTEGER,
  pricing_model TEXT NOT NULL DEFAULT '',
  pricing_category TEXT NOT NULL DEFAULT '',
  pricing_type TEXT NOT NULL DEFAULT '',
  raw_json TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL
) STRICT;
CREATE INDEX message_status_events_wamid ON message_status_events(wamid);
CREATE INDEX message_status_events_message ON message_status_events(message_id);

-- Idempotency keys of everything already ingested (msg:<wamid>, status:<wamid>:<status>, ...).
CREATE TABLE processed_events (
  key TEXT PRIMARY KEY,
  created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per webhook POST we accepted or refused. Bodies are redacted before they get here.
CREATE TABLE webhook_log (
  id INTEGER PRIMARY KEY,
  received_at TEXT NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  phone_number_id TEXT NOT NULL DEFAULT '',
  signature TEXT NOT NULL DEFAULT '' CHECK (signature IN ('', 'valid', 'invalid', 'missing')),
  http_status INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0,
  statuses INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX webhook_log_received ON webhook_log(received_at);

-- Message templates synced from Meta (or learnt from template status webhooks).
CREATE TABLE templates (
  id INTEGER PRIMARY KEY,
  waba_id TEXT NOT NULL,
  meta_template_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  language TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  components_json TEXT NOT NULL DEFAULT '[]',
  parameter_format TEXT NOT NULL DEFAULT '',
  rejected_reason TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL,
  UNIQUE (waba_id, name, language)
) STRICT;

-- Media files: one row per media item of a message, plus the download job state.
CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  message_id INTEGER REFERENCES messages(id),
  media_id TEXT NOT NULL,
  phone_number_id TEXT NOT NULL DEFAULT '',
  mime TEXT NOT NULL DEFAULT '',
  sha256 TEXT NOT NULL DEFAULT '',
  size INTEGER,
  path TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'downloading', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX media_media_id ON media(media_id);
CREATE INDEX media_message ON media(message_id);
CREATE INDEX media_due ON media(next_attempt_at) WHERE state IN ('queued', 'downloading');

-- What each MCP client last pulled, per phone number (for get_messages without a cursor).
CREATE TABLE mcp_pull_cursors (
  client_name TEXT NOT NULL,
  phone_number_id TEXT NOT NULL,
  last_pulled_at TEXT NOT NULL,
  last_message_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (client_name, phone_number_id)
) STRICT, WITHOUT ROWID;

-- Forwarding (issue 6): where to forward, what was emitted (outbox), and delivery attempts.
CREATE TABLE webhook_targets (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  phone_number_id TEXT NOT NULL DEFAULT '',  -- '' = every number
  event_types TEXT NOT NULL DEFAULT '[]',  -- JSON array of subscribed event type strings
  enabled INTEGER NOT NULL DEFAULT 1,
  max_attempts INTEGER NOT NULL DEFAULT 8,
  timeout_ms INTEGER NOT NULL DEFAULT 10000,
  secret TEXT NOT NULL,  -- generated signing secret (the database file is 0600)
  last_success_at TEXT NOT NULL DEFAULT '',
  last_failure_at TEXT NOT NULL DEFAULT '',
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL UNIQUE,  -- envelope "id"
  type TEXT NOT NULL,
  source TEXT NOT NULL,
  occurred_at TEXT NOT NULL,
  account_id TEXT NOT NULL DEFAULT '',  -- envelope "accountId" (WABA id)
  phone_number_id TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL,  -- the exact JSON envelope that is POSTed and signed
  created_at TEXT NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES webhook_events(id),
  target_id INTEGER NOT NULL REFERENCES webhook_targets(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'delivering', 'succeeded', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_status_code INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (event_id, target_id)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at)
  WHERE state IN ('pending', 'delivering');
CREATE INDEX webhook_deliveries_target ON webhook_deliveries(target_id, id);

CREATE TABLE webhook_delivery_attempts (
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  status_code INTEGER,
  error TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX webhook_delivery_attempts_delivery ON webhook_delivery_attempts(delivery_id, attempt);
