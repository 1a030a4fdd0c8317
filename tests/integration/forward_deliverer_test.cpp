// The forwarding deliverer against a real HTTP receiver on loopback and a real database file.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "pons/forward/deliverer.hpp"
#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "support/forward_receiver.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::forward;
using namespace std::chrono_literals;
using pons::forward_test::received;
using pons::forward_test::receiver;
using pons::forward_test::reply;
using pons::store::database;
using pons::store::test::temp_dir;

namespace {

struct fixture {
  temp_dir dir;
  std::string path = dir.file("pons.db");
  database db = database::open(path).value();

  target_with_secret add(const std::string& url, std::vector<std::string> types = {},
                         int max_attempts = 8, std::chrono::milliseconds timeout = 5s) {
    target_spec spec;
    spec.url = url;
    spec.event_types = std::move(types);
    spec.max_attempts = max_attempts;
    spec.timeout = timeout;
    auto r = add_target(db, spec, std::chrono::system_clock::now());
    REQUIRE(r.has_value());
    return *r;
  }

  enqueued emit(const std::string& type, const std::string& payload = R"({"text":"hi"})") {
    auto tx = pons::store::transaction::begin(db);
    REQUIRE(tx.has_value());
    auto r = enqueue_event(db, type, "waba-1", "pn-1", payload, std::chrono::system_clock::now());
    REQUIRE(r.has_value());
    REQUIRE(tx->commit().has_value());
    return *r;
  }

  deliverer_options options(double scale = 0.02) const {
    deliverer_options o;
    o.database_path = path;
    o.workers = 4;
    o.poll_interval = 20ms;
    o.backoff.scale = scale;
    o.log = [](std::string_view) {};
    return o;
  }

  delivery_row only_delivery() {
    auto rows = list_deliveries(db, {});
    REQUIRE(rows.has_value());
    REQUIRE(rows->size() == 1);
    return rows->front();
  }

