#include "pons/webhook/webhook_service.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "pons/forward/target_metrics.hpp"
#include "pons/http/query.hpp"
#include "pons/logging/log_field.hpp"
#include "pons/logging/log_line.hpp"
#include "pons/meta/json_reader.hpp"
#include "pons/meta/redaction.hpp"
#include "pons/meta/webhook_ids.hpp"
#include "pons/meta/webhook_normaliser.hpp"
#include "pons/meta/webhook_signers.hpp"
#include "pons/prometheus/text.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/store/timestamp.hpp"
#include "pons/store/wal_file.hpp"
#include "pons/webhook/bounded_queue.hpp"
#include "pons/webhook/cross_thread_result.hpp"
#include "pons/webhook/ingest.hpp"
#include "pons/webhook/media_worker.hpp"
#include "pons/webhook/parse_budget.hpp"
#include "pons/webhook/sync_gate.hpp"
#include "pons/webhook/template_syncer.hpp"

namespace pons::webhook {

namespace net = boost::asio;
namespace json = boost::json;
using std::chrono::steady_clock;

namespace {

http::server_response text(int status, std::string body, std::string note = {}) {
  http::server_response r;
  r.status = status;
  r.body = std::move(body);
  r.log_note = std::move(note);
  return r;
}

// CPU time of the calling thread (for the writer's busy-versus-CPU metrics).
std::chrono::nanoseconds thread_cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// Why a job was not done: callers choose their answer (503 or 500) from this, never from the
// message text.
enum class refusal {
  none,
  queue_full,
  sync_failed,
  shutting_down,
  timed_out,
  storage,
  database_unreachable
};

// A store error as a refusal: a database server that cannot be reached (PostgreSQL down or
// restarting) is worth retrying soon; anything else is a storage failure.
refusal refusal_for(const boost::system::error_code& ec) {
  return ec == store::store_errc::unavailable ? refusal::database_unreachable : refusal::storage;
}

// What the writer thread reports back for one job.
struct job_outcome {
  bool ok = false;
  refusal refused = refusal::none;
  std::string error;  // never holds a secret: store messages are about SQL, not payloads
  std::size_t duplicates = 0;
  std::size_t messages_new = 0;
  std::size_t media_jobs = 0;
  // Probe results.
  bool writable = false;
  int schema_version = 0;
  std::int64_t media_pending = -1;  // -1 when unknown
  std::string forward_metrics;      // forwarding target health, Prometheus lines
};

struct log_job {
  std::string request_id;
  std::string phone_number_id;
  std::string signature;  // valid | invalid | missing
  int http_status = 0;
  std::string body;  // already redacted
  store::time_point received;
};

struct probe_job {};

// A slot whose work was handed back: the writer empties a slot before answering its request.
struct released_job {};

// One verified, normalised POST waiting for its group commit.
struct ingest_job {
  domain::webhook_batch batch;
  ingest_context context;
};

// The writer only borrows an ingest job: the request's coroutine keeps the other reference, and
// the writer drops its own before it answers, so the job's many small allocations are freed on
// the io thread that made them (a free from another thread takes glibc's arena lock, which the
// io thread then waits for in its next malloc).
using writer_work =
    std::variant<std::shared_ptr<const ingest_job>, log_job, probe_job, released_job>;

struct writer_job {
  writer_work work;
  std::shared_ptr<cross_thread_result<job_outcome>> done;
};

}  // namespace

std::optional<std::string> handshake_challenge(const meta::account_config& accounts,
                                               std::string_view query) {
  auto mode = http::query_param(query, "hub.mode");
  auto token = http::query_param(query, "hub.verify_token");
  auto challenge = http::query_param(query, "hub.challenge");
  if (!mode || *mode != "subscribe" || !token || !challenge) return std::nullopt;
  if (!accounts.verify_token_matches(*token)) return std::nullopt;
  return challenge;
}

// The probe the writer has been asked for and not answered yet. Every /health and /metrics
// request meanwhile waits for this one instead of queueing its own: a poller must not pile up
// probes (each a write transaction) while another process holds the lock. io thread only.
struct pending_probe {
  std::optional<job_outcome> outcome;
  std::vector<net::steady_timer*> waiters;  // cancelled when the outcome arrives
};

struct webhook_service::impl : std::enable_shared_from_this<impl> {
  net::io_context& io;
  webhook_service_options opt;
  metrics stats;
  bounded_queue<writer_job> queue;
  std::thread writer;
  std::optional<store::database> db;
  std::unique_ptr<media_worker> media;
  std::unique_ptr<template_syncer> templates;
  std::thread checkpointer;
  std::mutex checkpoint_mu;
  std::condition_variable checkpoint_cv;
  bool checkpoint_stop = false;
  bool checkpoint_wanted = false;  // the writer committed since the last checkpoint
  steady_clock::time_point started = steady_clock::now();
  std::atomic<bool> writer_running{false};
  std::shared_ptr<pending_probe> probe_pending;  // io thread only
  // With both set, the writer commits without fsync (synchronous=NORMAL) and `gate` answers each
  // group after an fdatasync of the WAL that started after its commit; see open().
  std::optional<store::wal_file> wal;
  std::unique_ptr<sync_gate> gate;
  // Numbers, contacts, conversations and targets the writer has seen, kept across groups until
  // another connection changes them (writer thread only; see ingest_memo).
  ingest_memo memo;
  // Jobs handed to the writer and not yet written: queued, or in the group being written.
  std::atomic<std::int64_t> writing{0};
  // When the last one was handed over (steady_clock ticks): under load the next follows soon.
  std::atomic<steady_clock::rep> last_handed{0};
  // Set for good when a WAL sync fails: the kernel may already have dropped the pages it could
  // not write, so a later sync that succeeds proves nothing about them, and a redelivery would
  // be answered 200 as a duplicate of data that may not be on disk. From then on nothing is
  // acknowledged until the service restarts and SQLite recovers from what the disk holds.
  std::atomic<bool> sync_failed{false};
  static constexpr std::string_view sync_failed_error =
      "a WAL fdatasync failed (disk error): nothing is acknowledged any more; restart pons-webhook "
      "so the database recovers from what is on disk";
  int schema_version = 0;  // as opened; /health reports it when the writer cannot answer

