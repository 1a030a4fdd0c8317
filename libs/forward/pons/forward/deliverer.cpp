#include "pons/forward/deliverer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "pons/forward/dispatch_queue.hpp"
#include "pons/forward/url_policy.hpp"
#include "pons/http/client.hpp"
#include "pons/logging/failure_streak.hpp"
#include "pons/logging/log_field.hpp"
#include "pons/logging/log_line.hpp"
#include "pons/meta/signature.hpp"
#include "pons/store/database.hpp"

namespace pons::forward {

namespace {

using clock = std::chrono::system_clock;

// Response bodies are not used; a receiver answering with a huge page is cut off.
constexpr std::size_t response_body_limit = 1024 * 1024;
constexpr int record_retries = 20;

std::string describe_status(int status) {
  if (status >= 300 && status < 400) {
    return fmt::format("HTTP {} (redirects are not followed)", status);
  }
  if (status >= 200 && status < 300) {
    return fmt::format("HTTP {} (only 200 counts as delivered)", status);
  }
  return fmt::format("HTTP {}", status);
}

template <class T>
void parse_number(const char* text, T& out) {
  if (!text || !*text) return;
  T value{};
  std::string_view s(text);
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc() && ptr == s.data() + s.size()) out = value;
}

std::unique_ptr<http::client> make_client(std::chrono::milliseconds timeout, bool allow_link_local,
                                          const std::string& ca_file) {
  http::client_options co;
  co.timeout = timeout;
  co.body_limit = response_body_limit;
  co.ca_file = ca_file;
  co.user_agent = "pons-forwarder/" PONS_VERSION;
  if (!allow_link_local) {
    co.refuse_address = [](std::string_view address) { return is_refused_address(address); };
  }
  return std::make_unique<http::client>(std::move(co));
}

attempt_outcome send_with(http::client& client, const delivery_job& job) {
  const auto started = clock::now();
  const auto unix_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count();
  const auto sig = sign_delivery(job.secret, job.body, unix_seconds);
  http::request req;
  req.method = "POST";
  req.url = job.url;
  req.headers = {{"Content-Type", "application/json"},
                 {"X-Pons-Event-Id", job.event_id},
                 {"X-Pons-Event-Type", job.event_type},
                 {"X-Pons-Delivery-Id", std::to_string(job.delivery_id)},
                 {"X-Pons-Attempt", std::to_string(job.attempt)},
                 {"X-Pons-Timestamp", sig.timestamp},
                 {"X-Pons-Signature", sig.signature}};
  req.body = job.body;
  const auto steady_start = std::chrono::steady_clock::now();
  auto res = client.send(req);
  attempt_outcome out;
  out.started_at = started;
  out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - steady_start);
  if (!res) {
    out.error = res.error() == http::client_errc::address_refused
                    ? make_error_code(forward_errc::address_refused).message()
                    : res.error().message();
  } else {
    out.status_code = res->status;
    if (res->status != 200) out.error = describe_status(res->status);
  }
  return out;
}

}  // namespace

attempt_outcome send_once(const delivery_job& job, bool allow_link_local,
                          const std::string& ca_file) {
  auto client = make_client(job.timeout, allow_link_local, ca_file);
  return send_with(*client, job);
}