  // Polls until the delivery reaches `state` or the time is up.
  bool wait_state(std::int64_t id, const std::string& state, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      auto d = get_delivery(db, id);
      if (d && d->delivery.state == state) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
};

}  // namespace

TEST_CASE("forward: a delivery carries the envelope, headers and a valid signature", "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  auto target = f.add(rx.url("/in?tenant=1"));
  // Written while no deliverer runs: it must go out once one starts.
  auto ev = f.emit("message.inbound.received", R"({"text":"h\u00e9llo \/ there"})");
  REQUIRE(ev.deliveries == 1);

  deliverer d(f.options());
  REQUIRE(d.start().has_value());
  REQUIRE(rx.wait_for(1, 5s) == 1);
  const auto delivery = f.only_delivery();
  REQUIRE(f.wait_state(delivery.id, "succeeded", 5s));
  d.stop();

  const auto req = rx.requests().front();
  CHECK(req.method == "POST");
  CHECK(req.target == "/in?tenant=1");
  CHECK(req.headers.at("content-type") == "application/json");
  CHECK(req.headers.at("x-pons-event-id") == ev.event_id);
  CHECK(req.headers.at("x-pons-event-type") == "message.inbound.received");
  CHECK(req.headers.at("x-pons-delivery-id") == std::to_string(delivery.id));
  CHECK(req.headers.at("x-pons-attempt") == "1");
  const auto ts = std::stoll(req.headers.at("x-pons-timestamp"));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  CHECK(std::abs(now - ts) < 30);
  CHECK(req.headers.at("x-pons-signature") ==
        pons::forward_test::hmac_sha256_hex(target.secret,
                                            req.headers.at("x-pons-timestamp") + "." + req.body));
  CHECK(pons::forward_test::signature_valid(target.secret, req));
  CHECK_FALSE(pons::forward_test::signature_valid(target.secret + "x", req));

  auto body = boost::json::parse(req.body).as_object();
  CHECK(body.size() == 6);
  CHECK(body.at("id").as_string() == ev.event_id);
  CHECK(body.at("type") == "message.inbound.received");
  CHECK(body.at("accountId") == "waba-1");
  CHECK(body.contains("source"));
  CHECK(body.contains("occurredAt"));
  CHECK(body.at("payload").at("text") == "h\xc3\xa9llo / there");

  auto t = get_target(f.db, target.value.id);
  CHECK_FALSE(t->last_success_at.empty());
  CHECK(t->consecutive_failures == 0);
}

TEST_CASE("forward: targets only get the event types they subscribed to", "[forward]") {
  fixture f;
  receiver inbound_rx([](const received&, std::size_t) { return reply{200}; });
  receiver status_rx([](const received&, std::size_t) { return reply{200}; });
  f.add(inbound_rx.url(), {"message.inbound.received"});
  f.add(status_rx.url(), {"message.status.updated", "message.outbound.failed"});
  deliverer d(f.options());
  REQUIRE(d.start().has_value());
  f.emit("message.inbound.received");
  f.emit("message.outbound.sent");
  f.emit("message.status.updated");
  f.emit("message.outbound.failed");
  d.notify();
  REQUIRE(inbound_rx.wait_for(1, 5s) >= 1);
  REQUIRE(status_rx.wait_for(2, 5s) >= 2);
  std::this_thread::sleep_for(200ms);  // room for anything that should not come
  d.stop();
  auto in = inbound_rx.requests();
  REQUIRE(in.size() == 1);
  CHECK(in[0].headers.at("x-pons-event-type") == "message.inbound.received");
  auto st = status_rx.requests();
  REQUIRE(st.size() == 2);
  std::set<std::string> types{st[0].headers.at("x-pons-event-type"),
                              st[1].headers.at("x-pons-event-type")};
  CHECK(types == std::set<std::string>{"message.status.updated", "message.outbound.failed"});
}

TEST_CASE("forward: two failures then 200 is exactly three attempts with growing delays",
          "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t i) {
    return reply{i == 0 ? 500 : i == 1 ? 503 : 200};
  });
  f.add(rx.url());
  f.emit("message.status.updated");
  deliverer d(f.options(0.1));  // 500 ms, then 1 s (less up to 20 % jitter)
  REQUIRE(d.start().has_value());
  REQUIRE(rx.wait_for(3, 10s) == 3);
  const auto delivery = f.only_delivery();
  REQUIRE(f.wait_state(delivery.id, "succeeded", 5s));
  std::this_thread::sleep_for(300ms);
  d.stop();

  auto reqs = rx.requests();
  REQUIRE(reqs.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(reqs[i].headers.at("x-pons-attempt") == std::to_string(i + 1));
    CHECK(reqs[i].headers.at("x-pons-delivery-id") == std::to_string(delivery.id));
    CHECK(reqs[i].body == reqs[0].body);
  }
  const auto gap1 = reqs[1].at - reqs[0].at;
  const auto gap2 = reqs[2].at - reqs[1].at;
  CHECK(gap1 >= 390ms);
  CHECK(gap2 >= 790ms);
  CHECK(gap2 > gap1);

  auto detail = get_delivery(f.db, delivery.id);
  REQUIRE(detail.has_value());
  CHECK(detail->delivery.attempts == 3);
  REQUIRE(detail->attempts.size() == 3);
  CHECK(detail->attempts[0].status_code == 500);
  CHECK(detail->attempts[0].error == "HTTP 500");
  CHECK(detail->attempts[1].status_code == 503);
  CHECK(detail->attempts[2].status_code == 200);
  CHECK(detail->attempts[2].error.empty());
}

TEST_CASE("forward: 201 and 204 are failures: a target gives up at max attempts", "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t i) { return reply{i % 2 == 0 ? 201 : 204}; });
  auto target = f.add(rx.url(), {}, 3);
  f.emit("message.outbound.sent");
  deliverer d(f.options(0.005));
  REQUIRE(d.start().has_value());
  REQUIRE(rx.wait_for(3, 10s) == 3);
  const auto delivery = f.only_delivery();
  REQUIRE(f.wait_state(delivery.id, "dead", 5s));
  std::this_thread::sleep_for(300ms);  // a dead delivery is not tried again
  CHECK(rx.requests().size() == 3);

  auto detail = get_delivery(f.db, delivery.id).value();
  CHECK(detail.delivery.attempts == 3);
  REQUIRE(detail.attempts.size() == 3);
  CHECK(detail.attempts[0].status_code == 201);
  CHECK(detail.attempts[1].status_code == 204);
  CHECK(detail.attempts[1].error.find("only 200") != std::string::npos);
  auto t = get_target(f.db, target.value.id).value();
  CHECK(t.consecutive_failures == 3);
  CHECK(t.last_success_at.empty());
  CHECK_FALSE(t.last_failure_at.empty());

  // Retrying by hand gives a fresh budget and the deliverer picks it up; the attempt numbers
  // go on from where they stopped.
  REQUIRE(retry_delivery(f.db, delivery.id, std::chrono::system_clock::now()).has_value());
  d.notify();
  REQUIRE(rx.wait_for(4, 5s) >= 4);
  CHECK(rx.requests()[3].headers.at("x-pons-attempt") == "4");
  d.stop();
  detail = get_delivery(f.db, delivery.id).value();
  REQUIRE(detail.attempts.size() >= 4);
  for (std::size_t i = 0; i < detail.attempts.size(); ++i) {
    CHECK(detail.attempts[i].attempt == static_cast<int>(i) + 1);
  }
}