  // One verifier per distinct app secret, each keeping its HMAC key schedule, and which numbers
  // and WABA ids belong to it. io thread only.
  meta::webhook_signers signers;
  // Parsing bodies whose signature is not verified yet (only with more secrets than are tried
  // blindly). io thread only.
  parse_budget unverified_parses;

  impl(net::io_context& ctx, webhook_service_options o)
      : io(ctx),
        opt(std::move(o)),
        queue(opt.queue_limit),
        signers(opt.accounts),
        unverified_parses(
            opt.unverified_parse_bytes_per_second,
            std::max(opt.unverified_parse_bytes_per_second, meta::json_limits{}.max_bytes),
            steady_clock::now()) {}

  // Record the configured accounts and numbers (never their secrets, only where they come from)
  // so conversations can reference them before the first webhook arrives.
  boost::system::result<void> sync_accounts() {
    return store::record_configured_accounts(*db, meta::configured_accounts(opt.accounts),
                                             std::chrono::system_clock::now());
  }

  // ---- writer thread ----

  job_outcome run_log(const log_job& j) {
    job_outcome out;
    auto st = db->prepare(
        "INSERT INTO webhook_log (received_at, request_id, phone_number_id, signature, "
        "http_status, body) VALUES (?, ?, ?, ?, ?, ?)");
    if (!st) {
      out.refused = refusal_for(st.error());
      out.error = st.error().message();
      return out;
    }
    auto r = st->bind_all(store::format_timestamp(j.received), j.request_id, j.phone_number_id,
                          j.signature, j.http_status, j.body)
                 .run();
    if (!r) {
      out.refused = refusal_for(r.error());
      out.error = r.error().message();
      return out;
    }
    out.ok = true;
    return out;
  }

  job_outcome run_probe() {
    stats.count_probe();
    job_outcome out;
    if (auto v = db->schema_version()) out.schema_version = *v;
    // The writer owns the write lock whenever it writes, so a short write transaction here says
    // whether a commit would succeed now (disk, permissions, locks held by another process). It
    // waits for another process's lock only briefly: a probe must answer fast.
    const int busy = db->busy_timeout();
    db->set_busy_timeout(static_cast<int>(opt.probe_busy_timeout.count()));
    if (auto tx = store::transaction::begin(*db)) {
      out.writable = true;
      tx->rollback();
    } else {
      out.error = tx.error().message();
    }
    db->set_busy_timeout(busy);
    if (auto n =
            db->query_int64("SELECT count(*) FROM media WHERE state IN ('queued', 'downloading')"))
      out.media_pending = *n;
    if (auto m = forward::render_target_metrics(*db)) out.forward_metrics = std::move(*m);
    out.ok = true;
    return out;
  }

