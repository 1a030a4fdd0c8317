// pons-forward-bench: how fast pons-webhook forwards what it ingests. Starts a loopback receiver
// that verifies the HMAC signature of every delivery, a real pons-webhook (the binary this
// program was built with) whose one forwarding target is that receiver, then:
//   1. burst: N signed webhooks (one text message each) as fast as C keep-alive connections can
//      send them; deliveries/s = N / (first send -> last delivery);
//   2. paced: M webhooks at R per second on one connection, on an otherwise idle service: the
//      latency a single event sees (how soon the deliverer notices new work).
// Latency of an event = its delivery's arrival at the receiver - the start of its POST.
// Afterwards every event must have arrived exactly once, correctly signed, and every delivery
// row must be 'succeeded'; otherwise the exit status is 1.
// Prints a readable summary on stdout; --json FILE also writes the figures as one JSON object.
#include <fmt/format.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "support/forward_receiver.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

namespace {

using steady = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace fwd = pons::forward_test;

struct options {
  int events = 2000;      // burst size
  int connections = 8;    // burst senders
  int paced = 100;        // paced events
  double rate = 20;       // paced events per second
  int backlog = 2000;     // events ingested while the receiver holds every request, then drained
  std::string json_path;  // where to write the figures, if anywhere
  std::string log_path;   // where to copy pons-webhook's stderr, if anywhere
};

int usage() {
  std::fprintf(stderr,
               "usage: pons-forward-bench [--events N] [--connections C] [--paced M] [--rate R] "
               "[--backlog B] [--json FILE] [--log FILE]\n");
  return 2;
}

struct latency_summary {
  double p50 = 0, p99 = 0, max = 0, mean = 0;
};

latency_summary summarise(std::vector<double> ms) {
  latency_summary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    auto i = static_cast<std::size_t>(q * static_cast<double>(ms.size() - 1) + 0.5);
    return ms[std::min(i, ms.size() - 1)];
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = ms.back();
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean = sum / static_cast<double>(ms.size());
  return s;
}

boost::json::object to_json(const latency_summary& s) {
  auto r = [](double v) { return std::round(v * 100) / 100; };
  return {{"p50", r(s.p50)}, {"p99", r(s.p99)}, {"max", r(s.max)}, {"mean", r(s.mean)}};
}

double ms_between(steady::time_point a, steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// One event sent: when its POST started and what the service answered.
struct sent_event {
  steady::time_point started;
  steady::time_point answered;
  int status = 0;
};

std::string wamid_for(int i) {
  return fmt::format("wamid.fbench.{:06}", i);
}

// The webhook carrying event i, signed.
std::string payload_for(int i) {
  return pons::test::simple_payload(
      pons::test::default_phone_number_id,
      {pons::test::text_message_json(wamid_for(i), fmt::format("1650555{:04}", i % 5000),
                                     fmt::format("forwarding benchmark {}", i))});
}

// Sends events [from, to) with stride `step` on one keep-alive connection, recording each.
void send_events(std::uint16_t port, int from, int to, int step, std::vector<sent_event>& sent,
                 const std::vector<std::string>& bodies) {
  std::optional<pons::test::http_connection> conn;
  for (int i = from; i < to; i += step) {
    auto& ev = sent[static_cast<std::size_t>(i)];
    const auto& body = bodies[static_cast<std::size_t>(i)];
    const std::vector<std::pair<std::string, std::string>> headers{
        {"Content-Type", "application/json"},
        {"X-Hub-Signature-256", pons::meta::sign_body(body, pons::test::default_app_secret)}};
    for (int tries = 0; tries < 2; ++tries) {
      if (!conn) conn.emplace(port);
      ev.started = steady::now();
      if (conn->send_request("POST", "/webhook/meta", body, headers)) {
        if (auto res = conn->read_response(30s)) {
          ev.answered = steady::now();
          ev.status = res->status;
          if (res->header("connection") == "close") conn.reset();
          break;
        }
      }
      conn.reset();  // reconnect once, then give up on this event
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--events" && (v = next())) {
      o.events = std::atoi(v);
    } else if (a == "--connections" && (v = next())) {
      o.connections = std::max(1, std::atoi(v));
    } else if (a == "--paced" && (v = next())) {
      o.paced = std::atoi(v);
    } else if (a == "--rate" && (v = next())) {
      o.rate = std::max(0.1, std::atof(v));
    } else if (a == "--backlog" && (v = next())) {
      o.backlog = std::atoi(v);
    } else if (a == "--json" && (v = next())) {
      o.json_path = v;
    } else if (a == "--log" && (v = next())) {
      o.log_path = v;
    } else {
      return usage();
    }
  }
  if (o.events < 0 || o.paced < 0 || o.backlog < 0) return usage();
  const int total = o.events + o.paced + o.backlog;
  const int backlog_from = o.events + o.paced;

  // The receiver checks every signature with the target's secret, known once the target exists.
  std::mutex secret_mu;
  std::string secret;
  // While `holding`, every request waits for its answer: the deliverer's in-flight requests
  // stall and the rest of its work piles up as a backlog (phase 3).
  std::mutex hold_mu;
  std::condition_variable hold_cv;
  bool holding = false;
  fwd::receiver rx([&](const fwd::received& r, std::size_t) {
    {
      std::unique_lock lock(hold_mu);
      hold_cv.wait(lock, [&] { return !holding; });
    }
    std::lock_guard lock(secret_mu);
    return fwd::reply{fwd::signature_valid(secret, r) ? 200 : 401};
  });

  auto env = pons::test::default_webhook_env();
  for (const char* name : {"PONS_FORWARD_POLL_MS", "PONS_FORWARD_WORKERS",
                           "PONS_FORWARD_PER_TARGET", "PONS_FORWARD_CLAIM_BATCH"}) {
    if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
  }
  pons::test::webhook_process svc(env, {"--no-media"});
  if (!svc.started()) {
    std::fprintf(stderr, "pons-forward-bench: pons-webhook did not start:\n%s\n",
                 svc.log().c_str());
    return 1;
  }
  {
    auto db = pons::store::database::open(svc.db_path());
    if (!db) {
      std::fprintf(stderr, "pons-forward-bench: %s\n", db.error().message().c_str());
      return 1;
    }
    pons::forward::target_spec spec;
    spec.url = rx.url();
    spec.description = "forwarding benchmark";
    spec.event_types = {"message.inbound.received"};
    auto added = pons::forward::add_target(*db, spec, std::chrono::system_clock::now());
    if (!added) {
      std::fprintf(stderr, "pons-forward-bench: cannot add the target: %s\n",
                   added.error().message().c_str());
      return 1;
    }
    std::lock_guard lock(secret_mu);
    secret = added->secret;
  }

  std::vector<std::string> bodies;
  bodies.reserve(static_cast<std::size_t>(total));
  for (int i = 0; i < total; ++i) bodies.push_back(payload_for(i));
  std::vector<sent_event> sent(static_cast<std::size_t>(total));
  const auto wait_limit = std::chrono::milliseconds(30000 + 20 * static_cast<long long>(total));

  // 1. Burst.
  const auto burst_start = steady::now();
  {
    std::vector<std::thread> senders;
    const int c = std::min(o.connections, std::max(1, o.events));
    for (int t = 0; t < c; ++t) {
      senders.emplace_back([&, t] { send_events(svc.port(), t, o.events, c, sent, bodies); });
    }
    for (auto& s : senders) s.join();
  }
  const auto burst_ingested = steady::now();
  rx.wait_for(static_cast<std::size_t>(o.events), wait_limit);

  // 2. Paced, after the burst has drained.
  const auto paced_start = steady::now();
  for (int k = 0; k < o.paced; ++k) {
    std::this_thread::sleep_until(paced_start + std::chrono::duration_cast<steady::duration>(
                                                    std::chrono::duration<double>(k / o.rate)));
    send_events(svc.port(), o.events + k, o.events + k + 1, 1, sent, bodies);
  }
  rx.wait_for(static_cast<std::size_t>(backlog_from), wait_limit);

  // 3. Backlog: ingest while the receiver holds its answers, then let go and time the drain. This
  // is the deliverer's own rate for one target, not bounded by how fast ingest writes.
  {
    std::lock_guard lock(hold_mu);
    holding = true;
  }
  {
    std::vector<std::thread> senders;
    const int c = std::min(o.connections, std::max(1, o.backlog));
    for (int t = 0; t < c; ++t) {
      senders.emplace_back(
          [&, t] { send_events(svc.port(), backlog_from + t, total, c, sent, bodies); });
    }
    for (auto& s : senders) s.join();
  }
  const auto released = steady::now();
  {
    std::lock_guard lock(hold_mu);
    holding = false;
  }
  hold_cv.notify_all();
  rx.wait_for(static_cast<std::size_t>(total), wait_limit);
  std::this_thread::sleep_for(500ms);  // a late duplicate would arrive now
  const auto requests = rx.requests();

  // Exactly once, correctly signed.
  std::map<int, std::vector<steady::time_point>> arrivals;
  std::size_t bad_signatures = 0, unexpected = 0;
  for (const auto& r : requests) {
    {
      std::lock_guard lock(secret_mu);
      if (!fwd::signature_valid(secret, r)) ++bad_signatures;
    }
    auto p = r.body.find("wamid.fbench.");
    if (p == std::string::npos) {
      ++unexpected;
      continue;
    }
    const int i = std::atoi(r.body.c_str() + p + 13);
    if (i < 0 || i >= total) {
      ++unexpected;
      continue;
    }
    arrivals[i].push_back(r.at);
  }
  std::size_t missing = 0, duplicates = 0, refused = 0;
  std::vector<double> burst_ms, paced_ms;
  steady::time_point burst_last_delivery = burst_start;
  steady::time_point backlog_last_delivery = released;
  std::size_t drained = 0;  // backlog deliveries that arrived after the release
  for (int i = 0; i < total; ++i) {
    if (sent[static_cast<std::size_t>(i)].status != 200) ++refused;
    auto it = arrivals.find(i);
    if (it == arrivals.end()) {
      ++missing;
      continue;
    }
    duplicates += it->second.size() - 1;
    const auto first = *std::min_element(it->second.begin(), it->second.end());
    const double ms = ms_between(sent[static_cast<std::size_t>(i)].started, first);
    if (i < o.events) {
      burst_ms.push_back(ms);
      burst_last_delivery = std::max(burst_last_delivery, first);
    } else if (i < backlog_from) {
      paced_ms.push_back(ms);
    } else if (first >= released) {
      ++drained;
      backlog_last_delivery = std::max(backlog_last_delivery, first);
    }
  }
  std::int64_t succeeded =
      svc.count("SELECT COUNT(*) FROM webhook_deliveries WHERE state = 'succeeded'");
  std::int64_t attempts = svc.count("SELECT COUNT(*) FROM webhook_delivery_attempts");
  const bool ok = missing == 0 && duplicates == 0 && bad_signatures == 0 && unexpected == 0 &&
                  refused == 0 && succeeded == total;

  const double ingest_s = std::chrono::duration<double>(burst_ingested - burst_start).count();
  const double deliver_s = std::chrono::duration<double>(burst_last_delivery - burst_start).count();
  const double ingest_rate = ingest_s > 0 ? o.events / ingest_s : 0;
  const double delivery_rate = deliver_s > 0 ? o.events / deliver_s : 0;
  const double drain_s = std::chrono::duration<double>(backlog_last_delivery - released).count();
  const double drain_rate = drain_s > 0 ? static_cast<double>(drained) / drain_s : 0;
  const auto burst = summarise(burst_ms);
  const auto paced = summarise(paced_ms);

  std::printf(
      "burst: %d events on %d connections: ingested in %.2f s (%.0f/s), all delivered "
      "in %.2f s: %.0f deliveries/s\n",
      o.events, o.connections, ingest_s, ingest_rate, deliver_s, delivery_rate);
  std::printf("burst latency ingest->delivered: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", burst.p50,
              burst.p99, burst.max);
  std::printf(
      "paced: %d events at %.1f/s: latency ingest->delivered p50 %.1f ms, p99 %.1f ms, "
      "max %.1f ms\n",
      o.paced, o.rate, paced.p50, paced.p99, paced.max);
  std::printf(
      "backlog: %d events ingested while the receiver held its answers; %zu delivered after the "
      "release in %.2f s: %.0f deliveries/s\n",
      o.backlog, drained, drain_s, drain_rate);
  std::printf(
      "check: %zu requests received, %zu missing, %zu duplicates, %zu bad signatures, "
      "%zu unexpected, %zu webhooks not answered 200, %lld of %d deliveries succeeded "
      "(%lld attempts): %s\n",
      requests.size(), missing, duplicates, bad_signatures, unexpected, refused,
      static_cast<long long>(succeeded), total, static_cast<long long>(attempts),
      ok ? "ok" : "FAILED");
  if (!ok) std::fprintf(stderr, "pons-webhook log:\n%s\n", svc.log().c_str());
  if (!o.log_path.empty()) std::ofstream(o.log_path, std::ios::trunc) << svc.log();

  if (!o.json_path.empty()) {
    auto r2 = [](double v) { return std::round(v * 100) / 100; };
    boost::json::object j{
        {"benchmark", "forward"},
        {"ok", ok},
        {"events", total},
        {"received", requests.size()},
        {"missing", missing},
        {"duplicates", duplicates},
        {"bad_signatures", bad_signatures},
        {"unexpected", unexpected},
        {"webhooks_not_200", refused},
        {"deliveries_succeeded", succeeded},
        {"attempts", attempts},
        {"burst",
         {{"events", o.events},
          {"connections", o.connections},
          {"ingest_seconds", r2(ingest_s)},
          {"ingest_per_s", r2(ingest_rate)},
          {"deliver_seconds", r2(deliver_s)},
          {"deliveries_per_s", r2(delivery_rate)},
          {"latency_ms", to_json(burst)}}},
        {"paced", {{"events", o.paced}, {"rate_per_s", o.rate}, {"latency_ms", to_json(paced)}}},
        {"backlog",
         {{"events", o.backlog},
          {"drained_after_release", drained},
          {"drain_seconds", r2(drain_s)},
          {"deliveries_per_s", r2(drain_rate)}}}};
    std::ofstream out(o.json_path, std::ios::trunc);
    out << boost::json::serialize(j) << '\n';
    if (!out) {
      std::fprintf(stderr, "pons-forward-bench: cannot write %s\n", o.json_path.c_str());
      return 1;
    }
  }
  return ok ? 0 : 1;
}