TEST_CASE("forward: notify() wakes the deliverer at once, without any polling", "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  f.add(rx.url());
  auto o = f.options();
  o.poll_interval = 60s;  // neither polling nor change detection would find it within the test
  o.change_check_interval = 60s;
  deliverer d(std::move(o));
  REQUIRE(d.start().has_value());
  std::this_thread::sleep_for(100ms);  // the dispatcher is asleep by now
  f.emit("message.inbound.received");
  d.notify();
  CHECK(rx.wait_for(1, 5s) == 1);
  d.stop();
}

TEST_CASE("forward: work committed by another connection is noticed through data_version",
          "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  f.add(rx.url());
  auto o = f.options();
  o.poll_interval = 60s;  // only the data_version check can find the new rows in time
  o.change_check_interval = 20ms;
  deliverer d(std::move(o));
  REQUIRE(d.start().has_value());
  std::this_thread::sleep_for(100ms);
  for (int i = 0; i < 3; ++i) {
    f.emit("message.outbound.sent");  // as pons-mcp would, on its own connection; no notify
    REQUIRE(rx.wait_for(static_cast<std::size_t>(i) + 1, 5s) == static_cast<std::size_t>(i) + 1);
  }
  d.stop();
}

TEST_CASE("forward: a restart in the middle of a backoff still delivers", "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t i) { return reply{i == 0 ? 502 : 200}; });
  f.add(rx.url());
  f.emit("message.inbound.received");
  const auto delivery = f.only_delivery();
  {
    deliverer first(f.options(0.2));  // first retry after ~1 s
    REQUIRE(first.start().has_value());
    REQUIRE(rx.wait_for(1, 5s) == 1);
    REQUIRE(f.wait_state(delivery.id, "pending", 2s));
    first.stop();
  }
  CHECK(get_delivery(f.db, delivery.id)->delivery.attempts == 1);
  std::this_thread::sleep_for(100ms);
  CHECK(rx.requests().size() == 1);  // nothing runs while stopped

  deliverer second(f.options(0.2));
  REQUIRE(second.start().has_value());
  REQUIRE(rx.wait_for(2, 5s) == 2);
  REQUIRE(f.wait_state(delivery.id, "succeeded", 5s));
  second.stop();
  CHECK(rx.requests()[1].headers.at("x-pons-attempt") == "2");
  CHECK(rx.requests()[1].at - rx.requests()[0].at >= 700ms);  // the backoff was honoured
}

TEST_CASE("forward: a slow target does not delay the others", "[forward]") {
  fixture f;
  // The slow target answers nothing until the fast one has everything: no clock involved.
  std::atomic<bool> release{false};
  receiver slow([&](const received&, std::size_t) {
    for (int i = 0; i < 3000 && !release; ++i) std::this_thread::sleep_for(10ms);
    return reply{200};
  });
  receiver fast([](const received&, std::size_t) { return reply{200}; });
  f.add(slow.url());
  f.add(fast.url());
  for (int i = 0; i < 6; ++i) f.emit("message.inbound.received");
  auto o = f.options();
  o.workers = 3;
  o.per_target = 2;
  deliverer d(o);
  REQUIRE(d.start().has_value());
  CHECK(fast.wait_for(6, 30s) == 6);  // all six while the slow one still holds its first two
  CHECK_FALSE(release);
  CHECK(slow.requests().size() <= 2);
  release = true;
  d.stop();
}