  // Every ingest job taken from the queue goes into ONE transaction (one fsync); each request
  // is answered only after that commit returned.
  void run_ingest_group(std::vector<writer_job>& jobs, std::vector<job_outcome>& outcomes) {
    std::vector<ingest_request> requests;
    std::vector<std::size_t> slots;
    for (std::size_t i = 0; i < jobs.size(); ++i)
      if (auto* j = std::get_if<std::shared_ptr<const ingest_job>>(&jobs[i].work)) {
        requests.push_back({&(*j)->batch, &(*j)->context});
        slots.push_back(i);
      }
    if (requests.empty()) return;
    const auto wall0 = steady_clock::now();
    const auto cpu0 = thread_cpu_time();
    const auto again0 = memo.groups_written_again();
    auto result = ingest_batches(*db, requests, &memo);
    stats.count_groups_written_again(memo.groups_written_again() - again0);
    if (!result) {
      for (auto i : slots) {
        outcomes[i].refused = refusal_for(result.error());
        outcomes[i].error = result.error().message();
      }
      return;
    }
    stats.observe_commit(requests.size(), steady_clock::now() - wall0, thread_cpu_time() - cpu0);
    bool forward_events = false;
    for (std::size_t k = 0; k < slots.size(); ++k) {
      auto& out = outcomes[slots[k]];
      const auto& one = (*result)[k];
      if (!one) {
        out.refused = refusal_for(one.error());
        out.error = one.error().message();
        continue;
      }
      out.ok = true;
      out.duplicates = static_cast<std::size_t>(one->duplicates);
      out.messages_new = static_cast<std::size_t>(one->messages_new);
      out.media_jobs = static_cast<std::size_t>(one->media_jobs);
      if (one->media_jobs > 0 && media) media->wake();
      forward_events = forward_events || one->events > 0;
      // A status update may name a template not stored yet (its body comes only from Meta's
      // list): sync that account in the background.
      if (templates)
        for (const auto& e : requests[k].batch->events)
          if (e.field == "message_template_status_update") templates->request(e.waba_id);
    }
    if (forward_events && opt.on_forward_events) opt.on_forward_events();
  }

  // A pruning pass in progress: the writer deletes one chunk between two group commits until
  // the pass is done, so an ingest never waits for more than one chunk (a backlog of months
  // after an upgrade is many small commits, not one huge transaction). Writer thread only.
  std::optional<store::prune_pass> prune;

  // Starts a pass deleting webhook_log rows and idempotency keys past their retention.
  void start_prune() {
    auto now = std::chrono::system_clock::now();
    auto cutoff = [&](int days) {
      return days > 0 ? store::format_timestamp(now - std::chrono::hours(24) * days)
                      : std::string();
    };
    prune.emplace(cutoff(opt.log_retention_days), cutoff(opt.dedup_retention_days));
    if (prune->done()) prune.reset();
  }

  // One chunk of the pass in progress, in its own commit.
  void run_prune_chunk() {
    if (auto r = prune->step(*db, std::max(1, opt.prune_chunk_rows)); !r) {
      log_line(
          fmt::format("level=warn event=prune error={}", logging::log_quoted(r.error().message())));
      prune.reset();  // the next pass retries
      return;
    }
    if (!prune->done()) return;
    const auto total = prune->total();
    stats.count_pruned(static_cast<std::uint64_t>(total.webhook_log),
                       static_cast<std::uint64_t>(total.processed_events));
    if (total.webhook_log > 0 || total.processed_events > 0)
      log_line(fmt::format("level=info event=prune webhook_log={} processed_events={} chunks={}",
                           total.webhook_log, total.processed_events, prune->chunks()));
    prune.reset();
  }

  static void log_line(std::string_view fields) { logging::write_log_text(fields); }

  // Copies committed WAL pages into the database file on its own connection and thread, so the
  // writer's commits do not stall for it (a PASSIVE checkpoint never blocks the writer).
  void checkpoint_loop() {
    pthread_setname_np(pthread_self(), "pons-checkpoint");
    store::open_options oo;
    oo.migrate = false;
    auto conn = store::database::open(opt.db_path, oo);
    if (!conn) {
      log_line(fmt::format("level=warn event=checkpoint error={}",
                           logging::log_quoted(conn.error().message())));
      return;
    }
    // Sleeps while nothing is written. After a commit it lets checkpoint_interval pass first, so
    // one checkpoint copies each page of many commits once. After a failed WAL sync it stops for
    // good: the WAL in memory may hold pages the disk does not, and a checkpoint would copy them
    // into the database file and let the WAL be reused; the restart recovers from the disk.
    auto stopping = [&] { return checkpoint_stop || sync_failed.load(); };
    std::unique_lock lock(checkpoint_mu);
    for (;;) {
      checkpoint_cv.wait(lock, [&] { return stopping() || checkpoint_wanted; });
      if (stopping()) return;
      if (checkpoint_cv.wait_for(lock, opt.checkpoint_interval, stopping)) return;
      checkpoint_wanted = false;
      lock.unlock();
      // A checkpoint syncs the WAL before it copies anything and the database file after: an
      // I/O error there means the disk may have lost pages that were acknowledged.
      if (auto r = conn->exec("PRAGMA wal_checkpoint(PASSIVE)");
          !r && r.error() == store::store_errc::io)
        fail_sync(r.error());
      lock.lock();
    }
  }

