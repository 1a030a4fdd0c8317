-- When each account's templates were last fetched from Meta, and why the last attempt failed
-- (empty after a success): list_templates tells an assistant how fresh its list is, and that it
-- was never synced rather than that no template exists.
ALTER TABLE accounts ADD COLUMN templates_synced_at TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN templates_sync_error TEXT NOT NULL DEFAULT '';
