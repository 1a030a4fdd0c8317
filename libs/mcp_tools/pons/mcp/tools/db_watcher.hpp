#pragma once
// Notices what another process (pons-webhook) wrote, cheaply: PRAGMA data_version on a dedicated
// connection every interval, and only when it moved, a look at what changed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "pons/mcp/call_context.hpp"
#include "pons/store/database.hpp"

namespace pons::mcp {

/// What changed since the previous poll.
struct db_changes {
  // Conversations that changed: their row was updated, a status of one of their messages was
  // applied, or a media file of one of them was downloaded.
  std::vector<std::int64_t> conversation_ids;
  // The WABA id of the account of each of conversation_ids, in the same order ("" when unknown).
  std::vector<std::string> conversation_accounts;
  bool new_conversations = false;  // the list of conversations grew
  bool templates_changed = false;
  std::vector<std::string> template_accounts;  // WABA ids whose templates changed
};

class engine;

/// Tells one session what changed: resources/updated for the conversations, the inbox and the
/// templates it subscribed to, resources/list_changed when conversations were added. A session
/// scoped to one account hears only of its own account's conversations: the inbox and the list
/// only when one of them changed, and of the templates only when its account's changed.
void notify_changes(engine& session, const db_changes& changes);

/// Polls a database for changes on its own thread.
class db_watcher {
 public:
  using callback = std::function<void(const db_changes&)>;

  /// Opens its own connection to `path` (no migration); `on_change` runs on the watcher thread.
  db_watcher(std::string path, std::chrono::milliseconds interval, callback on_change);
  /// Stops and joins.
  ~db_watcher();
  db_watcher(const db_watcher&) = delete;
  db_watcher& operator=(const db_watcher&) = delete;

  /// Starts polling; false when the database cannot be opened.
  bool start();
  /// Stops polling. Idempotent.
  void stop();
  /// Runs one poll on the calling thread (tests); returns the changes found.
  db_changes poll_once();

 private:
  struct snapshot {
    std::string conversations_updated;
    std::int64_t conversation_count = 0;
    // A delivery status or a downloaded file changes a conversation without touching its row.
    std::int64_t last_status_event = 0;
    std::string media_updated;
    // Per account (WABA id): its templates' newest update and count, so a change (a deletion
    // too) is known by account.
    std::map<std::string, std::string> templates;
  };
  store::result<snapshot> read_snapshot();
  void run();

  std::string path_;
  std::chrono::milliseconds interval_;
  callback on_change_;
  std::optional<store::database> db_;
  std::optional<std::int64_t> version_;
  snapshot last_;
  cancellation_token stop_;
  std::thread thread_;
};

}  // namespace pons::mcp