  // Closes the door after a failed WAL sync (once): nothing more is written or acknowledged, the
  // checkpointer stops, and the process is told so it can exit for a supervisor to restart it.
  void fail_sync(const boost::system::error_code& ec) {
    if (sync_failed.exchange(true)) return;
    log_line(fmt::format("level=error event=wal_sync_failed error={} action=restart",
                         logging::log_quoted(ec.message())));
    // Taken and released so the checkpointer cannot miss the flag between its check and its
    // wait.
    { std::lock_guard lock(checkpoint_mu); }
    checkpoint_cv.notify_all();
    if (opt.on_sync_failure) opt.on_sync_failure();
  }

  // Writer thread, after anything it committed.
  void want_checkpoint() {
    {
      std::lock_guard lock(checkpoint_mu);
      if (checkpoint_wanted) return;
      checkpoint_wanted = true;
    }
    checkpoint_cv.notify_one();
  }

  using answers =
      std::vector<std::pair<std::shared_ptr<cross_thread_result<job_outcome>>, job_outcome>>;

  // Hands a committed group's outcomes to the requests once the commit is durable: at once when
  // the commit itself synced (synchronous=FULL), else after the gate's next WAL sync.
  void answer_when_durable(answers group) {
    auto deliver = [this](answers& g, const boost::system::error_code& ec) {
      if (ec) fail_sync(ec);
      for (auto& [done, out] : g) {
        if (ec) {
          // Written but maybe not on disk: not acknowledged. Meta redelivers, and after the
          // restart the idempotency checks make that harmless if the write did survive.
          out.ok = false;
          out.writable = false;
          out.refused = refusal::sync_failed;
          out.error = fmt::format("the commit could not be synced to disk: {}", ec.message());
        }
        done->set(std::move(out));
      }
    };
    if (!gate) {
      deliver(group, {});
      return;
    }
    gate->after_next_sync([deliver, g = std::move(group)](
                              const boost::system::error_code& ec) mutable { deliver(g, ec); });
  }

  void writer_loop() {
    // Named so per-thread CPU time can be told apart (top -H, /proc/<pid>/task/*/comm).
    pthread_setname_np(pthread_self(), "pons-writer");
    std::vector<writer_job> batch;
    std::vector<job_outcome> outcomes;
    batch.reserve(opt.max_group);
    const bool pruning = opt.log_retention_days > 0 || opt.dedup_retention_days > 0;
    auto next_prune = steady_clock::now();
    for (;;) {
      // Wake for pruning even when no request comes; while a pass is in progress, do not wait.
      auto deadline = prune     ? steady_clock::now()
                      : pruning ? next_prune
                                : steady_clock::now() + std::chrono::hours(24);
      auto got = queue.pop_batch_until(batch, opt.max_group, deadline);
      if (got == pop_status::closed) break;
      if (pruning && !prune && steady_clock::now() >= next_prune) {
        start_prune();
        next_prune = steady_clock::now() + opt.prune_interval;
      }
      if (prune && !sync_failed.load()) {
        run_prune_chunk();  // one chunk, then the group that is waiting
        want_checkpoint();
      }
      if (got == pop_status::timeout) continue;
      stats.writer_queue_depth.store(static_cast<std::int64_t>(queue.size()));
      outcomes.assign(batch.size(), job_outcome{});
      // After a failed WAL sync nothing is written any more (requests admitted just before the
      // failure come here too): the restart recovers from what the disk holds.
      const bool refusing = sync_failed.load();
      if (refusing) {
        for (auto& out : outcomes) {
          out.refused = refusal::sync_failed;
          out.error = std::string(sync_failed_error);
        }
      } else {
        run_ingest_group(batch, outcomes);
      }
      answers group;
      group.reserve(batch.size());
      std::int64_t written = 0;  // the jobs submit() counted in `writing` (probes are not)
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (std::holds_alternative<probe_job>(batch[i].work)) {
          // A probe writes nothing (it rolls back): no sync to wait for.
          batch[i].done->set(run_probe());
          continue;
        }
        if (auto* l = std::get_if<log_job>(&batch[i].work); l && !refusing)
          outcomes[i] = run_log(*l);
        batch[i].work = released_job{};  // drop the borrowed ingest job before answering
        group.emplace_back(std::move(batch[i].done), std::move(outcomes[i]));
        ++written;
      }
      writing.fetch_sub(written, std::memory_order_release);
      batch.clear();
      answer_when_durable(std::move(group));
      want_checkpoint();
    }
  }

