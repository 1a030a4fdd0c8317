#include "pons/store/conversation_state.hpp"

#include <algorithm>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

bool same_label(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

void add_label(std::vector<std::string>& labels, const std::string& label) {
  auto same = [&](const std::string& l) { return same_label(l, label); };
  if (std::none_of(labels.begin(), labels.end(), same)) labels.push_back(label);
}

}  // namespace

std::vector<std::string> labels_after(const std::vector<std::string>& current,
                                      const conversation_change& change) {
  std::vector<std::string> labels;
  for (const auto& l : change.labels ? *change.labels : current) add_label(labels, l);
  for (const auto& l : change.add_labels) add_label(labels, l);
  for (const auto& gone : change.remove_labels) {
    std::erase_if(labels, [&](const std::string& l) { return same_label(l, gone); });
  }
  return labels;
}

result<std::optional<conversation_state>> read_conversation_state(database& db, std::int64_t id) {
  conversation_state s;
  {
    PONS_STORE_TRY(st, db.prepare("SELECT phone_number_id, archived, unread_count, marked_unread, "
                                  "note FROM conversations WHERE id = ?1"));
    st.bind(1, id);
    PONS_STORE_TRY(row, st.step());
    if (!row) return std::optional<conversation_state>();
    s.id = id;
    s.phone_number_id = st.column_text(0);
    s.archived = st.column_int64(1) != 0;
    s.unread_count = st.column_int64(2);
    s.marked_unread = st.column_int64(3) != 0;
    s.note = st.column_text(4);
  }
  PONS_STORE_TRY(st, db.prepare("SELECT label FROM conversation_labels WHERE conversation_id = ?1 "
                                "ORDER BY created_at, rowid"));
  st.bind(1, id);
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    s.labels.push_back(st.column_text(0));
  }
  return std::optional<conversation_state>(std::move(s));
}

result<std::optional<conversation_state>> change_conversation(database& db, std::int64_t id,
                                                              const conversation_change& change,
                                                              time_point now) {
  PONS_STORE_TRY(tx, transaction::begin(db));
  PONS_STORE_TRY(before, read_conversation_state(db, id));
  if (!before) return std::optional<conversation_state>();
  if (change.archived) {
    PONS_STORE_TRY(st, db.prepare("UPDATE conversations SET archived = ?2 WHERE id = ?1"));
    st.bind_all(id, *change.archived);
    PONS_STORE_CHECK(st.run());
  }
  if (change.unread) {
    PONS_STORE_TRY(
        st, db.prepare(*change.unread ? "UPDATE conversations SET marked_unread = 1 WHERE id = ?1"
                                      : "UPDATE conversations SET marked_unread = 0, "
                                        "unread_count = 0 WHERE id = ?1"));
    st.bind(1, id);
    PONS_STORE_CHECK(st.run());
  }
  if (change.note) {
    PONS_STORE_TRY(st, db.prepare("UPDATE conversations SET note = ?2 WHERE id = ?1"));
    st.bind_all(id, *change.note);
    PONS_STORE_CHECK(st.run());
  }
  if (change.labels || !change.add_labels.empty() || !change.remove_labels.empty()) {
    auto labels = labels_after(before->labels, change);
    const std::string at = format_timestamp(now);
    for (const auto& old : before->labels) {
      auto same = [&](const std::string& l) { return l == old; };
      if (std::any_of(labels.begin(), labels.end(), same)) continue;
      PONS_STORE_TRY(st, db.prepare("DELETE FROM conversation_labels WHERE conversation_id = ?1 "
                                    "AND label = ?2"));
      st.bind_all(id, old);
      PONS_STORE_CHECK(st.run());
    }
    for (const auto& label : labels) {
      auto same = [&](const std::string& l) { return l == label; };
      if (std::any_of(before->labels.begin(), before->labels.end(), same)) continue;
      PONS_STORE_TRY(st, db.prepare("INSERT INTO conversation_labels(conversation_id, label, "
                                    "created_at) VALUES (?1, ?2, ?3)"));
      st.bind_all(id, label, at);
      PONS_STORE_CHECK(st.run());
    }
  }
  PONS_STORE_TRY(after, read_conversation_state(db, id));
  PONS_STORE_CHECK(tx.commit());
  return after;
}

}  // namespace pons::store
