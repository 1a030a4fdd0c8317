#pragma once
// Idempotency keys of processed webhook items, the webhook request log, and the MCP clients'
// pull cursors.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// Records `key` as processed; true when it is new, false when it was already there.
result<bool> mark_processed(database& db, std::string_view key, time_point now);

/// True when `key` was processed before.
result<bool> is_processed(database& db, std::string_view key);

/// One row of webhook_log. `body` must already be redacted.
struct webhook_log_entry {
  std::int64_t id = 0;
  std::string received_at;
  std::string request_id;
  std::string phone_number_id;
  std::string signature;  // valid | invalid | missing | ""
  int http_status = 0;
  int messages = 0;
  int statuses = 0;
  int duplicates = 0;
  std::string body;
  std::string notes;  // why parts of the body were not stored; "" when it was stored whole
};

/// Appends a row to webhook_log (received_at as given). A write nobody reads back at once: it
/// may be queued (statement::run_later).
result<void> insert_webhook_log(database& db, const webhook_log_entry& e);

/// The newest `limit` rows of webhook_log, newest first.
result<std::vector<webhook_log_entry>> recent_webhook_log(database& db, int limit = 50);

/// Which webhook_log rows to show; an empty field (0) does not filter.
struct webhook_log_filter {
  std::string signature;  // valid | invalid | missing
  int http_status = 0;
  std::string waba_id;  // rows of this account's numbers only
};

/// The newest `limit` rows of webhook_log that pass `filter`, newest first.
result<std::vector<webhook_log_entry>> recent_webhook_log(database& db,
                                                          const webhook_log_filter& filter,
                                                          int limit);

/// Deletes webhook_log rows and processed_events older than `before` (ISO time); returns the rows
/// deleted. Meta retries for up to 7 days, so keep at least that long.
result<int> prune_event_log(database& db, std::string_view before);

/// Rows deleted by one pruning pass, per table.
struct prune_counts {
  int webhook_log = 0;
  int processed_events = 0;
  /// Set by prune_event_log_chunk when that table has nothing left to delete for its cutoff (or
  /// its cutoff was empty): stop asking for it.
  bool webhook_log_done = false;
  bool processed_events_done = false;
};

/// Deletes webhook_log rows received before `log_before` and processed_events (idempotency keys)
/// created before `keys_before`, in chunks of `prune_chunk_rows` (one commit each, see
/// prune_event_log_chunk); an empty cutoff keeps that table whole. Keys must outlive Meta's
/// redelivery window (7 days) or a late retry is stored twice.
result<prune_counts> prune_event_log(database& db, std::string_view log_before,
                                     std::string_view keys_before);

/// Rows per chunk when prune_event_log deletes a whole backlog.
inline constexpr int prune_chunk_rows = 2000;

/// Deletes at most `limit` webhook_log rows received before `log_before` and at most `limit`
/// processed_events created before `keys_before` (oldest first), in one short transaction (the
/// caller's, if one is open); an empty cutoff leaves that table alone. Call again until both
/// tables are done (the *_done flags): a long backlog is then deleted in many small commits, and
/// a writer can commit other work between them instead of waiting for one huge transaction.
result<prune_counts> prune_event_log_chunk(database& db, std::string_view log_before,
                                           std::string_view keys_before, int limit);

/// One pruning pass over both tables, a chunk at a time (prune_event_log_chunk): step() until
/// done(). An empty cutoff keeps that table whole.
class prune_pass {
 public:
  prune_pass(std::string log_before, std::string keys_before)
      : log_before_(std::move(log_before)), keys_before_(std::move(keys_before)) {}

  /// True once neither table has anything left to delete for its cutoff.
  bool done() const { return log_before_.empty() && keys_before_.empty(); }

  /// Deletes one chunk of at most `limit` rows per table still behind, in its own commit.
  result<void> step(database& db, int limit);

  /// Rows deleted so far, per table.
  const prune_counts& total() const { return total_; }
  /// Chunks run so far.
  int chunks() const { return chunks_; }

 private:
  std::string log_before_;
  std::string keys_before_;
  prune_counts total_;
  int chunks_ = 0;
};

/// What an MCP client last pulled from a number.
struct pull_cursor {
  std::string client_name;
  std::string phone_number_id;
  std::string last_pulled_at;
  std::int64_t last_message_id = 0;
};

/// Records a pull (upsert on client x number).
result<void> record_pull(database& db, const pull_cursor& c);

/// The client's cursor for a number, or nullopt.
result<std::optional<pull_cursor>> get_pull_cursor(database& db, std::string_view client_name,
                                                   std::string_view phone_number_id);

}  // namespace pons::store
