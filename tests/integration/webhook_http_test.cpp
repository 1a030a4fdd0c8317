// pons-webhook as an HTTP service: handshake, routing, limits, timeouts, request ids, health,
// metrics, command line and shutdown. The real binary on a loopback port, a fresh database.
#include <catch2/catch.hpp>
#include <thread>

#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

std::optional<int> run_to_exit(const std::vector<std::string>& args, std::vector<std::string> env,
                               temp_dir& dir, std::string* err_out = nullptr) {
  auto err = dir.file("cli-stderr.log");
  auto out = dir.file("cli-stdout.log");
  std::remove(err.c_str());
  std::remove(out.c_str());
  env.push_back("HOME=" + dir.path());
  auto p = process::start(PONS_WEBHOOK_BIN, args, env, out, err);
  auto code = p.wait_exit(10s);
  if (err_out) *err_out = read_text_file(err) + read_text_file(out);
  return code;
}

// GET /health while another connection holds the write lock. Expects 503 with writable false
// (the caller holds the lock).
std::optional<http_response> health_while_locked(webhook_process& svc) {
  auto h = http_request(svc.port(), "GET", "/health", {}, {}, 30s);
  REQUIRE(h);
  CHECK(h->status == 503);
  CHECK(h->body.find("\"writable\":false") != std::string::npos);
  return h;
}

}  // namespace

TEST_CASE("handshake echoes the challenge only for the right token", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto ok = svc.get(std::string("/webhook/meta?hub.mode=subscribe&hub.verify_token=") +
                    default_verify_token + "&hub.challenge=1158201444");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  CHECK(ok->body == "1158201444");
  CHECK(ok->header("content-type").rfind("text/plain", 0) == 0);

  // Byte-exact after percent-decoding, on the short path too.
  auto odd = svc.get(std::string("/webhook?hub.verify_token=") + default_verify_token +
                     "&hub.challenge=a%2Fb%20c&hub.mode=subscribe");
  REQUIRE(odd);
  CHECK(odd->status == 200);
  CHECK(odd->body == "a/b c");

  auto wrong = svc.get("/webhook/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1");
  REQUIRE(wrong);
  CHECK(wrong->status == 404);
  CHECK(wrong->body.find('1') == std::string::npos);

  auto no_mode = svc.get(std::string("/webhook/meta?hub.verify_token=") + default_verify_token +
                         "&hub.challenge=1");
  REQUIRE(no_mode);
  CHECK(no_mode->status == 404);

  // The verify token is in the query string: it must never reach the log.
  CHECK(svc.log().find(default_verify_token) == std::string::npos);
}

TEST_CASE("unknown paths answer 404 and wrong methods 405", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto missing = svc.get("/nothing-here");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto put = http_request(svc.port(), "PUT", "/webhook/meta", "x");
  REQUIRE(put);
  CHECK(put->status == 405);
  CHECK(put->header("allow").find("POST") != std::string::npos);
  auto post_health = http_request(svc.port(), "POST", "/health", "{}");
  REQUIRE(post_health);
  CHECK(post_health->status == 405);
}

TEST_CASE("request ids are kept when valid, generated otherwise, and logged", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto kept = http_request(svc.port(), "GET", "/health", {}, {{"X-Request-Id", "trace-abc-123"}});
  REQUIRE(kept);
  CHECK(kept->header("x-request-id") == "trace-abc-123");

  auto generated = svc.get("/health");
  REQUIRE(generated);
  auto id = generated->header("x-request-id");
  CHECK(id.size() >= 16);

  std::string too_long(200, 'a');
  auto replaced = http_request(svc.port(), "GET", "/health", {}, {{"X-Request-Id", too_long}});
  REQUIRE(replaced);
  CHECK(replaced->header("x-request-id") != too_long);
  CHECK_FALSE(replaced->header("x-request-id").empty());

  std::this_thread::sleep_for(100ms);
  auto log = svc.log();
  CHECK(log.find("request_id=trace-abc-123") != std::string::npos);
  CHECK(log.find("request_id=" + id) != std::string::npos);
  CHECK(log.find("path=/health status=200") != std::string::npos);
}

TEST_CASE("keep-alive serves several requests on one connection", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  http_connection c(svc.port());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(c.send_request("GET", "/health", {}));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}

