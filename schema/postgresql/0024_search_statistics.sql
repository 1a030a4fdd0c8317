-- search_messages lists the newest matches first: the planner either walks messages newest first
-- and filters, or asks the GIN index for every match. It picks by the estimated number of
-- matches, and a word missing from the column's statistics is estimated at 0.5% of the rows (or
-- half the rarest word kept, when that is less). With the default statistics target an inbox's
-- frequent words fill the list, so a rare word, or one that is not there at all, read as common:
-- a million messages were walked to find none. A larger target keeps the rarer words too
-- (ANALYZE then samples more rows, in autovacuum's background work).
ALTER TABLE messages ALTER COLUMN search SET STATISTICS 1000;
