#pragma once
// The media download worker of pons-webhook: one thread with its own database connection. It
// claims queued media jobs (written by the ingest in the same transaction as their message),
// asks the Graph API for a fresh URL (valid 5 minutes), downloads with the account's token,
// checks the sha256 and stores the bytes content-addressed under
// <media dir>/<sha256[0:2]>/<sha256>. Failures go back to the queue with exponential backoff.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "pons/meta/account_config.hpp"
#include "pons/meta/graph_client.hpp"

namespace pons::webhook {

/// How the media worker reaches Meta and where it stores files.
struct media_worker_options {
  std::string db_path;
  std::string media_dir;
  meta::account_config accounts;  // access token per phone number
  meta::graph_config graph;       // base URL, version, CA file; the token is per account
  std::chrono::milliseconds poll_interval{1000};  // look for due retries this often
  int max_attempts = 8;
  /// Receives one key=value log line per download outcome (no secrets). Default: stderr.
  std::function<void(std::string_view)> log_sink;
};

/// Path of a stored media file: <media_dir>/<sha[0:2]>/<sha>.
std::string media_file_path(std::string_view media_dir, std::string_view sha256_hex);

/// Write `bytes` to `path` atomically (temp file + rename, mode 0600), creating the parent
/// directory (0700). False on any failure.
bool write_media_file(const std::string& path, std::string_view bytes);

/// The worker thread. start() once, wake() after commits that queued jobs, stop() to finish.
class media_worker {
 public:
  /// A stopped worker.
  explicit media_worker(media_worker_options options);
  ~media_worker();
  media_worker(const media_worker&) = delete;
  media_worker& operator=(const media_worker&) = delete;

  /// Start the thread (opens its own database connection).
  void start();
  /// Look for work now (cheap; callable from any thread).
  void wake();
  /// Finish the current download and stop.
  void stop();
  /// True while the thread runs.
  bool running() const { return running_.load(); }
  /// Downloads completed since start.
  std::uint64_t downloaded() const { return downloaded_.load(); }
  /// Attempts that failed since start.
  std::uint64_t failures() const { return failures_.load(); }

 private:
  void run();

  media_worker_options opt_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stop_ = false;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> downloaded_{0};
  std::atomic<std::uint64_t> failures_{0};
};

}  // namespace pons::webhook
