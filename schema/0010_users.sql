-- People who sign in to the dashboard, and their server-side sessions.
--
-- Plain SQL that PostgreSQL also reads (no COLLATE NOCASE, no STRICT, no partial index): an
-- email is unique case-insensitively because Pons stores its lowercase form in email_key and
-- that column is UNIQUE; times are ISO-8601 text like everywhere else in the schema.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  -- As typed (shown by `users list`); email_key is its ASCII-lowercase form.
  email TEXT NOT NULL CHECK (email <> ''),
  email_key TEXT NOT NULL UNIQUE,
  -- owner: also manages users; admin: also templates, forwarding targets, API keys; member:
  -- reads and sends.
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  -- The one account whose data the user sees; NULL: every account.
  account_id INTEGER REFERENCES accounts(id),
  -- Argon2id in libsodium's encoded form ("$argon2id$v=19$m=...,t=...,p=...$salt$hash").
  password_hash TEXT NOT NULL CHECK (password_hash <> ''),
  created_at TEXT NOT NULL,
  -- '' = never signed in.
  last_login_at TEXT NOT NULL DEFAULT '',
  -- '' = may sign in.
  disabled_at TEXT NOT NULL DEFAULT ''
);

-- A signed-in browser. The session id itself (256 random bits, in the pons_session cookie) is
-- never stored: id_hash is the lowercase hex SHA-256 of it, so a copy of the database opens no
-- session. The CSRF token is stored as is: it proves nothing without the cookie.
CREATE TABLE dashboard_sessions (
  id INTEGER PRIMARY KEY,
  id_hash TEXT NOT NULL UNIQUE CHECK (length(id_hash) = 64),
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL CHECK (csrf_token <> ''),
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX dashboard_sessions_by_user ON dashboard_sessions(user_id);