deliverer_options deliverer_options_from_env(
    std::string database_path, const std::function<const char*(const char*)>& getenv) {
  deliverer_options o;
  o.database_path = std::move(database_path);
  if (const char* scale = getenv("PONS_FORWARD_BACKOFF_SCALE"); scale && *scale) {
    char* end = nullptr;
    const double v = std::strtod(scale, &end);
    if (end && *end == '\0' && v > 0 && v <= 1000) o.backoff.scale = v;
  }
  std::size_t workers = o.workers;
  parse_number(getenv("PONS_FORWARD_WORKERS"), workers);
  o.workers = std::clamp<std::size_t>(workers, 1, 64);
  int per_target = o.per_target;
  parse_number(getenv("PONS_FORWARD_PER_TARGET"), per_target);
  o.per_target = std::clamp(per_target, 1, 64);
  int claim_batch = o.claim_batch;
  parse_number(getenv("PONS_FORWARD_CLAIM_BATCH"), claim_batch);
  o.claim_batch = std::clamp(claim_batch, 1, 1000);
  long long poll_ms = o.poll_interval.count();
  parse_number(getenv("PONS_FORWARD_POLL_MS"), poll_ms);
  o.poll_interval = std::chrono::milliseconds(std::clamp<long long>(poll_ms, 5, 60000));
  long long change_ms = o.change_check_interval.count();
  parse_number(getenv("PONS_FORWARD_CHANGE_MS"), change_ms);
  o.change_check_interval = std::chrono::milliseconds(std::clamp<long long>(change_ms, 5, 60000));
  if (const char* allow = getenv("PONS_FORWARD_ALLOW_LINK_LOCAL")) {
    o.allow_link_local = std::string_view(allow) == "1" || std::string_view(allow) == "true";
  }
  if (const char* ca = getenv("PONS_FORWARD_CA_FILE")) o.ca_file = ca;
  return o;
}

signed_headers sign_delivery(std::string_view secret, std::string_view body,
                             std::int64_t unix_seconds) {
  signed_headers h;
  h.timestamp = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(h.timestamp.size() + 1 + body.size());
  signed_text.append(h.timestamp).append(".").append(body);
  h.signature = meta::hmac_sha256_hex(secret, signed_text);
  return h;
}

struct deliverer::impl {
  explicit impl(deliverer_options o) : options(std::move(o)), work(options.per_target) {
    if (!options.log) {
      options.log = [](std::string_view line) { logging::write_log_text(line); };
    }
    options.workers = std::max<std::size_t>(options.workers, 1);
    options.per_target = std::max(options.per_target, 1);
    options.claim_batch = std::max(options.claim_batch, 1);
    options.change_check_interval =
        std::max(options.change_check_interval, std::chrono::milliseconds(1));
    // Enough held work for every worker to serve a different target with a full batch.
    max_held = static_cast<std::size_t>(options.claim_batch) * options.workers;
  }

  deliverer_options options;
  std::size_t max_held = 0;
  std::mutex mu;
  std::condition_variable dispatcher_cv;   // an attempt recorded, new work, or stop
  std::condition_variable worker_cv;       // a job queued, a send slot freed, or stop
  std::condition_variable recorder_cv;     // an attempt finished, or the workers stopped
  dispatch_queue work;                     // claimed and not yet recorded
  std::vector<finished_attempt> finished;  // sent, waiting for the recorder
  bool stopping = false;
  bool workers_done = false;
  bool woken = false;
  bool running = false;
  std::optional<store::database> dispatcher_db;
  std::optional<store::database> recorder_db;
  std::thread dispatcher;
  std::thread recorder;
  std::vector<std::thread> workers;

  void log(std::string_view line) { options.log(line); }

  // Polls PRAGMA data_version (cheap: no table is read) and reports whether another connection
  // committed since the last call. The first call only remembers the version.
  bool changed_elsewhere(store::database& db, std::optional<std::int64_t>& seen) {
    auto v = db.data_version();
    if (!v) return true;  // cannot tell: look for work
    const bool changed = seen && *seen != *v;
    seen = *v;
    return changed;
  }

