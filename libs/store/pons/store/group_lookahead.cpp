#include "pons/store/group_lookahead.hpp"

#include <boost/json.hpp>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

// A list of values as one parameter: a JSON array of strings, which both engines take apart.
template <typename Text>
std::string json_list(const std::vector<Text>& values) {
  boost::json::array a;
  a.reserve(values.size());
  for (const auto& v : values) a.emplace_back(boost::json::string_view(v.data(), v.size()));
  return boost::json::serialize(a);
}

// Rows: (kind, text, number, text, text). Kind 0: a stored message (wamid, id, status, number);
// 1: a used key; 2: a reserved message id; 3: the newest created_at (and, on SQLite, the largest
// id, after which the reserved ids follow: the write lock keeps them free until the commit; each
// max in a subquery of its own, so that both are one index lookup).
// Each wamid and key is looked up alone (LATERAL ... LIMIT 1, which the planner does not fold
// into a join): the statement is prepared once per connection, and a generic plan made while
// the tables were small would otherwise keep scanning them whole as they grow.
constexpr std::string_view postgresql_sql =
    "SELECT 0, w.wamid, m.id, m.status, m.phone_number_id "
    "FROM json_array_elements_text(?1::json) AS w(wamid) CROSS JOIN LATERAL "
    "(SELECT id, status, phone_number_id FROM messages WHERE wamid = w.wamid LIMIT 1) m "
    "UNION ALL SELECT 1, k.key, 0, '', '' "
    "FROM json_array_elements_text(?2::json) AS k(key) CROSS JOIN LATERAL "
    "(SELECT 1 FROM processed_events WHERE key = k.key LIMIT 1) p "
    "UNION ALL SELECT 2, '', nextval('messages_id_seq'), '', '' FROM generate_series(1, ?3) "
    "UNION ALL SELECT 3, coalesce(max(created_at), ''), 0, '', '' FROM messages";

constexpr std::string_view sqlite_sql =
    "SELECT 0, wamid, id, status, phone_number_id FROM messages "
    "WHERE wamid IN (SELECT value FROM json_each(?1)) "
    "UNION ALL SELECT 1, key, 0, '', '' FROM processed_events "
    "WHERE key IN (SELECT value FROM json_each(?2)) "
    "UNION ALL SELECT 3, coalesce((SELECT max(created_at) FROM messages), ''), "
    "coalesce((SELECT max(id) FROM messages), 0), '', ''";

}  // namespace

result<group_lookahead> group_lookahead::fetch(database& db, const lookahead_request& wanted) {
  if (!db.in_transaction()) return store_errc::invalid_argument;  // the answers would not hold
  const bool pg = db.kind() == backend::postgresql;
  PONS_STORE_TRY(st, db.prepare(pg ? postgresql_sql : sqlite_sql));
  st.bind(1, json_list(wanted.wamids)).bind(2, json_list(wanted.keys));
  if (pg) st.bind(3, static_cast<std::int64_t>(wanted.new_messages));
  group_lookahead out;
  out.ids_.reserve(wanted.new_messages);
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    switch (st.column_int64(0)) {
      case 0:
        out.messages_.insert_or_assign(
            st.column_text(1),
            status_target{st.column_int64(2), st.column_text(3), st.column_text(4)});
        break;
      case 1:
        out.keys_.insert(st.column_text(1));
        break;
      case 2:
        out.ids_.push_back(st.column_int64(2));
        break;
      default:
        out.newest_ = st.column_text(1);
        if (!pg) {
          const std::int64_t last = st.column_int64(2);
          for (std::size_t i = 1; i <= wanted.new_messages; ++i)
            out.ids_.push_back(last + static_cast<std::int64_t>(i));
        }
        break;
    }
  }
  return out;
}

const status_target* group_lookahead::message(std::string_view wamid) const {
  auto it = messages_.find(wamid);
  return it == messages_.end() ? nullptr : &it->second;
}

std::optional<message_position> group_lookahead::place_message(time_point now) {
  if (next_id_ >= ids_.size()) return std::nullopt;
  std::string stamp = format_timestamp(now);
  if (newest_ > stamp) stamp = newest_;
  newest_ = stamp;
  return message_position{ids_[next_id_++], std::move(stamp)};
}

void group_lookahead::stored(std::string_view wamid, status_target message) {
  if (!wamid.empty()) messages_.insert_or_assign(std::string(wamid), std::move(message));
}

void group_lookahead::status_applied(std::string_view wamid, std::string_view status) {
  auto it = messages_.find(wamid);
  if (it != messages_.end()) it->second.status = status;
}

result<bool> group_lookahead::mark_processed(database& db, std::string_view key, time_point now) {
  if (key.empty()) return detail::bool_error(store_errc::invalid_argument);
  if (keys_.find(key) != keys_.end()) return false;
  auto st = db.prepare("INSERT INTO processed_events(key, created_at) VALUES (?1, ?2)");
  if (!st) return detail::bool_error(st.error());
  st->bind_all(key, format_timestamp(now));
  if (auto r = st->run_later(); !r) return detail::bool_error(r.error());
  keys_.emplace(key);
  return true;
}

}  // namespace pons::store
