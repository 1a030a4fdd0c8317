-- Forwarding (issue 6): the deliverer picks, per target, the oldest due deliveries; this index
-- serves that query without scanning delivered history.
CREATE INDEX webhook_deliveries_target_due ON webhook_deliveries(target_id, next_attempt_at, id)
  WHERE state IN ('pending', 'delivering');

-- Dead deliveries are counted per target for /metrics and listed for manual retry.
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries(target_id, id) WHERE state = 'dead';
