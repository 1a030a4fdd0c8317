#include "pons/webhook/template_syncer.hpp"

#include <fmt/format.h>
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>

#include "pons/meta/template_sync.hpp"
#include "pons/store/database.hpp"
#include "pons/store/template_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::webhook {

namespace {

using std::chrono::steady_clock;

// One Graph API request may take this long at most here, so stop() never waits longer for a
// sync in flight (a supervisor's stop timeout is typically 30 s).
constexpr std::chrono::milliseconds sync_request_timeout{20000};
// Attempts of one sync when the failure may pass.
constexpr int max_attempts = 4;

// Meta's error text is not ours: one line, no quotes that would end the log field early.
std::string log_value(std::string_view text) {
  std::string out;
  out.reserve(std::min<std::size_t>(text.size(), 512));
  for (char c : text) {
    if (out.size() >= 512) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : c == '"' ? '\'' : c == '\\' ? '/' : c;
  }
  return out;
}

}  // namespace

template_syncer::template_syncer(template_syncer_options options) : opt_(std::move(options)) {
  if (!opt_.log_sink) {
    opt_.log_sink = [](std::string_view fields) {
      std::string line = fmt::format(
          "ts={} {}\n", store::format_timestamp(std::chrono::system_clock::now()), fields);
      std::fwrite(line.data(), 1, line.size(), stderr);
    };
  }
}

template_syncer::~template_syncer() {
  stop();
}

void template_syncer::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void template_syncer::request(std::string_view waba_id) {
  {
    std::lock_guard lock(mu_);
    requested_.emplace(waba_id);
  }
  cv_.notify_all();
}

void template_syncer::signal_stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

void template_syncer::stop() {
  signal_stop();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t template_syncer::synced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

std::uint64_t template_syncer::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

void template_syncer::run() {
  pthread_setname_np(pthread_self(), "pons-templates");
  auto db = store::database::open(opt_.db_path);
  if (!db) {
    opt_.log_sink(fmt::format(
        "level=error event=template_sync error=\"cannot open the database: {}\" action=restart",
        log_value(db.error().message())));
    return;
  }

  // The accounts that can be synced; the others are said once, and kept for list_templates.
  std::map<std::string, const meta::account*> syncable;
  for (const auto& a : opt_.accounts.accounts) {
    std::string why;
    if (a.waba_id.empty()) {
      std::string numbers;
      for (const auto& p : a.phone_numbers)
        numbers += (numbers.empty() ? "" : ",") + p.phone_number_id;
      opt_.log_sink(fmt::format(
          "level=warn event=template_sync numbers={} error=\"no WABA id is configured for these "
          "numbers, so their templates are not synced\" action=\"set WA_WABA_ID (or waba_id in "
          "the config file) and restart\"",
          numbers));
      continue;
    }
    if (a.access_token.empty()) {
      why =
          "no access token is configured for this account: set WA_ACCESS_TOKEN (or "
          "access_token in the config file) and restart pons-webhook";
      opt_.log_sink(
          fmt::format("level=warn event=template_sync waba_id={} error=\"{}\"", a.waba_id, why));
      (void)store::record_template_sync_failure(*db, a.waba_id, why,
                                                std::chrono::system_clock::now());
      continue;
    }
    syncable.emplace(a.waba_id, &a);
  }

  // One Graph client per access token, made on first use. It does not retry by itself: the
  // retries below stop as soon as the service does.
  std::map<std::string, std::unique_ptr<meta::graph_client>> clients;
  auto client_for = [&](const meta::account& a) -> meta::graph_client& {
    auto& slot = clients[a.access_token];
    if (!slot) {
      auto cfg = opt_.graph;
      cfg.access_token = a.access_token;
      cfg.timeout = std::min(cfg.timeout, sync_request_timeout);
      cfg.max_retries = 0;
      slot = std::make_unique<meta::graph_client>(cfg);
    }
    return *slot;
  };
  // A sync that failed for a reason that may pass (5xx, 429, no answer) is tried again a few
  // times, 1 s then 2 s then 4 s later, like any Graph API call; false when stopping.
  auto pause = [&](int attempt) {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, std::chrono::seconds(1) * (1 << attempt), [&] { return stop_; });
  };
  auto sync_with_retries = [&](const meta::account& a) {
    for (int attempt = 0;; ++attempt) {
      auto r = meta::sync_account_templates(*db, client_for(a), a.waba_id,
                                            std::chrono::system_clock::now());
      if (r || !r.error().retryable() || attempt == max_attempts - 1 || !pause(attempt)) return r;
    }
  };

  // The last error logged per account: a failure that repeats itself is not logged again.
  std::map<std::string, std::string> logged_error;
  auto sync_one = [&](const meta::account& a) {
    auto result = sync_with_retries(a);
    std::lock_guard lock(mu_);
    if (result) {
      ++synced_;
      const auto& r = *result;
      opt_.log_sink(fmt::format(
          "level=info event=template_sync waba_id={} templates={} approved={} added={} "
          "updated={} removed={}{}",
          a.waba_id, r.templates, r.approved, r.changes.added, r.changes.updated, r.changes.removed,
          r.skipped ? fmt::format(" skipped={} skip_reason=\"{}\"", r.skipped,
                                  log_value(r.first_skip_reason))
                    : std::string()));
      logged_error.erase(a.waba_id);
      return;
    }
    ++failed_;
    auto why = result.error().explain();
    if (logged_error[a.waba_id] == why) return;
    logged_error[a.waba_id] = why;
    opt_.log_sink(fmt::format(
        "level=warn event=template_sync waba_id={} error=\"{}\" retry=\"{}\"", a.waba_id,
        log_value(why),
        opt_.interval.count() > 0
            ? fmt::format("in {} s", opt_.interval.count())
            : std::string("on the next template webhook or `pons-webhook templates sync`")));
  };

  const bool periodic = opt_.interval.count() > 0;
  auto next_pass = steady_clock::now();  // the first pass runs at once
  for (;;) {
    std::set<std::string> todo;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return stop_ || !requested_.empty(); };
      // No pass due any more (interval 0): only requests wake the thread.
      if (next_pass != steady_clock::time_point{}) {
        cv_.wait_until(lock, next_pass, ready);
      } else {
        cv_.wait(lock, ready);
      }
      if (stop_) break;
      if (next_pass != steady_clock::time_point{} && steady_clock::now() >= next_pass) {
        for (const auto& [waba, account] : syncable) todo.insert(waba);
        next_pass = periodic ? steady_clock::now() + opt_.interval : steady_clock::time_point{};
      }
      todo.merge(requested_);
      requested_.clear();
    }
    for (const auto& waba : todo) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      // A webhook may name an account that is not configured (learnt from its entry id).
      if (auto it = syncable.find(waba); it != syncable.end()) sync_one(*it->second);
    }
  }
}

}  // namespace pons::webhook
