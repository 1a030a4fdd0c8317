#pragma once
// Full-text indexing for a whole group of inserted messages in one statement, instead of one
// per message. On SQLite, FTS5 writes a segment at every statement savepoint, so indexing from
// the insert trigger (schema/0003) cost one segment per message. PostgreSQL indexes its
// generated tsvector column as rows arrive: there this does nothing.

#include <cstdint>

#include "pons/store/error.hpp"

namespace pons::store {

class database;

/// begin() and finish() run inside the group's transaction; other connections never see the
/// deferral, because finish() ends it before the commit (and a rollback ends it too).
class search_index_deferral {
 public:
  /// Stops the per-row indexing for the rest of this transaction's group.
  static result<search_index_deferral> begin(database& db);

  search_index_deferral(search_index_deferral&& other) noexcept;
  search_index_deferral& operator=(search_index_deferral&&) = delete;
  search_index_deferral(const search_index_deferral&) = delete;
  search_index_deferral& operator=(const search_index_deferral&) = delete;
  /// A group that fails inside the caller's own transaction is not rolled back here: the
  /// deferral ends anyway, or a caller committing regardless would stop indexing for every
  /// connection.
  ~search_index_deferral();

  /// Indexes every message inserted since begin(), then lets the trigger index again.
  result<void> finish();

 private:
  search_index_deferral(database* db, std::int64_t last) : db_(db), last_before_(last) {}
  database* db_;  // null when there is nothing to finish
  std::int64_t last_before_;
};

}  // namespace pons::store
