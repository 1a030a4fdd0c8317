#include "pons/mcp/tools/db_watcher.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pons/mcp/engine.hpp"

namespace pons::mcp {

void notify_changes(engine& session, const db_changes& changes) {
  const auto& scope = session.account();
  bool any = false;
  for (std::size_t i = 0; i < changes.conversation_ids.size(); ++i) {
    // Another account's activity, even its conversation ids, is not for a scoped session.
    if (!scope.everything() && (i >= changes.conversation_accounts.size() ||
                                !scope.allows(changes.conversation_accounts[i]))) {
      continue;
    }
    any = true;
    session.notify_resource_updated(
        fmt::format("pons://conversations/{}", changes.conversation_ids[i]));
  }
  // A new conversation is also an updated one, so a scoped session hears of the inbox and the
  // list only when a conversation of its own account changed in the same poll.
  const bool everything = scope.everything();
  const bool inbox =
      everything ? !changes.conversation_ids.empty() || changes.new_conversations : any;
  const bool grew = changes.new_conversations && (everything || any);
  if (inbox) session.notify_resource_updated("pons://inbox");
  if (grew) session.notify_list_changed("resources");
  const bool templates =
      changes.templates_changed &&
      (everything || std::any_of(changes.template_accounts.begin(), changes.template_accounts.end(),
                                 [&](const std::string& waba) { return scope.allows(waba); }));
  if (templates) session.notify_resource_updated("pons://templates");
}

db_watcher::db_watcher(std::string path, std::chrono::milliseconds interval, callback on_change)
    : path_(std::move(path)), interval_(interval), on_change_(std::move(on_change)) {}

db_watcher::~db_watcher() {
  stop();
}

store::result<db_watcher::snapshot> db_watcher::read_snapshot() {
  snapshot s;
  auto q = db_->prepare("SELECT coalesce(max(updated_at), ''), count(*) FROM conversations");
  if (!q) return q.error();
  auto row = q->step();
  if (!row) return row.error();
  s.conversations_updated = q->column_text(0);
  s.conversation_count = q->column_int64(1);
  q->reset();
  auto e = db_->prepare(
      "SELECT coalesce(max(id), 0), (SELECT coalesce(max(updated_at), '') FROM media) "
      "FROM message_status_events");
  if (!e) return e.error();
  auto erow = e->step();
  if (!erow) return erow.error();
  s.last_status_event = e->column_int64(0);
  s.media_updated = e->column_text(1);
  e->reset();
  auto t = db_->prepare(
      "SELECT waba_id, max(updated_at) || ' ' || count(*) FROM templates GROUP BY waba_id");
  if (!t) return t.error();
  for (;;) {
    auto trow = t->step();
    if (!trow) return trow.error();
    if (!*trow) break;
    s.templates.emplace(t->column_text(0), t->column_text(1));
  }
  return s;
}

bool db_watcher::start() {
  store::open_options options;
  options.migrate = false;
  auto db = store::database::open(path_, options);
  if (!db) return false;
  db_.emplace(std::move(*db));
  auto snap = read_snapshot();
  if (!snap) return false;
  last_ = *snap;
  if (auto v = db_->data_version()) version_ = *v;
  thread_ = std::thread([this] { run(); });
  return true;
}

void db_watcher::stop() {
  stop_.cancel();
  if (thread_.joinable()) thread_.join();
}

db_changes db_watcher::poll_once() {
  db_changes changes;
  if (!db_) {
    store::open_options options;
    options.migrate = false;
    auto db = store::database::open(path_, options);
    if (!db) return changes;
    db_.emplace(std::move(*db));
    if (auto snap = read_snapshot()) last_ = *snap;
  }
  auto v = db_->data_version();
  if (!v || (version_ && *v == *version_)) return changes;
  version_ = *v;
  auto snap = read_snapshot();
  if (!snap) return changes;
  if (snap->conversations_updated != last_.conversations_updated) {
    auto q = db_->prepare(
        "SELECT c.id, coalesce(a.waba_id, '') FROM conversations c "
        "LEFT JOIN phone_numbers p ON p.phone_number_id = c.phone_number_id "
        "LEFT JOIN accounts a ON a.id = p.account_id "
        "WHERE c.updated_at > ?1 ORDER BY c.id");
    if (q) {
      q->bind(1, last_.conversations_updated);
      for (;;) {
        auto row = q->step();
        if (!row || !*row) break;
        changes.conversation_ids.push_back(q->column_int64(0));
        changes.conversation_accounts.push_back(q->column_text(1));
      }
    }
  }
  // Statuses applied and files downloaded since the last poll: their messages' conversations.
  if (snap->last_status_event != last_.last_status_event ||
      snap->media_updated != last_.media_updated) {
    auto q = db_->prepare(
        "SELECT DISTINCT m.conversation_id, coalesce(a.waba_id, '') FROM messages m "
        "LEFT JOIN phone_numbers p ON p.phone_number_id = m.phone_number_id "
        "LEFT JOIN accounts a ON a.id = p.account_id "
        "WHERE m.id IN (SELECT message_id FROM message_status_events WHERE id > ?1 AND applied = 1 "
        "UNION SELECT message_id FROM media WHERE updated_at > ?2 AND state = 'done') "
        "ORDER BY m.conversation_id");
    if (q) {
      q->bind(1, last_.last_status_event).bind(2, last_.media_updated);
      for (;;) {
        auto row = q->step();
        if (!row || !*row) break;
        const auto id = q->column_int64(0);
        if (std::find(changes.conversation_ids.begin(), changes.conversation_ids.end(), id) !=
            changes.conversation_ids.end())
          continue;
        changes.conversation_ids.push_back(id);
        changes.conversation_accounts.push_back(q->column_text(1));
      }
    }
  }
  changes.new_conversations = snap->conversation_count != last_.conversation_count;
  for (const auto& [waba, seen] : snap->templates) {
    auto before = last_.templates.find(waba);
    if (before == last_.templates.end() || before->second != seen) {
      changes.template_accounts.push_back(waba);
    }
  }
  for (const auto& [waba, seen] : last_.templates) {
    if (!snap->templates.contains(waba)) changes.template_accounts.push_back(waba);
  }
  changes.templates_changed = !changes.template_accounts.empty();
  last_ = *snap;
  return changes;
}

void db_watcher::run() {
  while (!stop_.wait_for(interval_)) {
    db_changes changes = poll_once();
    if (!changes.conversation_ids.empty() || changes.new_conversations ||
        changes.templates_changed) {
      on_change_(changes);
    }
  }
}

}  // namespace pons::mcp
