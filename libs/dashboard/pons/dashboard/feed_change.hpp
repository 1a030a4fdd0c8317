#pragma once
// What the dashboard's live feed tells its pages: which conversations changed, whether the
// inbox grew, whether templates changed. A principal limited to one account hears only of that
// account's conversations and templates. Also the Server-Sent Events text of each event. Pure.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pons::dashboard {

/// One change in the database, as the feed receives it.
struct feed_change {
  /// Each changed conversation's id and the WABA id of its account ("" when unknown).
  std::vector<std::pair<std::int64_t, std::string>> conversations;
  bool new_conversations = false;              // conversations were added
  bool templates = false;                      // templates changed
  std::vector<std::string> template_accounts;  // the WABA ids whose templates changed
};

/// What one principal may hear of a change.
struct feed_view {
  std::vector<std::int64_t> conversations;
  bool new_conversations = false;
  bool templates = false;
};

/// The part of `change` that a principal who sees `waba_id` ("" = every account) may hear;
/// nullopt when nothing is left. A limited principal hears of new conversations only when one of
/// its own changed, so another account's growth does not show.
std::optional<feed_view> visible_to(const feed_change& change, std::string_view waba_id);

/// A stream's opening: the reconnection delay a browser should use, then `event: ready`.
std::string feed_opening(std::chrono::milliseconds retry);

/// `event: changed` with {"conversations": [...], "new_conversations": ..., "templates": ...}.
std::string feed_changed_event(const feed_view& view);

/// A comment line that keeps an idle stream open through proxies and shows a dead client.
std::string_view feed_keepalive();

}  // namespace pons::dashboard