  // ---- io thread ----

  net::awaitable<job_outcome> submit(writer_work work) {
    if (sync_failed.load()) {
      job_outcome out;
      out.refused = refusal::sync_failed;
      out.error = std::string(sync_failed_error);
      co_return out;
    }
    auto done = cross_thread_result<job_outcome>::create(co_await net::this_coro::executor);
    writer_job job{std::move(work), done};
    writing.fetch_add(1, std::memory_order_relaxed);
    last_handed.store(steady_clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    if (!queue.try_push(job)) {
      writing.fetch_sub(1, std::memory_order_relaxed);
      job_outcome out;
      out.refused = refusal::queue_full;
      out.error = "the writer queue is full";
      co_return out;
    }
    stats.writer_queue_depth.store(static_cast<std::int64_t>(queue.size()));
    co_return co_await done->wait();
  }

  // Hands the writer's probe result to every request waiting for it, then lets the next request
  // queue a fresh probe.
  static net::awaitable<void> finish_probe(std::shared_ptr<impl> self,
                                           std::shared_ptr<pending_probe> p,
                                           std::shared_ptr<cross_thread_result<job_outcome>> done) {
    p->outcome = co_await done->wait();
    for (auto* t : p->waiters) t->cancel();
    if (self->probe_pending == p) self->probe_pending.reset();
  }

  // Ask the writer for its probe, but wait at most probe_deadline: the writer may be waiting for
  // another process's lock (up to the busy timeout) and /health must answer quickly anyway.
  // At most one probe is outstanding; concurrent requests share it.
  net::awaitable<job_outcome> probe() {
    // A failed WAL sync makes the database unwritable for this process whatever the probe says.
    auto out = co_await probe_writer();
    if (sync_failed.load()) {
      out.writable = false;
      out.refused = refusal::sync_failed;
      out.error = std::string(sync_failed_error);
    }
    co_return out;
  }

  // The writer's own probe, shared by concurrent callers (above).
  net::awaitable<job_outcome> probe_writer() {
    auto ex = co_await net::this_coro::executor;
    auto p = probe_pending;
    if (!p) {
      p = std::make_shared<pending_probe>();
      auto done = cross_thread_result<job_outcome>::create(ex);
      if (!queue.push_unbounded(writer_job{probe_job{}, done})) {
        job_outcome closing;
        closing.refused = refusal::shutting_down;
        closing.error = "shutting down";
        co_return closing;
      }
      probe_pending = p;
      net::co_spawn(ex, finish_probe(shared_from_this(), p, done), net::detached);
    }
    const auto deadline = steady_clock::now() + opt.probe_deadline;
    while (!p->outcome && steady_clock::now() < deadline) {
      net::steady_timer timer(ex, deadline);
      // Registered only while waiting, also when this coroutine is destroyed mid-wait.
      struct registration {
        pending_probe& p;
        net::steady_timer* t;
        ~registration() { p.waiters.erase(std::find(p.waiters.begin(), p.waiters.end(), t)); }
      };
      p->waiters.push_back(&timer);
      registration reg{*p, &timer};
      co_await timer.async_wait(net::as_tuple(net::use_awaitable));
    }
    if (p->outcome) co_return *p->outcome;
    job_outcome late;
    late.schema_version = schema_version;
    late.refused = refusal::timed_out;
    late.error = fmt::format(
        "the writer did not answer within {} ms: the database is locked by another process or "
        "the disk is stalled",
        opt.probe_deadline.count());
    co_return late;
  }

  net::awaitable<http::server_response> handshake(http::server_request& req) {
    auto challenge = handshake_challenge(opt.accounts, req.query);
    if (!challenge) co_return text(404, "not found\n", "handshake=refused");
    http::server_response r = text(200, std::move(*challenge), "handshake=ok");
    co_return r;
  }

  net::awaitable<http::server_response> refuse_signature(std::string_view why) {
    stats.count_signature_failure();
    co_return text(404, "not found\n", fmt::format("signature={}", why));
  }

  net::awaitable<http::server_response> ingest(http::server_request& req) {
    auto sig = req.header("X-Hub-Signature-256");
    if (sig.empty()) co_return co_await refuse_signature("missing");

    // The signature is verified over the raw bytes before anything parses them: a body nobody
    // signed costs an HMAC per app secret (about 2 ms for 4 MiB), never a parse (up to 80 ms).
    // The ids the bytes mention say which secret to try first, so a signed body usually costs
    // one HMAC however many accounts there are.
    const bool blind = signers.size() <= opt.max_blind_secrets;
    const auto hints = signers.size() > 1 ? meta::find_id_hints(req.body) : meta::id_hints{};
    std::optional<std::size_t> signer = signers.find(req.body, sig, hints, blind).signer;
    if (!signer) {
      if (blind || !meta::signature_verifier::well_formed(sig))
        co_return co_await refuse_signature("invalid");
      // Too many secrets to try them all: parse to learn whose the body claims to be, but only
      // within the budget for unverified bodies (Meta retries a 503).
      if (!unverified_parses.take(req.body.size(), steady_clock::now())) {
        stats.count_parse_budget_refusal();
        http::server_response r = text(503, "busy, retry later\n", "error=parse_budget");
        r.headers.emplace_back("Retry-After", "1");
        co_return r;
      }
    }

    // The parsed document lives only as long as this request: its strings, objects and arrays
    // come from a few blocks of `arena` instead of one malloc each.
    json::monotonic_resource arena;
    stats.count_parse(signer.has_value());
    auto parsed = meta::read_json(req.body, json::storage_ptr(&arena));
    if (!parsed) {
      // A signed but broken body is Meta's (or our) bug worth keeping; an unsigned one is noise.
      if (!signer) co_return co_await refuse_signature("invalid");
      co_return co_await keep_refused(req, 400, "invalid JSON\n", "error=invalid_json");
    }

    // Secrets are redacted in the parsed payload once, before anything reads it: the records and
    // the stored body then carry none. The byte scan finds most payloads free of them.
    const bool redacted = meta::may_hold_secret(req.body) && meta::redact(*parsed) > 0;
    auto batch = meta::normalise_redacted_webhook(*parsed);
    if (!batch) {
      // Valid JSON that is no webhook at all (e.g. an array): keep it for inspection, say 400.
      if (!signer) co_return co_await refuse_signature("invalid");
      co_return co_await keep_refused(req, 400, "not a webhook payload\n", "error=invalid_payload");
    }
    if (!signer) {
      // Whose the body claims to be: its first number's account, else its first WABA's. All its
      // ids must belong to one signer (below), so that one's secret must have signed it.
      std::optional<std::size_t> claimed;
      if (!batch->phone_number_ids.empty())
        claimed = signers.signer_of_number(batch->phone_number_ids.front());
      for (std::size_t i = 0; !claimed && i < batch->waba_ids.size(); ++i)
        claimed = signers.signer_of_waba(batch->waba_ids[i]);
      if (!claimed || !signers.verify(*claimed, req.body, sig))
        co_return co_await refuse_signature("invalid");
      signer = claimed;
    }

    // Every number in the body must be configured for an account of the signer, and no WABA id
    // configured for another account may appear: a body signed for one account cannot carry
    // changes for another. The ids checked are the records' own (canonical, see webhook_ids.hpp).
    if (auto why = account_refusal(*batch, *signer)) co_return co_await refuse_signature(*why);

    auto job = std::make_shared<ingest_job>();
    job->batch = std::move(*batch);
    job->context.request_id = req.request_id;
    job->context.received_at = std::chrono::system_clock::now();
    job->context.notes = meta::skip_notes(job->batch);
    // Stored byte for byte unless something had to be redacted (escapes survive that way).
    job->context.redacted_body = redacted ? json::serialize(*parsed) : std::move(req.body);
    auto out = co_await submit(std::shared_ptr<const ingest_job>(job));
    if (!out.ok) co_return storage_refusal(out);
    stats.observe_ingest(steady_clock::now() - req.received);
    if (out.duplicates) stats.count_duplicates(out.duplicates);
    co_return text(200, "ok\n",
                   fmt::format("messages_new={} duplicates={}", out.messages_new, out.duplicates));
  }

  // Why a body signed by `signer` may not be stored, or nullopt when it may. A number no account
  // has is "unknown_number" (configure it and Meta's retry succeeds); a number or a configured
  // WABA id of an account with another secret is "foreign_number". A body that names nothing of
  // the signer's at all is unknown too, unless parts of it were skipped as malformed: those will
  // never become valid, so the body is acknowledged and kept in the log with the reasons.
  std::optional<std::string_view> account_refusal(const domain::webhook_batch& batch,
                                                  std::size_t signer) const {
    bool routed = false;
    for (const auto& id : batch.phone_number_ids) {
      auto owner = signers.signer_of_number(id);
      if (!owner) return "unknown_number";
      if (*owner != signer) return "foreign_number";
      routed = true;
    }
    for (const auto& id : batch.waba_ids) {
      auto owner = signers.signer_of_waba(id);
      if (owner && *owner != signer) return "foreign_number";
      routed = routed || owner.has_value();
    }
    if (!routed && batch.skipped_total == 0) return "unknown_number";
    return std::nullopt;
  }

  // A signed body that cannot be stored as a webhook: kept (secrets masked) in webhook_log with
  // its status, so it can be inspected; nothing else is written.
  net::awaitable<http::server_response> keep_refused(http::server_request& req, int status,
                                                     std::string body, std::string note) {
    log_job l{req.request_id,
              "",
              "valid",
              status,
              meta::redact_keep_invalid(req.body),
              std::chrono::system_clock::now()};
    auto out = co_await submit(std::move(l));
    if (!out.ok) co_return storage_refusal(out);
    co_return text(status, std::move(body), std::move(note));
  }

  // A write that did not happen: 503 when the writer is saturated or the database server cannot
  // be reached (Meta retries), else 500.
  http::server_response storage_refusal(const job_outcome& out) {
    if (out.refused == refusal::queue_full) {
      stats.count_queue_full();
      http::server_response r = text(503, "busy, retry later\n", "error=queue_full");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    if (out.refused == refusal::database_unreachable) {
      http::server_response r =
          text(503, "database unavailable, retry later\n", "error=database_unavailable");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
    return text(500, "storage failure\n", "error=storage");
  }

  net::awaitable<http::server_response> health(http::server_request&) {
    auto out = co_await probe();
    auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(steady_clock::now() - started).count();
    json::object o;
    o["status"] = out.writable ? "ok" : "unavailable";
    json::object dbo;
    dbo["reachable"] = out.ok;
    dbo["writable"] = out.writable;
    if (!out.error.empty()) dbo["error"] = out.error;
    o["database"] = std::move(dbo);
    o["schema_version"] = out.schema_version;
    o["uptime_seconds"] = uptime;
    o["writer_queue_depth"] = stats.writer_queue_depth.load();
    json::object mo;
    mo["worker"] = media ? (media->running() ? "running" : "stopped")
                         : "disabled (--no-media): downloads stay queued";
    if (out.media_pending >= 0) mo["pending"] = out.media_pending;
    if (media) {
      mo["downloaded"] = media->downloaded();
      mo["failed_attempts"] = media->failures();
    }
    o["media"] = std::move(mo);
    http::server_response r;
    r.status = out.writable ? 200 : 503;
    r.content_type = "application/json";
    r.body = json::serialize(o);
    r.body.push_back('\n');
    co_return r;
  }

  net::awaitable<http::server_response> metrics_page(http::server_request&) {
    auto out = co_await probe();
    namespace prom = pons::prometheus;
    std::string extra;
    prom::append_metric(extra, "pons_media_queue_depth", "gauge",
                        "Media downloads queued or in progress.",
                        std::max<std::int64_t>(0, out.media_pending));
    prom::append_metric(
        extra, "pons_webhook_wal_syncs_total", "counter",
        "WAL fdatasyncs that acknowledged group commits (0 when every commit syncs itself).",
        gate ? gate->syncs() : 0);
    prom::append_metric(extra, "pons_database_writable", "gauge",
                        "1 when the database accepts writes.", out.writable ? 1 : 0);
    auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(steady_clock::now() - started).count();
    prom::append_metric(extra, "pons_uptime_seconds", "gauge", "Seconds since the service started.",
                        uptime);
    extra += out.forward_metrics;
    if (opt.extra_metrics) extra += opt.extra_metrics();
    http::server_response r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = stats.render(extra);
    co_return r;
  }
};

webhook_service::webhook_service(net::io_context& io, webhook_service_options options)
    : impl_(std::make_shared<impl>(io, std::move(options))) {}

webhook_service::~webhook_service() {
  close();
}

boost::system::result<void> webhook_service::open() {
  store::open_options oo;
  // 8 MiB holds the upper levels of every index the writer touches. More is slower, not faster:
  // SQLite walks its whole page cache at each commit after a b-tree rebalance (the pending-byte
  // page it moves pages through counts as the highest page), so a 64 MiB cache cost about 4 us
  // per request in the webhook benchmark (docs/performance.md).
  oo.cache_size_kib = 8 * 1024;
  auto db = store::database::open(impl_->opt.db_path, oo);
  if (!db) return db.error();
  impl_->db.emplace(std::move(*db));
  if (auto v = impl_->db->schema_version()) impl_->schema_version = *v;
  // SQLite's WAL is checkpointed and synced here; a PostgreSQL server does both itself, and each
  // commit there returns once it is durable.
  const bool file_database = impl_->db->kind() == store::backend::sqlite;
  if (file_database) {
    // Checkpoints run on their own thread (start_checkpointer); the writer checkpoints itself only
    // as a backstop when the WAL has grown far (that also bounds the WAL file).
    if (auto r = impl_->db->exec(
            fmt::format("PRAGMA wal_autocheckpoint={}", impl_->opt.checkpoint_backstop_pages));
        !r)
      return r.error();
    // Commits without fsync, each group answered after a WAL fdatasync on the gate's thread (one
    // sync covers every commit before it, and the writer need not wait for the disk). Without a
    // WAL file to sync (an unusual file system), every commit syncs itself as before.
    if (auto w = store::wal_file::open(impl_->opt.db_path)) {
      if (impl_->db->exec("PRAGMA synchronous=NORMAL")) impl_->wal.emplace(std::move(*w));
    } else {
      impl_->log_line(fmt::format("level=warn event=wal_sync error={} fallback=synchronous_full",
                                  logging::log_quoted(w.error().message())));
    }
  }
  if (auto synced = impl_->sync_accounts(); !synced) {
    impl_->db.reset();
    return synced.error();
  }
  if (impl_->opt.media) {
    media_worker_options mo;
    mo.db_path = impl_->opt.db_path;
    mo.media_dir = impl_->opt.media_dir;
    mo.accounts = impl_->opt.accounts;
    mo.graph = impl_->opt.graph;
    impl_->media = std::make_unique<media_worker>(std::move(mo));
    impl_->media->start();
  }
  if (impl_->opt.template_sync) {
    template_syncer_options to;
    to.db_path = impl_->opt.db_path;
    to.accounts = impl_->opt.accounts;
    to.graph = impl_->opt.graph;
    to.interval = impl_->opt.template_sync_interval;
    impl_->templates = std::make_unique<template_syncer>(std::move(to));
    impl_->templates->start();
  }
  impl_->writer_running = true;
  if (impl_->wal) {
    sync_gate::sync_function sync = impl_->opt.wal_sync;
    if (!sync) {
      sync = [wal = &*impl_->wal]() -> boost::system::error_code {
        auto r = wal->sync();
        return r ? boost::system::error_code{} : r.error();
      };
    }
    impl_->gate = std::make_unique<sync_gate>(std::move(sync), "pons-walsync");
  }
  impl_->writer = std::thread([self = impl_] { self->writer_loop(); });
  if (file_database) {
    impl_->checkpointer = std::thread([self = impl_] { self->checkpoint_loop(); });
  }
  return {};
}

http::router webhook_service::routes() {
  http::router r;
  auto self = impl_;
  for (std::string path : {"/webhook/meta", "/webhook"}) {
    r.add("GET", path, [self](http::server_request& req) { return self->handshake(req); });
    r.add("POST", path, [self](http::server_request& req) { return self->ingest(req); });
  }
  r.add("GET", "/health", [self](http::server_request& req) { return self->health(req); });
  r.add("GET", "/metrics", [self](http::server_request& req) { return self->metrics_page(req); });
  return r;
}

void webhook_service::on_response(std::string_view route, int status, std::chrono::nanoseconds) {
  impl_->stats.count_request(route, status);
}

bool webhook_service::wait_while_writing(std::chrono::microseconds at_most) const {
  // Under load webhooks arrive in bursts: a group is written, its answers wait for the WAL sync,
  // and only then do their senders send the next ones. The lull between bursts is not the end
  // of the load, so a webhook handed over less than `lull` ago counts as one in hand.
  constexpr auto lull = std::chrono::milliseconds(10);
  // Polled: a wake-up from the writer would cost it a system call at every group, for waits
  // that only happen under load.
  constexpr std::chrono::microseconds poll = std::chrono::milliseconds(1);
  const auto until = steady_clock::now() + at_most;
  for (;;) {
    const auto now = steady_clock::now();
    const steady_clock::time_point handed(
        steady_clock::duration(impl_->last_handed.load(std::memory_order_relaxed)));
    if (impl_->writing.load(std::memory_order_acquire) == 0 && now - handed >= lull) return true;
    if (now >= until) return false;
    std::this_thread::sleep_for(
        std::min(poll, std::chrono::duration_cast<std::chrono::microseconds>(until - now)));
  }
}

void webhook_service::close() {
  if (!impl_->writer_running.exchange(false)) return;
  // A template sync in flight ends with its request while the writer drains.
  if (impl_->templates) impl_->templates->signal_stop();
  impl_->queue.close();
  if (impl_->writer.joinable()) impl_->writer.join();
  if (impl_->gate) impl_->gate->stop();  // the last groups' answers, after their sync
  {
    std::lock_guard lock(impl_->checkpoint_mu);
    impl_->checkpoint_stop = true;
  }
  impl_->checkpoint_cv.notify_all();
  if (impl_->checkpointer.joinable()) impl_->checkpointer.join();
  if (impl_->media) impl_->media->stop();
  if (impl_->templates) impl_->templates->stop();
  impl_->db.reset();
}

}  // namespace pons::webhook
