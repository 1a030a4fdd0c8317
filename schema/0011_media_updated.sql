-- The change watcher asks for the newest media update after every write it notices (a file
-- downloaded changes what its conversation shows): an index answers that without a scan.
CREATE INDEX media_updated ON media(updated_at);
