-- generate.sql for PostgreSQL: the same inbox (1 number, 1000 contacts and conversations,
-- 1,000,000 messages, two thirds inbound, four per second of server time), for the
-- get_messages figures of scripts/bench-postgresql. Run on a database pons has migrated.
BEGIN;
INSERT INTO accounts (id, waba_id, name, created_at, updated_at)
VALUES (1, '100000000000001', 'Bench', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO phone_numbers (id, phone_number_id, account_id, display_phone_number, is_default, created_at, updated_at)
VALUES (1, '200000000000001', 1, '+1 555-010-0001', 1, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
INSERT INTO contacts (id, account_id, wa_id, profile_name, created_at, updated_at)
SELECT i, 1, '4477009' || lpad(i::text, 5, '0'), 'Customer ' || i, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
FROM generate_series(1, 1000) AS i;
INSERT INTO conversations (id, phone_number_id, contact_id, last_message_at, last_direction, preview, unread_count, window_expires_at, created_at, updated_at)
SELECT i, '200000000000001', i, '2026-01-12T13:46:40.000Z', 'inbound', 'latest', i % 3, '2026-01-13T13:46:40.000Z', '2026-01-01T00:00:00.000Z', '2026-01-12T13:46:40.000Z'
FROM generate_series(1, 1000) AS i;
INSERT INTO messages (id, direction, wamid, phone_number_id, contact_id, conversation_id, type, text, status, ts, created_at, updated_at)
SELECT i, CASE WHEN i % 3 = 0 THEN 'outbound' ELSE 'inbound' END, 'wamid.bench' || i, '200000000000001',
       (i % 1000) + 1, (i % 1000) + 1, 'text',
       'message ' || i || ' about the ' ||
         CASE i % 7 WHEN 0 THEN 'invoice' WHEN 1 THEN 'delivery' WHEN 2 THEN 'refund' WHEN 3 THEN 'lamp'
                    WHEN 4 THEN 'order' WHEN 5 THEN 'colour' ELSE 'parcel' END || ' code ' || (i % 9973),
       CASE WHEN i % 3 = 0 THEN 'delivered' ELSE 'received' END, 0, t, t
FROM generate_series(1, 1000000) AS i,
     LATERAL (SELECT to_char(TIMESTAMP '2026-01-01' + i * INTERVAL '250 milliseconds',
                             'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t) AS stamp;
-- Explicit ids: the identity sequences go on after them.
SELECT setval(pg_get_serial_sequence('accounts', 'id'), 1);
SELECT setval(pg_get_serial_sequence('phone_numbers', 'id'), 1);
SELECT setval(pg_get_serial_sequence('contacts', 'id'), 1000);
SELECT setval(pg_get_serial_sequence('conversations', 'id'), 1000);
SELECT setval(pg_get_serial_sequence('messages', 'id'), (SELECT max(id) FROM messages));
COMMIT;
ANALYZE;
