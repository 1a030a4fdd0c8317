#include "pons/store/group_lookahead.hpp"

#include <boost/json.hpp>

#include "pons/store/database.hpp"
#include "pons/store/insert_claims.hpp"
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

// Rows: (kind, text, number, text, text, number).
//   0: a stored message: wamid, id, status, number;
//   1: a used key;
//   2: a reserved message id;
//   3: the newest created_at (and, on SQLite, the largest message id, after which the reserved
//      ids follow: the write lock keeps them free until the commit; each max in a subquery of its
//      own, so that both are one index lookup);
//   4: a sender of a known number: wa_id, the number's account, the contact as a JSON array
//      ("" when there is none), the number, the conversation's id (0 when there is none);
//   5, 6: an id reserved for a new contact, for a new conversation: one for each sender without
//      one (PostgreSQL; on SQLite new people are inserted as they come, which costs no round
//      trip there).
// Each wamid, key and sender is looked up alone (LATERAL ... LIMIT 1, which the planner does not
// fold into a join): the statement is prepared once per connection, and a generic plan made while
// the tables were small would otherwise keep scanning them whole as they grow.
constexpr std::string_view postgresql_sql =
    "WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence('messages', 'id') AS messages, "
    "pg_get_serial_sequence('contacts', 'id') AS contacts, "
    "pg_get_serial_sequence('conversations', 'id') AS conversations), "
    "people AS MATERIALIZED (SELECT s.pnid, s.wa_id, n.account_id, c.id, c.user_id, "
    "c.username, c.profile_name, c.parent_user_id, c.created_at, c.updated_at, "
    "v.id AS conversation_id "
    "FROM json_to_recordset(?4::json) AS s(pnid text, wa_id text) CROSS JOIN LATERAL "
    "(SELECT account_id FROM phone_numbers WHERE phone_number_id = s.pnid LIMIT 1) n "
    "LEFT JOIN LATERAL (SELECT id, user_id, username, profile_name, parent_user_id, created_at, "
    "updated_at FROM contacts WHERE account_id = n.account_id AND wa_id = s.wa_id AND "
    "wa_id <> '' LIMIT 1) c ON true "
    "LEFT JOIN LATERAL (SELECT id FROM conversations WHERE phone_number_id = s.pnid AND "
    "contact_id = c.id LIMIT 1) v ON true) "
    "SELECT 0, w.wamid, m.id, m.status, m.phone_number_id, 0 "
    "FROM json_array_elements_text(?1::json) AS w(wamid) CROSS JOIN LATERAL "
    "(SELECT id, status, phone_number_id FROM messages WHERE wamid = w.wamid LIMIT 1) m "
    "UNION ALL SELECT 1, k.key, 0, '', '', 0 "
    "FROM json_array_elements_text(?2::json) AS k(key) CROSS JOIN LATERAL "
    "(SELECT 1 FROM processed_events WHERE key = k.key LIMIT 1) p "
    "UNION ALL SELECT 2, '', nextval(seq.messages::regclass), '', '', 0 "
    "FROM seq, generate_series(1, ?3) "
    "UNION ALL SELECT 3, coalesce(max(created_at), ''), 0, '', '', 0 FROM messages "
    "UNION ALL SELECT 4, wa_id, account_id, CASE WHEN id IS NULL THEN '' ELSE "
    "json_build_array(id, user_id, username, profile_name, parent_user_id, created_at, "
    "updated_at)::text END, pnid, coalesce(conversation_id, 0) FROM people "
    "UNION ALL SELECT 5, '', nextval(seq.contacts::regclass), '', '', 0 FROM seq, people "
    "WHERE id IS NULL "
    "UNION ALL SELECT 6, '', nextval(seq.conversations::regclass), '', '', 0 FROM seq, people "
    "WHERE conversation_id IS NULL";

constexpr std::string_view sqlite_sql =
    "SELECT 0, wamid, id, status, phone_number_id, 0 FROM messages "
    "WHERE wamid IN (SELECT value FROM json_each(?1)) "
    "UNION ALL SELECT 1, key, 0, '', '', 0 FROM processed_events "
    "WHERE key IN (SELECT value FROM json_each(?2)) "
    "UNION ALL SELECT 3, coalesce((SELECT max(created_at) FROM messages), ''), "
    "coalesce((SELECT max(id) FROM messages), 0), '', '', 0 "
    "UNION ALL SELECT 4, s.wa_id, n.account_id, CASE WHEN c.id IS NULL THEN '' ELSE "
    "json_array(c.id, c.user_id, c.username, c.profile_name, c.parent_user_id, c.created_at, "
    "c.updated_at) END, s.pnid, coalesce(v.id, 0) "
    "FROM (SELECT json_extract(value, '$.pnid') AS pnid, json_extract(value, '$.wa_id') AS wa_id "
    "FROM json_each(?4)) s JOIN phone_numbers n ON n.phone_number_id = s.pnid "
    "LEFT JOIN contacts c ON c.account_id = n.account_id AND c.wa_id = s.wa_id AND "
    "c.wa_id <> '' LEFT JOIN conversations v ON v.phone_number_id = s.pnid AND "
    "v.contact_id = c.id";

// The senders as one parameter: [{"pnid": ..., "wa_id": ...}, ...].
std::string json_senders(const std::vector<lookahead_request::sender>& senders) {
  boost::json::array a;
  a.reserve(senders.size());
  for (const auto& s : senders) {
    a.emplace_back(boost::json::object{
        {"pnid", boost::json::string_view(s.phone_number_id.data(), s.phone_number_id.size())},
        {"wa_id", boost::json::string_view(s.wa_id.data(), s.wa_id.size())}});
  }
  return boost::json::serialize(a);
}