TEST_CASE("forward: timeouts, redirects and refused addresses are failed attempts", "[forward]") {
  fixture f;
  receiver sleepy([](const received&, std::size_t) { return reply{200, 1000ms}; });
  receiver redirect([](const received&, std::size_t) { return reply{302, 0ms, "/elsewhere"}; });
  f.add(sleepy.url(), {}, 1, 200ms);
  f.add(redirect.url(), {}, 1);
  f.add("https://169.254.169.254/latest/meta-data", {}, 1);
  f.emit("message.status.updated");
  deliverer d(f.options());
  REQUIRE(d.start().has_value());
  auto rows = list_deliveries(f.db, {}).value();
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows) REQUIRE(f.wait_state(r.id, "dead", 5s));
  d.stop();

  for (const auto& r : rows) {
    auto detail = get_delivery(f.db, r.id).value();
    REQUIRE(detail.attempts.size() == 1);
    const auto& a = detail.attempts[0];
    INFO(a.error);
    if (r.target_id == 1) {
      CHECK_FALSE(a.status_code.has_value());
      CHECK(a.error.find("timed out") != std::string::npos);
      CHECK(a.duration_ms >= 150);
    } else if (r.target_id == 2) {
      CHECK(a.status_code == 302);
      CHECK(a.error.find("redirect") != std::string::npos);
    } else {
      CHECK_FALSE(a.status_code.has_value());
      CHECK(a.error.find("link-local") != std::string::npos);
    }
  }
  CHECK(redirect.requests().size() == 1);  // the Location was not followed
}

