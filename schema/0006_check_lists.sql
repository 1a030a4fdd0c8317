-- A CHECK constraint `x IN (a, b, c, ...)` with three or more values makes SQLite build a
-- temporary b-tree of the list every time it checks the constraint: once per webhook_log row,
-- conversation update, media job and forwarding delivery (about 4 us of the webhook writer's
-- ~40 us per request). Lists of at most two values are compared directly, so each such CHECK is
-- rewritten as two-value lists joined by OR: exactly the same values are allowed, and every
-- stored row still satisfies it.
--
-- The table definitions are edited in place, with SQLite's documented procedure for changing
-- CHECK constraints without rebuilding a table (ALTER TABLE documentation, "Making Other Kinds
-- Of Table Schema Changes"); rebuilding webhook_log would copy every logged body. The throwaway
-- table at the end bumps the schema cookie, so every open connection re-reads the schema;
-- database::open reopens its own connection after migrating for the same reason.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (last_direction IN ('''', ''inbound'', ''outbound''))',
    'CHECK (last_direction IN ('''', ''inbound'') OR last_direction = ''outbound'')')
  WHERE type = 'table' AND name = 'conversations';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (signature IN ('''', ''valid'', ''invalid'', ''missing''))',
    'CHECK (signature IN ('''', ''valid'') OR signature IN (''invalid'', ''missing''))')
  WHERE type = 'table' AND name = 'webhook_log';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''queued'', ''downloading'', ''done'', ''failed''))',
    'CHECK (state IN (''queued'', ''downloading'') OR state IN (''done'', ''failed''))')
  WHERE type = 'table' AND name = 'media';
UPDATE sqlite_schema SET sql = replace(sql,
    'CHECK (state IN (''pending'', ''delivering'', ''succeeded'', ''dead''))',
    'CHECK (state IN (''pending'', ''delivering'') OR state IN (''succeeded'', ''dead''))')
  WHERE type = 'table' AND name = 'webhook_deliveries';
PRAGMA writable_schema = OFF;
CREATE TABLE pons_schema_reload (x INTEGER) STRICT;
DROP TABLE pons_schema_reload;
