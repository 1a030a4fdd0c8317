-- Nothing to change on SQLite: this number's PostgreSQL migration announces changes to what
-- pons-webhook's writer remembers between groups, for other instances on the same database.
-- SQLite has one writer process, which forgets at any other connection's commit (PRAGMA
-- data_version). Migrations come in pairs, so this one is here too.
SELECT 1;
