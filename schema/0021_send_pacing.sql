-- Send pacing shared by every process that sends from this database: one token bucket per
-- business number (Meta's throughput limit per number), so that pons-mcp, pons-webhook and further
-- instances together stay under it. tokens may go negative: that is a queue of reserved turns.
-- updated_ms is the Unix time in milliseconds when tokens was last computed.
CREATE TABLE send_pacing (
  bucket TEXT PRIMARY KEY,
  tokens REAL NOT NULL,
  updated_ms INTEGER NOT NULL
);