  void run_dispatcher() {
    auto& db = *dispatcher_db;
    logging::failure_streak claim_failures;
    std::optional<std::int64_t> seen_version;
    std::unique_lock lock(mu);
    while (!stopping) {
      const std::size_t room = max_held - std::min(max_held, work.held());
      std::size_t claimed = 0;
      if (room > 0) {
        lock.unlock();
        claim_limits limits;
        limits.max_jobs = room;
        limits.per_target = options.claim_batch;
        limits.lease_margin = options.lease_margin;
        auto jobs = claim_due(db, clock::now(), limits);
        lock.lock();
        if (!jobs) {
          // Every poll fails the same way while the database is away: a line for the first,
          // then one a minute.
          if (claim_failures.failed(std::chrono::steady_clock::now())) {
            log(fmt::format("level=warn event=forward_claim_failed error={} failures={} skipped={}",
                            logging::log_quoted(jobs.error().message()), claim_failures.failures(),
                            claim_failures.skipped()));
          }
        } else {
          if (claim_failures.succeeded()) log("level=info event=forward_claim_recovered");
          claimed = jobs->size();
          // A row whose lease ran out while it waited here is claimed again (its lease renewed)
          // but not queued twice.
          if (work.add(std::move(*jobs)) > 0) worker_cv.notify_all();
        }
      }
      if (stopping) break;
      if (claimed > 0 && claimed == room) continue;  // there may be more right away

      // Sleep until the next delivery is due, a poll interval passes, attempts are recorded, or
      // someone calls notify() (this process committed new outbox rows). Work written by another
      // process (pons-mcp's outbound events) shows as a new data_version, checked every
      // change_check_interval; it only leads to a claim when something is due.
      auto deadline = clock::now() + options.poll_interval;
      lock.unlock();
      changed_elsewhere(db, seen_version);
      auto next = room > 0 ? next_due(db) : result<std::optional<store::time_point>>{};
      lock.lock();
      // Only a future due time shortens the sleep: a past one is work held back by the
      // per-target limit, which recorded attempts wake us for.
      if (next && *next && **next > clock::now() &&
          **next + std::chrono::milliseconds(1) < deadline) {
        deadline = **next + std::chrono::milliseconds(1);
      }
      while (!stopping && !woken) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        if (left.count() <= 0) break;
        dispatcher_cv.wait_for(lock, std::min(left, options.change_check_interval),
                               [&] { return stopping || woken; });
        if (stopping || woken || work.held() >= max_held) continue;
        lock.unlock();
        bool due_now = false;
        if (changed_elsewhere(db, seen_version)) {
          auto n = next_due(db);
          const auto now = clock::now();
          due_now = !n || (*n && **n <= now);
          if (n && *n && **n > now && **n + std::chrono::milliseconds(1) < deadline) {
            deadline = **n + std::chrono::milliseconds(1);
          }
        }
        lock.lock();
        if (due_now) break;
      }
      woken = false;
    }
    // Claimed work no worker has started goes back to the table, due at once.
    auto unsent = work.drain_waiting();
    lock.unlock();
    if (auto r = release_claims(db, unsent, clock::now()); !r) {
      log(fmt::format("level=warn event=forward_release_failed error={}",
                      logging::log_quoted(r.error().message())));
    }
  }

  using client_cache =
      std::map<std::int64_t, std::pair<std::chrono::milliseconds, std::unique_ptr<http::client>>>;

  // One keep-alive client per target and worker, so consecutive deliveries reuse a connection.
  http::client& client_for(client_cache& cache, const delivery_job& job) {
    auto& slot = cache[job.target_id];
    if (!slot.second || slot.first != job.timeout) {
      slot = {job.timeout, make_client(job.timeout, options.allow_link_local, options.ca_file)};
    }
    return *slot.second;
  }

  void run_worker() {
    client_cache clients;
    std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> draw(0.0, 1.0);
    for (;;) {
      std::optional<delivery_job> job;
      {
        std::unique_lock lock(mu);
        worker_cv.wait(lock, [&] {
          if (stopping) return true;  // the dispatcher hands waiting work back
          job = work.take();
          return job.has_value();
        });
        if (!job) return;
      }
      auto outcome = send_with(client_for(clients, *job), *job);
      if (!outcome.status_code) clients.erase(job->target_id);  // start clean after a failure
      const bool ok = is_success(outcome);
      const auto delay = backoff_delay(options.backoff, job->round_attempt, draw(rng));
      const char* verdict =
          ok ? "delivered" : (job->round_attempt >= job->max_attempts ? "dead" : "retry");
      log(fmt::format(
          "level=info event=forward_attempt delivery={} target={} event_id={} attempt={} status={} "
          "duration_ms={} outcome={}{}{}",
          job->delivery_id, job->target_id, logging::log_value(job->event_id), job->attempt,
          outcome.status_code ? std::to_string(*outcome.status_code) : std::string("-"),
          outcome.duration.count(), verdict,
          std::string_view(verdict) == "retry" ? fmt::format(" retry_in_ms={}", delay.count())
                                               : std::string(),
          outcome.error.empty() ? std::string()
                                : fmt::format(" error={}", logging::log_quoted(outcome.error))));
      {
        std::lock_guard lock(mu);
        work.sent(job->target_id);
        finished.push_back({std::move(*job), std::move(outcome), delay});
      }
      worker_cv.notify_one();  // the target has a free send slot again
      recorder_cv.notify_one();
    }
  }

  // Records finished attempts in groups: everything that finished while the last group was being
  // committed goes into the next transaction, so one fsync covers many attempts.
  void run_recorder() {
    auto& db = *recorder_db;
    std::unique_lock lock(mu);
    for (;;) {
      recorder_cv.wait(lock, [&] { return workers_done || !finished.empty(); });
      if (finished.empty()) return;  // workers_done and nothing left
      std::vector<finished_attempt> group;
      group.swap(finished);
      lock.unlock();
      // A busy database must not lose the results: retry, then leave them to the lease (the
      // deliveries are sent again later, which receivers dedupe on X-Pons-Delivery-Id).
      for (int i = 0; i < record_retries; ++i) {
        auto r = record_attempts(db, group, clock::now());
        if (r) break;
        log(fmt::format("level=warn event=forward_record_failed deliveries={} error={}",
                        group.size(), logging::log_quoted(r.error().message())));
        if (!store::is_retryable(r.error())) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      lock.lock();
      for (const auto& f : group) work.recorded(f.job.delivery_id);
      woken = true;
      dispatcher_cv.notify_one();
    }
  }
};

