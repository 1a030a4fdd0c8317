#pragma once
// The outbound flow used by the MCP send tools: validate -> template check -> (idempotency) ->
// 24-hour window pre-check -> insert a `pending` row -> pace -> call Meta -> `sent` with the
// wamid, or `failed` with Meta's error. Also mark-read (updates the inbound rows) and template
// sync. One outbound_sender per thread (it borrows that thread's database connection and Graph
// client); the recipient pacer is shared by all threads of the process, the number's pace by
// every process sending from the same database.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/domain/message.hpp"
#include "pons/meta/graph_client.hpp"
#include "pons/meta/message_builders.hpp"
#include "pons/meta/outbound_pacing.hpp"
#include "pons/meta/template_sync.hpp"
#include "pons/store/error.hpp"
#include "pons/store/template_repository.hpp"

namespace pons::store {
class database;
}

namespace pons::outbound {

/// Behaviour switches of the outbound flow.
struct outbound_config {
  bool enforce_window = true;  // refuse free-form messages outside the 24-hour window
  bool dry_run = false;        // validate and record, never call Meta (demo, tests)
  std::chrono::milliseconds max_queue_wait{60000};  // longest pacing wait before giving up
};

/// One send, as a tool asks for it.
struct send_request {
  std::string phone_number_id;     // sender
  std::string waba_id;             // its WABA (templates, new numbers)
  meta::outgoing_message message;  // meta::recipient wa_id may be typed ("+44 7700 900123")
  std::string idempotency_key;     // "" = none; the same key sends once
  bool dry_run = false;            // this send only
};

/// How a send ended.
enum class send_state {
  sent,           // Meta accepted it: row `sent` with its wamid
  failed,         // Meta (or the network) refused it: row `failed` with the error
  invalid,        // refused before anything was written (limits, phone number)
  window_closed,  // free-form outside the 24-hour window: nothing written, see templates
  dry_run,        // recorded, not sent
};

/// The result of a send, for the tool to render.
struct send_outcome {
  send_state state = send_state::invalid;
  std::int64_t message_id = 0;  // row id (0 when nothing was written)
  std::string wamid;
  std::string status;     // the row's status
  bool replayed = false;  // the idempotency key was used before: this is that first result
  std::optional<meta::graph_error> error;         // failed / invalid
  std::optional<int> error_code;                  // Meta's code (row error_code) when known
  std::string explanation;                        // one paragraph: what happened, what to do next
  std::vector<store::template_record> templates;  // window_closed: approved templates
  std::chrono::milliseconds waited{0};            // pacing delay before the send
};

/// Runs sends and related calls against one database connection and one Graph client.
class outbound_sender {
 public:
  using clock_fn = std::function<std::chrono::system_clock::time_point()>;
  using sleep_fn = std::function<void(std::chrono::milliseconds)>;

  /// `now` and `sleep` default to the system clock and std::this_thread::sleep_for.
  outbound_sender(store::database& db, meta::graph_client& graph, meta::send_pacer& pacer,
                  outbound_config config = {}, clock_fn now = nullptr, sleep_fn sleep = nullptr);

  /// Sends one message through the whole flow. Storage failures come back as errors; Meta's
  /// refusals are a `failed` outcome.
  store::result<send_outcome> send(const send_request& request);

  /// Marks an inbound message (and the earlier ones of its conversation) read at Meta, then in
  /// the database (status `read`, conversation unread count 0). A storage failure comes back
  /// as a graph_error whose code is the store error.
  meta::graph_result<void> mark_read(std::string_view phone_number_id, std::string_view wamid,
                                     bool typing_indicator = false);

  /// Fetches every template of the WABA and replaces the stored ones (sync_account_templates).
  meta::graph_result<meta::template_sync_result> sync_templates(std::string_view waba_id);

 private:
  // A check of send() either ends the send, with the outcome to report or the storage error it
  // met, or returns nothing and lets it go on.
  using check_result = store::result<std::optional<send_outcome>>;

  // The pending row a send reserved and the wait for the number's turn, or the first send's
  // outcome when its key was taken.
  struct reservation {
    std::int64_t row_id = 0;
    std::optional<send_outcome> replay;
    std::chrono::milliseconds number_wait{0};
  };

  check_result check_template(const send_request& req);
  check_result check_phone_needed(const send_request& req, const store::template_record& tpl);
  check_result check_marketing_preference(const send_request& req,
                                          const store::template_record& tpl);
  check_result find_replay(std::string_view idempotency_key);
  check_result check_window(const send_request& req, std::chrono::system_clock::time_point now);
  store::result<reservation> reserve_pending(const send_request& req,
                                             const boost::json::object& body,
                                             std::chrono::system_clock::time_point now,
                                             bool takes_turn);
  store::result<send_outcome> record_dry_run(const send_request& req, std::int64_t row_id);
  store::result<send_outcome> give_up_turn(const send_request& req, std::int64_t row_id,
                                           std::chrono::milliseconds wait);
  store::result<send_outcome> record_sent(const send_request& req, std::int64_t row_id,
                                          const std::string& wamid,
                                          std::chrono::milliseconds waited);
  store::result<send_outcome> record_refusal(const send_request& req, std::int64_t row_id,
                                             const meta::graph_error& error,
                                             std::chrono::milliseconds waited);
  store::result<void> record_failed(const send_request& req, std::int64_t row_id,
                                    const domain::meta_error_detail& detail);

  store::database& db_;
  meta::graph_client& graph_;
  meta::send_pacer& pacer_;
  outbound_config config_;
  clock_fn now_;
  sleep_fn sleep_;
};

/// Checks a template message against the synced template: it must be APPROVED and the header and
/// body parameters must match the placeholders of the template's text ({{1}}.. or {{name}}).
/// Returns what is wrong (one sentence naming what the template expects), or "" when it fits.
std::string check_template_message(const store::template_record& tpl,
                                   const meta::template_message& msg);

/// The 131047 explanation plus the approved templates, as one paragraph for an assistant.
std::string window_closed_explanation(const std::vector<store::template_record>& templates,
                                      std::string_view window_expires_at);

}  // namespace pons::outbound