TEST_CASE("health reports the database and metrics are Prometheus text", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto h = svc.get("/health");
  REQUIRE(h);
  CHECK(h->status == 200);
  CHECK(h->header("content-type") == "application/json");
  CHECK(h->body.find("\"status\":\"ok\"") != std::string::npos);
  CHECK(h->body.find("\"writable\":true") != std::string::npos);
  CHECK(h->body.find("\"schema_version\":") != std::string::npos);
  CHECK(h->body.find("\"uptime_seconds\":") != std::string::npos);

  svc.get("/nothing");
  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(m->body.find("pons_http_requests_total{route=\"/health\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK(m->body.find("pons_http_requests_total{route=\"other\",status=\"404\"} 1") !=
        std::string::npos);
  CHECK(m->body.find("# TYPE pons_webhook_ingest_seconds histogram") != std::string::npos);
  CHECK(m->body.find("pons_webhook_writer_queue_depth") != std::string::npos);
  CHECK(m->body.find("pons_media_queue_depth") != std::string::npos);
}

TEST_CASE("health is 503 when the database cannot be written", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  // Another connection holds the write lock longer than the service's busy timeout allows.
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  REQUIRE(db->exec("BEGIN IMMEDIATE").has_value());
  health_while_locked(svc);
  REQUIRE(db->exec("ROLLBACK").has_value());
  auto again = svc.get("/health");
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("health answers quickly while the writer waits for another process's lock",
          "[webhook][http]") {
  webhook_process svc(default_webhook_env(), {"--no-media"});
  REQUIRE(svc.started());
  auto db = pons::store::database::open(svc.db_path());
  REQUIRE(db.has_value());
  REQUIRE(db->exec("BEGIN IMMEDIATE").has_value());
  // A POST arrives: the writer now waits (up to its 5 s busy timeout) for the lock.
  std::optional<http_response> post;
  std::thread poster([&] { post = svc.post(webhook_fixture("messages/text.json")); });
  std::this_thread::sleep_for(200ms);

  // Answered at the probe deadline, not after the writer's wait for the lock: the POST queued
  // before it is still waiting.
  auto h = health_while_locked(svc);
  CHECK(h->body.find("locked by another") != std::string::npos);

  // The lock goes away before the writer's busy timeout: the POST is stored and answered 200
  // (had /health sat out that timeout, the POST would have failed with it).
  REQUIRE(db->exec("ROLLBACK").has_value());
  poster.join();
  REQUIRE(post);
  CHECK(post->status == 200);
  CHECK(svc.count("SELECT count(*) FROM messages") == 1);
  auto again = svc.get("/health");
  REQUIRE(again);
  CHECK(again->status == 200);
}

TEST_CASE("webhook POSTs without a valid signature are 404 and write nothing", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto body = webhook_fixture("messages/text.json");
  REQUIRE_FALSE(body.empty());

  auto missing = svc.post(body, std::nullopt);
  REQUIRE(missing);
  CHECK(missing->status == 404);

  auto wrong_secret = svc.post(body, std::string("not-the-secret"));
  REQUIRE(wrong_secret);
  CHECK(wrong_secret->status == 404);

  // Signed, then tampered with: one byte changed after signing.
  std::vector<std::pair<std::string, std::string>> headers{
      {"X-Hub-Signature-256", pons::meta::sign_body(body, default_app_secret)}};
  auto tampered = body;
  tampered[tampered.find("another color")] = 'A';
  auto t = http_request(svc.port(), "POST", "/webhook/meta", tampered, headers);
  REQUIRE(t);
  CHECK(t->status == 404);

  CHECK(svc.count("SELECT count(*) FROM messages") == 0);
  CHECK(svc.count("SELECT count(*) FROM webhook_log") == 0);
  auto m = svc.get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("pons_webhook_signature_failures_total 3") != std::string::npos);
  CHECK(svc.log().find(default_app_secret) == std::string::npos);
}

TEST_CASE("a body from an unknown number is 404 even when signed", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  auto body = webhook_fixture("messages/text.json");
  auto pos = body.find(default_phone_number_id);
  REQUIRE(pos != std::string::npos);
  body.replace(pos, std::string(default_phone_number_id).size(), "999999999999999");
  auto r = svc.post(body);
  REQUIRE(r);
  CHECK(r->status == 404);
  CHECK(svc.count("SELECT count(*) FROM messages") == 0);
}

TEST_CASE("a signed body that is not JSON is 400 and kept in the webhook log", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  std::string broken = R"({"object":"whatsapp_business_account","entry":[{"id":"1", "token": "abc)";
  auto r = svc.post(broken);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(svc.count("SELECT count(*) FROM webhook_log WHERE http_status = 400") == 1);
  CHECK(svc.count(
            "SELECT count(*) FROM webhook_log WHERE body LIKE '%whatsapp_business_account%'") == 1);
  // Unsigned garbage is not kept.
  auto unsigned_r = svc.post("not json", std::nullopt);
  REQUIRE(unsigned_r);
  CHECK(unsigned_r->status == 404);
  CHECK(svc.count("SELECT count(*) FROM webhook_log") == 1);
}

