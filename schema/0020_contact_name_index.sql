-- Contacts' names are compared case-blind as lower(profile_name), the form PostgreSQL runs as
-- well (SQLite's COLLATE NOCASE has no PostgreSQL equivalent): the index follows.
DROP INDEX contacts_profile_name;
CREATE INDEX contacts_profile_name ON contacts(lower(profile_name));
