-- What Meta last said about one of our numbers' standing (phone_number_quality_update): the
-- event (e.g. UPGRADE, DOWNGRADE, FLAGGED, UNFLAGGED, THROUGHPUT_UPGRADE), the messaging limit
-- tier it names, and when it came; "" until Meta says anything.
ALTER TABLE phone_numbers ADD COLUMN quality_event TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_numbers ADD COLUMN messaging_limit_tier TEXT NOT NULL DEFAULT '';
ALTER TABLE phone_numbers ADD COLUMN health_updated_at TEXT NOT NULL DEFAULT '';
