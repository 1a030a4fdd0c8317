-- Full-text indexing per group commit (issue 3). FTS5 flushes its pending terms to a new segment
-- at every statement savepoint, and an INSERT with a trigger runs in one: indexing each message
-- from its own trigger wrote (and later merged) one tiny segment per message. pons-webhook's
-- writer instead sets `deferred` inside its transaction, inserts its messages, indexes them all
-- with one statement and clears `deferred` before it commits, so other connections only ever see
-- 0 here and keep the trigger's behaviour (pons-mcp, the sqlite3 shell, seed scripts).
CREATE TABLE messages_fts_control (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  deferred INTEGER NOT NULL DEFAULT 0 CHECK (deferred IN (0, 1))
) STRICT;
INSERT INTO messages_fts_control (id, deferred) VALUES (1, 0);

DROP TRIGGER messages_fts_insert;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN (SELECT deferred FROM messages_fts_control WHERE id = 1) = 0
BEGIN
  INSERT INTO messages_fts(rowid, text, media_caption, media_filename)
  VALUES (new.id, new.text, new.media_caption, new.media_filename);
END;
