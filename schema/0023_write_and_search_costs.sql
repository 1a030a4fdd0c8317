-- Nothing to change on SQLite: this number's PostgreSQL migration moves change announcements
-- from statement triggers into the store (SQLite's PRAGMA data_version needs none), makes its
-- accent folding cheaper and keeps more statistics for search (FTS5 needs no planner's guess).
-- Migrations come in pairs, so this one is here too.
SELECT 1;
