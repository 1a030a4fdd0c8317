-- Why parts of an acknowledged webhook were not stored (an id that is no id, a status for a
-- message of another number, ...): the body stays in its webhook_log row, the reasons beside it.
-- Empty for a webhook stored whole. ADD COLUMN only rewrites the table's definition: existing rows
-- read the default, nothing is copied.
--
-- A new database gets every migration in one transaction on one connection, and 0006 edited
-- webhook_log's definition through writable_schema: that connection still holds the old parse,
-- whose text offsets ADD COLUMN would splice the new column into. RESET reloads the schema
-- first (and leaves writable_schema off).
PRAGMA writable_schema = RESET;
ALTER TABLE webhook_log ADD COLUMN notes TEXT NOT NULL DEFAULT '';
