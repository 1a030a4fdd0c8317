#include <catch2/catch.hpp>
#include <thread>

#include "core/http/bounded_queue.hpp"
#include "core/http/metrics.hpp"
#include "core/http/server.hpp"
#include "core/http/webhook_service.hpp"

using namespace pons::http;

TEST_CASE("router: exact paths, 404 and 405 with Allow", "[http]") {
  router r;
  handler h = [](server_request&) -> boost::asio::awaitable<server_response> {
    co_return server_response{};
  };
  r.add("GET", "/a", h);
  r.add("POST", "/a", h);
  r.add("GET", "/b", h);
  auto ok = r.find("POST", "/a");
  CHECK(ok.found != nullptr);
  CHECK(ok.route == "/a");
  auto wrong = r.find("PUT", "/a");
  CHECK(wrong.found == nullptr);
  CHECK(wrong.status == 405);
  CHECK(wrong.allow == "GET, POST");
  auto missing = r.find("GET", "/a/");
  CHECK(missing.status == 404);
  CHECK(missing.route == "other");
}

TEST_CASE("request ids: printable, bounded", "[http]") {
  CHECK(valid_request_id("abc-123_XYZ.:/"));
  CHECK(valid_request_id(std::string(128, 'a')));
  CHECK_FALSE(valid_request_id(std::string(129, 'a')));
  CHECK_FALSE(valid_request_id(""));
  CHECK_FALSE(valid_request_id("has space"));
  CHECK_FALSE(valid_request_id("line\nbreak"));
  CHECK_FALSE(valid_request_id("quote\""));
  CHECK_FALSE(valid_request_id("caf\xc3\xa9"));
}

TEST_CASE("request headers are looked up case-insensitively", "[http]") {
  server_request req;
  req.headers = {{"X-Hub-Signature-256", "sha256=ab"}, {"Content-Type", "a"}};
  CHECK(req.header("x-hub-signature-256") == "sha256=ab");
  CHECK(req.has_header("CONTENT-TYPE"));
  CHECK(req.header("missing").empty());
}

TEST_CASE("query parameters are percent-decoded", "[http]") {
  std::string_view q = "hub.mode=subscribe&hub.challenge=a%2Fb+c%zz&empty=&flag";
  CHECK(query_param(q, "hub.mode") == "subscribe");
  CHECK(query_param(q, "hub.challenge") == "a/b c%zz");
  CHECK(query_param(q, "empty") == "");
  CHECK(query_param(q, "flag") == "");
  CHECK_FALSE(query_param(q, "absent"));
  CHECK(query_param("hub%2Emode=x", "hub.mode") == "x");
}

TEST_CASE("handshake needs subscribe, a configured token and a challenge", "[http]") {
  pons::meta::account_config cfg;
  cfg.accounts.push_back({"w", "secret", "tok", "", {{"1", ""}}, "env"});
  CHECK(handshake_challenge(cfg, "hub.mode=subscribe&hub.verify_token=tok&hub.challenge=42") ==
        "42");
  CHECK_FALSE(handshake_challenge(cfg, "hub.mode=subscribe&hub.verify_token=tok2&hub.challenge=4"));
  CHECK_FALSE(
      handshake_challenge(cfg, "hub.mode=unsubscribe&hub.verify_token=tok&hub.challenge=4"));
  CHECK_FALSE(handshake_challenge(cfg, "hub.mode=subscribe&hub.verify_token=tok"));
}

TEST_CASE("bounded queue refuses when full and hands out batches", "[http]") {
  bounded_queue<int> q(3);
  for (int i = 0; i < 3; ++i) {
    int v = i;
    CHECK(q.try_push(v));
  }
  int extra = 9;
  CHECK_FALSE(q.try_push(extra));
  CHECK(q.push_unbounded(10));
  CHECK(q.size() == 4);
  std::vector<int> out;
  CHECK(q.pop_batch(out, 2));
  CHECK(out == std::vector<int>{0, 1});
  out.clear();
  // The unbounded item does not count against the capacity: two places are free again.
  int more = 12;
  CHECK(q.try_push(more));
  int more2 = 13;
  CHECK(q.try_push(more2));
  int refused = 14;
  CHECK_FALSE(q.try_push(refused));
  CHECK(q.pop_batch(out, 2));
  CHECK(out == std::vector<int>{2, 10});
  out.clear();
  q.close();
  int late = 11;
  CHECK_FALSE(q.try_push(late));
  CHECK(q.pop_batch(out, 10));
  CHECK(out == std::vector<int>{12, 13});
  out.clear();
  CHECK_FALSE(q.pop_batch(out, 10));
}

TEST_CASE("bounded queue wakes a waiting consumer", "[http]") {
  bounded_queue<int> q(8);
  std::vector<int> got;
  std::thread consumer([&] {
    std::vector<int> batch;
    while (q.pop_batch(batch, 8)) {
      got.insert(got.end(), batch.begin(), batch.end());
      batch.clear();
    }
  });
  for (int i = 0; i < 5; ++i) CHECK(q.push_unbounded(i));
  q.close();
  consumer.join();
  CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("metrics render counters and a cumulative histogram", "[http]") {
  metrics m;
  m.count_request("/webhook/meta", 200);
  m.count_request("/webhook/meta", 200);
  m.count_request("other", 404);
  m.count_signature_failure();
  m.count_duplicates(3);
  m.observe_ingest(std::chrono::microseconds(1500));
  m.observe_ingest(std::chrono::milliseconds(30));
  auto text = m.render("extra_gauge 1\n");
  CHECK(text.find("pons_http_requests_total{route=\"/webhook/meta\",status=\"200\"} 2") !=
        std::string::npos);
  CHECK(text.find("pons_http_requests_total{route=\"other\",status=\"404\"} 1") !=
        std::string::npos);
  CHECK(text.find("pons_webhook_signature_failures_total 1") != std::string::npos);
  CHECK(text.find("pons_webhook_duplicates_total 3") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_bucket{le=\"0.001\"} 0") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_bucket{le=\"0.002\"} 1") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_bucket{le=\"0.05\"} 2") != std::string::npos);
  CHECK(text.find("pons_webhook_ingest_seconds_count 2") != std::string::npos);
  CHECK(text.find("extra_gauge 1\n") != std::string::npos);
}