TEST_CASE("forward: options come from the environment", "[forward]") {
  std::map<std::string, std::string> env{
      {"PONS_FORWARD_BACKOFF_SCALE", "0.001"}, {"PONS_FORWARD_WORKERS", "7"},
      {"PONS_FORWARD_PER_TARGET", "3"},        {"PONS_FORWARD_CLAIM_BATCH", "5000"},
      {"PONS_FORWARD_POLL_MS", "bogus"},       {"PONS_FORWARD_CHANGE_MS", "250"},
      {"PONS_FORWARD_ALLOW_LINK_LOCAL", "1"}};
  auto o = deliverer_options_from_env("x.db", [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  CHECK(o.database_path == "x.db");
  CHECK(o.backoff.scale == Approx(0.001));
  CHECK(o.workers == 7);
  CHECK(o.per_target == 3);
  CHECK(o.claim_batch == 1000);  // clamped
  CHECK(o.poll_interval == deliverer_options{}.poll_interval);
  CHECK(o.change_check_interval == 250ms);
  CHECK(o.allow_link_local);
  env["PONS_FORWARD_BACKOFF_SCALE"] = "-3";
  env.erase("PONS_FORWARD_ALLOW_LINK_LOCAL");
  o = deliverer_options_from_env("x.db", [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  CHECK(o.backoff.scale == 1.0);
  CHECK_FALSE(o.allow_link_local);
}

TEST_CASE("forward: sign_delivery matches an independent HMAC", "[forward]") {
  const std::string secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  const std::string body = R"({"id":"evt_1","type":"message.status.updated"})";
  auto h = sign_delivery(secret, body, 1764079200);
  CHECK(h.timestamp == "1764079200");
  CHECK(h.signature == pons::forward_test::hmac_sha256_hex(secret, "1764079200." + body));
  CHECK(sign_delivery(secret, body, 1764079201).signature != h.signature);
}

TEST_CASE("forward: a backlog is claimed in batches, sent per_target at a time, each once",
          "[forward]") {
  fixture f;
  std::atomic<int> sending{0};
  std::atomic<int> most{0};
  receiver rx([&](const received&, std::size_t) {
    const int now = ++sending;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(5ms);
    --sending;
    return reply{200};
  });
  auto target = f.add(rx.url());
  constexpr int events = 150;
  for (int i = 0; i < events; ++i) f.emit("message.inbound.received");
  auto o = f.options();
  o.workers = 6;
  o.per_target = 3;
  o.claim_batch = 16;
  deliverer d(o);
  REQUIRE(d.start().has_value());
  REQUIRE(rx.wait_for(events, 20s) == events);
  auto rows = list_deliveries(f.db, {std::nullopt, std::nullopt, 1000}).value();
  REQUIRE(rows.size() == events);
  for (const auto& r : rows) REQUIRE(f.wait_state(r.id, "succeeded", 5s));
  d.stop();

  std::set<std::string> ids;
  for (const auto& r : rx.requests()) {
    CHECK(pons::forward_test::signature_valid(target.secret, r));
    CHECK(ids.insert(r.headers.at("x-pons-delivery-id")).second);  // no delivery twice
  }
  CHECK(ids.size() == static_cast<std::size_t>(events));
  for (const auto& r : rows) {
    auto detail = get_delivery(f.db, r.id).value();
    CHECK(detail.attempts.size() == 1);  // every attempt recorded, once
  }
  CHECK(most.load() <= 3);
  // Keep-alive: one connection per worker that served the target, not one per delivery.
  CHECK(rx.connections() <= 6);
}

TEST_CASE("forward: stopping records every attempt sent and hands the rest back", "[forward]") {
  fixture f;
  receiver rx([](const received&, std::size_t) { return reply{200, 30ms}; });
  f.add(rx.url());
  constexpr int events = 60;
  for (int i = 0; i < events; ++i) f.emit("message.inbound.received");
  auto o = f.options();
  o.workers = 4;
  o.per_target = 2;
  o.claim_batch = 32;
  {
    deliverer d(o);
    REQUIRE(d.start().has_value());
    REQUIRE(rx.wait_for(6, 10s) >= 6);
    d.stop();
  }
  std::map<std::string, int> sent;
  for (const auto& r : rx.requests()) ++sent[r.headers.at("x-pons-delivery-id")];
  REQUIRE(sent.size() < static_cast<std::size_t>(events));  // stopped mid-backlog
  for (const auto& r : list_deliveries(f.db, {std::nullopt, std::nullopt, 1000}).value()) {
    auto detail = get_delivery(f.db, r.id).value();
    const auto it = sent.find(std::to_string(r.id));
    const int times = it == sent.end() ? 0 : it->second;
    INFO("delivery " << r.id);
    CHECK(times <= 1);
    CHECK(detail.attempts.size() == static_cast<std::size_t>(times));
    CHECK(r.state == (times == 1 ? "succeeded" : "pending"));  // none left 'delivering'
  }
}

TEST_CASE("forward: a process killed between sending and recording redelivers after the lease",
          "[forward]") {
  fixture f;
  // The first three requests are held (their answers never reach the killed process); later
  // ones are answered at once.
  std::mutex hold_mu;
  std::condition_variable hold_cv;
  bool released = false;
  receiver rx([&](const received&, std::size_t index) {
    if (index < 3) {
      std::unique_lock lock(hold_mu);
      hold_cv.wait(lock, [&] { return released; });
    }
    return reply{200};
  });
  f.add(rx.url(), {}, 8, 2s);
  for (int i = 0; i < 3; ++i) f.emit("message.inbound.received");
  auto o = f.options();
  o.lease_margin = 300ms;  // lease = the 2 s timeout + 0.3 s

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The process that dies: it claims and sends, and is killed before any answer arrives.
    deliverer first(o);
    if (!first.start()) ::_exit(1);
    for (;;) ::pause();
  }
  const bool all_sent = rx.wait_for(3, 10s) == 3;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  {
    std::lock_guard lock(hold_mu);
    released = true;
  }
  hold_cv.notify_all();
  REQUIRE(all_sent);

  auto rows = list_deliveries(f.db, {}).value();
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows) {
    CHECK(r.state == "delivering");  // claimed, sent, but nothing recorded: not done
    CHECK(get_delivery(f.db, r.id)->attempts.empty());
  }

  deliverer second(o);
  REQUIRE(second.start().has_value());
  REQUIRE(rx.wait_for(6, 10s) == 6);
  for (const auto& r : rows) REQUIRE(f.wait_state(r.id, "succeeded", 5s));
  second.stop();

  std::map<std::string, std::vector<received>> by_delivery;
  for (const auto& r : rx.requests()) by_delivery[r.headers.at("x-pons-delivery-id")].push_back(r);
  REQUIRE(by_delivery.size() == 3);
  for (const auto& [id, reqs] : by_delivery) {
    INFO("delivery " << id);
    REQUIRE(reqs.size() == 2);  // once by the killed process, once after its lease
    CHECK(reqs[0].headers.at("x-pons-attempt") == "1");
    CHECK(reqs[1].headers.at("x-pons-attempt") == "1");  // the first was never recorded
    CHECK(reqs[1].at - reqs[0].at >= 1800ms);            // not before the lease ran out
    auto detail = get_delivery(f.db, std::stoll(id)).value();
    CHECK(detail.attempts.size() == 1);
    CHECK(detail.attempts[0].status_code == 200);
  }
}
