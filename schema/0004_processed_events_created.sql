-- Pruning deletes idempotency keys by age (`created_at < cutoff`, in chunks): without an index
-- every pass scanned the whole table while holding the write lock. webhook_log already has
-- webhook_log_received (0001).
CREATE INDEX IF NOT EXISTS processed_events_created ON processed_events(created_at);
