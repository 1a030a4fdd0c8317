-- Send pacing shared by every instance that sends from this database: one token bucket per
-- business number (Meta's throughput limit per number), so that all of them together stay under
-- it. tokens may go negative: that is a queue of reserved turns. updated_ms is the Unix time in
-- milliseconds when tokens was last computed. No change announcement: nothing watches pacing.
CREATE TABLE send_pacing (
  bucket TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  updated_ms BIGINT NOT NULL
);