TEST_CASE("an oversized body is refused with 413", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  http_connection c(svc.port());
  // Announce 5 MiB and send only the head: the server refuses from the length alone.
  REQUIRE(
      c.send_raw("POST /webhook/meta HTTP/1.1\r\nHost: x\r\nContent-Length: 5242880\r\n"
                 "X-Hub-Signature-256: sha256=00\r\n\r\n"));
  auto r = c.read_response(10s);
  REQUIRE(r);
  CHECK(r->status == 413);

  // Chunked bodies have no length up front: the limit applies while reading.
  http_connection chunked(svc.port());
  REQUIRE(chunked.send_raw(
      "POST /webhook/meta HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  std::string chunk(1024 * 1024, 'a');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  for (int i = 0; i < 5; ++i)
    if (!chunked.send_raw(std::string(size_line) + chunk + "\r\n")) break;
  auto r2 = chunked.read_response(10s);
  REQUIRE(r2);
  CHECK(r2->status == 413);
}

TEST_CASE("a bad chunk size is answered 400 and logged", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  http_connection c(svc.port());
  REQUIRE(
      c.send_raw("POST /webhook/meta HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 "X-Request-Id: bad-chunk-1\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"));
  auto r = c.read_response(30s);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(c.closed_by_peer(30s));
  // The line is written once the answer is; give the log a moment to reach the file.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (svc.log().find("request_id=bad-chunk-1") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  auto log = svc.log();
  auto at = log.find("request_id=bad-chunk-1");
  REQUIRE(at != std::string::npos);
  auto line = log.substr(log.rfind('\n', at) + 1, log.find('\n', at) - log.rfind('\n', at) - 1);
  CHECK(line.find("method=POST path=/webhook/meta status=400") != std::string::npos);
  CHECK(line.find("error=bad_chunk") != std::string::npos);
}

TEST_CASE("oversized headers are refused with 431", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  http_connection c(svc.port());
  std::string big(20 * 1024, 'x');
  REQUIRE(c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n"));
  auto r = c.read_response(10s);
  REQUIRE(r);
  CHECK(r->status == 431);
}

TEST_CASE("a slow client is cut off and cannot hold the server", "[webhook][http]") {
  webhook_process svc(default_webhook_env(), {"--header-timeout-ms", "700"});
  REQUIRE(svc.started());
  std::vector<std::unique_ptr<http_connection>> slow;
  for (int i = 0; i < 20; ++i) {
    slow.push_back(std::make_unique<http_connection>(svc.port()));
    REQUIRE(slow.back()->send_raw("GET /health HTTP/1.1\r\nHost: x\r\n"));
  }
  // Meanwhile others are served at once.
  auto h = svc.get("/health");
  REQUIRE(h);
  CHECK(h->status == 200);
  // Trickle one header byte at a time: the deadline is for the whole header, not per byte, so
  // the server cuts the connection although a byte keeps coming (30 s only bounds a hang).
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  while (std::chrono::steady_clock::now() - start < 30s) {
    if (!slow.front()->send_raw("X")) {
      cut = true;
      break;
    }
    if (slow.front()->closed_by_peer(100ms)) {
      cut = true;
      break;
    }
  }
  CHECK(cut);
  for (std::size_t i = 1; i < slow.size(); ++i) CHECK(slow[i]->closed_by_peer(3s));
}

TEST_CASE("SIGTERM stops the service cleanly", "[webhook][http]") {
  webhook_process svc;
  REQUIRE(svc.started());
  http_connection idle(svc.port());
  REQUIRE(idle.send_request("GET", "/health", {}));
  REQUIRE(idle.read_response());
  auto code = svc.proc().stop(10s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(idle.closed_by_peer(1s));
  CHECK(svc.log().find("stopped") != std::string::npos);
}

TEST_CASE("command line: help, version, bad flags and missing secrets", "[webhook][cli]") {
  temp_dir dir;
  std::string out;
  CHECK(run_to_exit({"--help"}, {}, dir, &out) == 0);
  CHECK(out.find("--port") != std::string::npos);
  CHECK(run_to_exit({"--version"}, {}, dir, &out) == 0);
  CHECK(out.find("pons-webhook ") != std::string::npos);
  CHECK(out.find("(allocator: ") != std::string::npos);
  CHECK(run_to_exit({"--frobnicate"}, default_webhook_env(), dir, &out) == 2);
  CHECK(out.find("--frobnicate") != std::string::npos);
  CHECK(run_to_exit({"--port", "99999"}, default_webhook_env(), dir, &out) == 2);
  CHECK(run_to_exit({"--port", "0", "--db", dir.file("x.db")}, {}, dir, &out) == 2);
  CHECK(out.find("WA_APP_SECRET") != std::string::npos);
}

TEST_CASE("config file: several accounts, refused when others can read it", "[webhook][cli]") {
  temp_dir dir;
  auto cfg = dir.file("accounts.json");
  write_text_file(cfg, R"({"accounts":[
    {"waba_id":"111","app_secret":"secret-a","verify_token":"token-a","phone_numbers":["1001"]},
    {"waba_id":"222","app_secret":"secret-b","verify_token":"token-b",
     "phone_numbers":[{"phone_number_id":"2002","display_phone_number":"15550002002"}]}]})",
                  0644);
  std::string out;
  CHECK(run_to_exit({"--config", cfg, "--db", dir.file("x.db")}, {}, dir, &out) == 2);
  CHECK(out.find("chmod 600") != std::string::npos);
  CHECK(out.find("secret-a") == std::string::npos);

  ::chmod(cfg.c_str(), 0600);
  webhook_process svc({}, {"--config", cfg});
  REQUIRE(svc.started());
  for (std::string token : {"token-a", "token-b"}) {
    auto r = svc.get("/webhook?hub.mode=subscribe&hub.verify_token=" + token + "&hub.challenge=7");
    REQUIRE(r);
    CHECK(r->status == 200);
  }
}
