-- API keys for the MCP endpoint of pons-webhook (`pons-webhook keys create|list|revoke`).
--
-- A key is "pons_" + lookup + "_" + secret. The lookup (12 base62 characters) is not secret: it
-- finds the row and is shown by `keys list` as the key's prefix. The secret (43 base62
-- characters, 256 random bits) is never stored: secret_hash is the lowercase hex SHA-256 of the
-- whole key, compared in constant time (docs/security.md, "API keys").
--
-- Plain SQL that PostgreSQL also reads (no STRICT, no partial index, no SQLite function):
-- INTEGER PRIMARY KEY becomes an identity column there, and times stay ISO-8601 text like
-- everywhere else in the schema.
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL CHECK (name <> ''),
  lookup TEXT NOT NULL UNIQUE,
  secret_hash TEXT NOT NULL CHECK (length(secret_hash) = 64),
  -- What the key may do: the read tools and resources, or those and the send tools.
  scopes TEXT NOT NULL CHECK (scopes IN ('read', 'read send')),
  -- The one account whose data the key sees; NULL: every account.
  account_id INTEGER REFERENCES accounts(id),
  created_at TEXT NOT NULL,
  -- Written at most once a minute per key (api_key_repository.hpp, note_api_key_use).
  last_used_at TEXT NOT NULL DEFAULT '',
  -- '' = never expires.
  expires_at TEXT NOT NULL DEFAULT '',
  -- '' = in force. Revoked keys stay listed; they never verify again.
  revoked_at TEXT NOT NULL DEFAULT ''
);
