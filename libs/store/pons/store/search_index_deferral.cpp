#include "pons/store/search_index_deferral.hpp"

#include <utility>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

// A cached statement: this runs twice per group commit.
result<void> set_deferred(database& db, bool on) {
  PONS_STORE_TRY(st, db.prepare("UPDATE messages_fts_control SET deferred = ?1 WHERE id = 1"));
  st.bind(1, on);
  PONS_STORE_CHECK(st.run());
  return {};
}

}  // namespace

result<search_index_deferral> search_index_deferral::begin(database& db) {
  if (db.kind() == backend::postgresql) return search_index_deferral(nullptr, 0);
  PONS_STORE_TRY(last, db.query_int64("SELECT coalesce(max(id), 0) FROM messages"));
  PONS_STORE_CHECK(set_deferred(db, true));
  return search_index_deferral(&db, last);
}

search_index_deferral::search_index_deferral(search_index_deferral&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), last_before_(other.last_before_) {}

search_index_deferral::~search_index_deferral() {
  if (db_ && db_->in_transaction()) (void)set_deferred(*db_, false);
}

result<void> search_index_deferral::finish() {
  if (!db_) return {};
  PONS_STORE_TRY(st, db_->prepare("INSERT INTO messages_fts(rowid, text, media_caption, "
                                  "media_filename) SELECT id, text, media_caption, "
                                  "media_filename FROM messages WHERE id > ?1"));
  st.bind(1, last_before_);
  PONS_STORE_CHECK(st.run());
  PONS_STORE_CHECK(set_deferred(*db_, false));
  db_ = nullptr;  // done: nothing left for the destructor
  return {};
}

}  // namespace pons::store
