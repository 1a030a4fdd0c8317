-- webhook_log is pruned in id order (rows are written in arrival order, so the oldest ids are
-- the oldest rows): the index on received_at cost every webhook one more b-tree insert and only
-- served pruning.
DROP INDEX IF EXISTS webhook_log_received;
