-- Nothing to change on SQLite: this number's PostgreSQL migration keeps more statistics for the
-- planner's choice in search, and FTS5 makes no such guess. Migrations come in pairs, so this one
-- is here too.
SELECT 1;