// A contact row as kind 4 carries it.
std::optional<contact_record> contact_from_json(std::string_view text, std::int64_t account_id,
                                                std::string_view wa_id) {
  if (text.empty()) return std::nullopt;
  boost::system::error_code ec;
  const auto v = boost::json::parse(std::string_view(text), ec);
  if (ec || !v.is_array() || v.as_array().size() != 7) return std::nullopt;
  const auto& a = v.as_array();
  auto str = [&](std::size_t i) {
    return a[i].is_string() ? std::string(a[i].as_string()) : std::string();
  };
  contact_record c;
  c.id = a[0].is_int64() ? a[0].as_int64() : 0;
  c.account_id = account_id;
  c.wa_id = wa_id;
  c.user_id = str(1);
  c.username = str(2);
  c.profile_name = str(3);
  c.parent_user_id = str(4);
  c.created_at = str(5);
  c.updated_at = str(6);
  if (c.id == 0) return std::nullopt;
  return c;
}

// What the group may insert that another instance may insert at the same moment: its messages
// (by wamid), its processed_events keys, its new contacts and conversations (by sender). The
// statuses' wamids are not claimed: a status inserts no message.
std::vector<std::int32_t> claims_of(const lookahead_request& wanted) {
  std::vector<std::int32_t> keys;
  keys.reserve(wanted.message_wamids.size() + wanted.keys.size() + wanted.senders.size());
  for (auto wamid : wanted.message_wamids) keys.push_back(claim_key('m', wamid));
  for (const auto& key : wanted.keys) keys.push_back(claim_key('k', key));
  for (const auto& s : wanted.senders) keys.push_back(sender_claim_key(s.phone_number_id, s.wa_id));
  return keys;
}

}  // namespace

result<group_lookahead> group_lookahead::fetch(database& db, const lookahead_request& wanted) {
  if (!db.in_transaction()) return store_errc::invalid_argument;  // the answers would not hold
  const bool pg = db.kind() == backend::postgresql;
  if (pg) PONS_STORE_CHECK(claim_keys(db, claims_of(wanted)));
  PONS_STORE_TRY(st, db.prepare(pg ? postgresql_sql : sqlite_sql));
  st.bind(1, json_list(wanted.wamids)).bind(2, json_list(wanted.keys));
  st.bind(4, json_senders(wanted.senders));
  if (pg) st.bind(3, static_cast<std::int64_t>(wanted.new_messages));
  group_lookahead out;
  out.message_ids_.ids.reserve(wanted.new_messages);
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
        out.message_ids_.ids.push_back(st.column_int64(2));
        break;
      case 4: {
        const std::int64_t account_id = st.column_int64(2);
        std::string wa_id = st.column_text(1);
        const std::string row = st.column_text(3);
        auto contact = contact_from_json(row, account_id, wa_id);
        if (!contact && !row.empty()) break;  // unreadable: as if not looked up
        if (contact) {                        // 0: looked up, and there is none
          out.conversations_.insert_or_assign(std::make_pair(st.column_text(4), contact->id),
                                              st.column_int64(5));
        }
        out.people_.insert_or_assign(std::make_pair(account_id, std::move(wa_id)),
                                     std::move(contact));
        break;
      }
      case 5:
        out.contact_ids_.ids.push_back(st.column_int64(2));
        break;
      case 6:
        out.conversation_ids_.ids.push_back(st.column_int64(2));
        break;
      default:
        out.newest_ = st.column_text(1);
        if (!pg) {
          const std::int64_t last = st.column_int64(2);
          for (std::size_t i = 1; i <= wanted.new_messages; ++i)
            out.message_ids_.ids.push_back(last + static_cast<std::int64_t>(i));
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
  auto id = message_ids_.take();
  if (!id) return std::nullopt;
  std::string stamp = format_timestamp(now);
  if (newest_ > stamp) stamp = newest_;
  newest_ = stamp;
  return message_position{*id, std::move(stamp)};
}

void group_lookahead::stored(std::string_view wamid, status_target message) {
  if (!wamid.empty()) messages_.insert_or_assign(std::string(wamid), std::move(message));
}

void group_lookahead::status_applied(std::string_view wamid, std::string_view status) {
  auto it = messages_.find(wamid);
  if (it != messages_.end()) it->second.status = status;
}

const std::optional<contact_record>* group_lookahead::person(std::int64_t account_id,
                                                             std::string_view wa_id) const {
  if (people_forgotten_) return nullptr;
  auto it = people_.find(std::make_pair(account_id, std::string(wa_id)));
  return it == people_.end() ? nullptr : &it->second;
}

std::optional<std::int64_t> group_lookahead::conversation(std::string_view phone_number_id,
                                                          std::int64_t contact_id) const {
  if (people_forgotten_) return std::nullopt;
  auto it = conversations_.find(std::make_pair(std::string(phone_number_id), contact_id));
  if (it == conversations_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> group_lookahead::place_contact() {
  if (people_forgotten_) return std::nullopt;
  return contact_ids_.take();
}

std::optional<std::int64_t> group_lookahead::place_conversation() {
  if (people_forgotten_) return std::nullopt;
  return conversation_ids_.take();
}

void group_lookahead::person_stored(const contact_record& contact) {
  if (!contact.wa_id.empty())
    people_.insert_or_assign(std::make_pair(contact.account_id, contact.wa_id), contact);
}

void group_lookahead::conversation_stored(std::string_view phone_number_id, std::int64_t contact_id,
                                          std::int64_t id) {
  conversations_.insert_or_assign(std::make_pair(std::string(phone_number_id), contact_id), id);
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
