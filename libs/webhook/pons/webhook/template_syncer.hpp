#pragma once
// The template syncer of pons-webhook: one thread with its own database connection that fetches
// every configured account's message templates from Meta into the `templates` table: once at
// start, then every `interval`, and whenever asked (a template status webhook arrived). The
// Graph API may be slow, down or refuse: the listener and the writer never wait for it, a failed
// sync is logged once with Meta's reason (and kept for list_templates) and tried again on the
// next period.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"

namespace pons::webhook {

/// What the syncer syncs and how it reaches Meta.
struct template_syncer_options {
  std::string db_path;
  meta::account_config accounts;  // WABA id and access token per account
  meta::graph_config graph;       // base URL, version, CA file; the token is per account
  /// Every account is synced again this often; 0 = only at start and when asked.
  std::chrono::seconds interval{6 * 3600};
  /// Receives one key=value line per sync outcome (no secrets). Default: stderr.
  std::function<void(std::string_view)> log_sink;
};

/// The syncer thread. start() once, request() after template webhooks, stop() to finish.
class template_syncer {
 public:
  /// A stopped syncer.
  explicit template_syncer(template_syncer_options options);
  ~template_syncer();
  template_syncer(const template_syncer&) = delete;
  template_syncer& operator=(const template_syncer&) = delete;

  /// Start the thread; it syncs every account at once.
  void start();
  /// Sync the account `waba_id` soon (cheap; callable from any thread; repeated requests for
  /// an account waiting its turn count once).
  void request(std::string_view waba_id);
  /// Ask the thread to stop without waiting for it (a sync in flight ends with its request).
  void signal_stop();
  /// Stop and wait for the thread (at most one Graph API request that is in flight).
  void stop();
  /// Syncs that succeeded since start.
  std::uint64_t synced() const;
  /// Syncs that failed since start.
  std::uint64_t failed() const;

 private:
  void run();

  template_syncer_options opt_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> requested_;
  bool stop_ = false;
  std::uint64_t synced_ = 0;
  std::uint64_t failed_ = 0;
};

}  // namespace pons::webhook
