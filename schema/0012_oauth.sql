-- OAuth 2.1 for remote MCP clients (docs/oauth.md): clients that registered themselves
-- (RFC 7591), authorization codes, and the grants a signed-in user consented to with their
-- tokens. No code or token is stored: only the lowercase hex SHA-256 of each, so a copy of the
-- database opens nothing.
CREATE TABLE oauth_clients (
  id INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  -- The registered redirect URIs, one per line; a request must name one of them exactly.
  redirect_uris TEXT NOT NULL CHECK (redirect_uris <> ''),
  created_at TEXT NOT NULL
);

-- One consent: a user let a client act for them with these scopes on this account. Its tokens
-- live and die with it; revoking it (from the keys page) ends every one of them.
CREATE TABLE oauth_grants (
  id INTEGER PRIMARY KEY,
  client_id INTEGER NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  scopes TEXT NOT NULL CHECK (scopes IN ('read', 'read send')),
  -- The one account whose data the client sees; NULL: every account.
  account_id INTEGER REFERENCES accounts(id),
  -- The resource (RFC 8707) the tokens are for: the MCP endpoint's URL.
  resource TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL DEFAULT '',
  -- '' = in force.
  revoked_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oauth_grants_by_user ON oauth_grants(user_id);

-- An authorization code: single use, minutes long, bound to its client, redirect URI and PKCE
-- challenge (S256). Redeemed once; presented again, it revokes the grant it produced.
CREATE TABLE oauth_codes (
  id INTEGER PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE CHECK (length(code_hash) = 64),
  client_id INTEGER NOT NULL REFERENCES oauth_clients(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  scopes TEXT NOT NULL CHECK (scopes IN ('read', 'read send')),
  account_id INTEGER REFERENCES accounts(id),
  resource TEXT NOT NULL DEFAULT '',
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT NOT NULL CHECK (length(code_challenge) = 43),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- The grant its redemption made; NULL until redeemed.
  grant_id INTEGER REFERENCES oauth_grants(id) ON DELETE CASCADE
);

-- Access tokens (an hour) and refresh tokens (rotating: each is exchanged once, and one presented
-- a second time revokes its grant).
CREATE TABLE oauth_tokens (
  id INTEGER PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
  grant_id INTEGER NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- A refresh token once exchanged; '' = not yet.
  used_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oauth_tokens_by_grant ON oauth_tokens(grant_id);
