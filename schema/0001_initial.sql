-- Placeholder replaced by the storage work; keeps the embedding step honest.
CREATE TABLE IF NOT EXISTS schema_placeholder (id INTEGER PRIMARY KEY) STRICT;
