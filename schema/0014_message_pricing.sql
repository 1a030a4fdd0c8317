-- What Meta says each message we sent costs in kind: the pricing object of its status webhooks
-- (category, billable, pricing model and type), kept per message so get_usage counts a range of
-- days with one join. The latest status that carries pricing wins (Meta repeats it on sent and
-- delivered). Existing status events fill it once.
CREATE TABLE message_pricing (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id),
  category TEXT NOT NULL,
  billable INTEGER NOT NULL,
  model TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL DEFAULT '',
  updated_at TEXT NOT NULL
) STRICT;

INSERT INTO message_pricing(message_id, category, billable, model, type, updated_at)
SELECT e.message_id, e.pricing_category, coalesce(e.pricing_billable, 0), e.pricing_model,
       e.pricing_type, e.created_at
FROM message_status_events e
WHERE e.id IN (SELECT max(x.id) FROM message_status_events x
               WHERE x.message_id IS NOT NULL AND x.pricing_category <> ''
               GROUP BY x.message_id);
