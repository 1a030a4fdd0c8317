-- Nothing to change on SQLite: this number's PostgreSQL migration moves change announcements
-- from statement triggers into the store (SQLite's PRAGMA data_version needs none) and makes
-- its accent folding cheaper. Migrations come in pairs, so this one is here too.
SELECT 1;