deliverer::deliverer(deliverer_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

deliverer::~deliverer() {
  stop();
}

result<void> deliverer::start() {
  auto& s = *impl_;
  if (s.running) return {};
  store::open_options oo;
  oo.migrate = false;  // the service migrated on start; these are extra connections
  auto db = store::database::open(s.options.database_path, oo);
  if (!db) return db.error();
  auto rec = store::database::open(s.options.database_path, oo);
  if (!rec) return rec.error();
  s.dispatcher_db.emplace(std::move(*db));
  s.recorder_db.emplace(std::move(*rec));
  s.stopping = false;
  s.workers_done = false;
  s.woken = false;
  s.running = true;
  for (std::size_t i = 0; i < s.options.workers; ++i)
    s.workers.emplace_back([&s] { s.run_worker(); });
  s.recorder = std::thread([&s] { s.run_recorder(); });
  s.dispatcher = std::thread([&s] { s.run_dispatcher(); });
  return {};
}

void deliverer::stop() {
  auto& s = *impl_;
  if (!s.running) return;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
  }
  s.dispatcher_cv.notify_all();
  s.worker_cv.notify_all();
  for (auto& t : s.workers) t.join();
  s.workers.clear();
  {
    // Every attempt sent is recorded before the recorder ends.
    std::lock_guard lock(s.mu);
    s.workers_done = true;
  }
  s.recorder_cv.notify_all();
  s.recorder.join();
  s.dispatcher.join();
  s.recorder_db.reset();
  s.dispatcher_db.reset();
  s.running = false;
}

void deliverer::notify() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->woken = true;
  }
  impl_->dispatcher_cv.notify_one();
}

}  // namespace pons::forward
