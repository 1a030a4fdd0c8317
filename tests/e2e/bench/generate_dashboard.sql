-- A generated inbox for the dashboard benchmark: 1 number, 10,000 contacts and conversations,
-- 1,000,000 messages (two thirds inbound). Conversation 1 holds the last 1,000 messages (the
-- thread the benchmark opens); the rest are spread over the other 9,999.
-- scripts/bench-dashboard replaces 1000000 with a smaller count for a quick run.
BEGIN;
INSERT INTO accounts (id, waba_id, name, created_at, updated_at)
VALUES (1, '100000000000001', 'Bench', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO phone_numbers (id, phone_number_id, account_id, display_phone_number, is_default, created_at, updated_at)
VALUES (1, '200000000000001', 1, '+1 555-010-0001', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO contacts (id, account_id, wa_id, profile_name, created_at, updated_at)
SELECT i, 1, '4477009' || printf('%05d', i), 'Customer ' || i, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
INSERT INTO conversations (id, phone_number_id, contact_id, last_message_at, last_direction, preview, unread_count, window_expires_at, created_at, updated_at)
SELECT i, '200000000000001', i,
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (10000 - i) || ' seconds'),
       'inbound', 'message about the order', i % 3,
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-02', '+' || (10000 - i) || ' seconds'),
       '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, conversation_id, type, text, status, ts, created_at, updated_at)
SELECT i, CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END, 'wamid.bench' || i, '200000000000001',
       CASE WHEN i > 1000000 - 1000 THEN 1 ELSE (i % 9999) + 2 END,
       CASE WHEN i > 1000000 - 1000 THEN 1 ELSE (i % 9999) + 2 END, 'text',
       'message ' || i || ' about the ' ||
         CASE i % 7 WHEN 0 THEN 'invoice' WHEN 1 THEN 'delivery' WHEN 2 THEN 'refund' WHEN 3 THEN 'lamp'
                    WHEN 4 THEN 'order' WHEN 5 THEN 'colour' ELSE 'parcel' END || ' code ' || (i % 9973),
       CASE WHEN i % 3 = 0 THEN 'delivered' ELSE 'received' END, 0,
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i / 100.0) || ' seconds'),
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i / 100.0) || ' seconds')
FROM n;
COMMIT;
