// pons-webhook's media worker against the fake Graph API: an inbound image is downloaded right
// away, checked and stored content-addressed in private folders; an unknown media id fails for
// good; a media id that is no Meta id never reaches a URL, and is logged escaped.
#include <sys/stat.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "pons/meta/graph_client.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* graph_token = "media-test-token-SECRET";
constexpr const char* graph_secret = "media-test-app-secret";

struct fake_graph {
  temp_dir dir;
  process proc;
  std::uint16_t port = 0;

  fake_graph() {
    proc =
        process::start(std::string(PONS_BINARY_DIR) + "/tests/support/fake_graph/pons-fake-graph",
                       {"--port", "0", "--port-file", dir.file("port"), "--token", graph_token,
                        "--app-secret", graph_secret},
                       {}, {}, dir.file("stderr.log"));
    if (auto p = wait_for_port_file(dir.file("port"), proc)) port = *p;
  }

  std::optional<http_response> control(const std::string& path, const std::string& json) {
    return http_request(port, "POST", path, json, {{"Content-Type", "application/json"}});
  }
};

std::vector<std::string> env_for(const fake_graph& g) {
  return {std::string("WA_APP_SECRET=") + graph_secret,
          std::string("WA_PHONE_NUMBER_ID=") + default_phone_number_id,
          std::string("WA_ACCESS_TOKEN=") + graph_token, "WA_WABA_ID=102290129340398",
          "WA_GRAPH_BASE_URL=http://127.0.0.1:" + std::to_string(g.port)};
}

// Permission bits of a path (0 when it does not exist).
unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// Paths of the requests the fake Graph API received.
std::vector<std::string> graph_request_paths(fake_graph& g) {
  std::vector<std::string> out;
  auto r = http_request(g.port, "GET", "/_fake/requests");
  if (!r) return out;
  auto v = boost::json::parse(r->body);
  for (const auto& req : v.at("requests").as_array()) out.emplace_back(req.at("path").as_string());
  return out;
}

// Wait until the media row leaves queued/downloading; returns its state.
std::string wait_media_state(webhook_process& svc, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (svc.count("SELECT count(*) FROM media WHERE state = 'done'") > 0) return "done";
    if (svc.count("SELECT count(*) FROM media WHERE state = 'failed'") > 0) return "failed";
    std::this_thread::sleep_for(50ms);
  }
  return "timeout";
}

}  // namespace

TEST_CASE("an inbound image is downloaded, verified and stored by content", "[webhook][media]") {
  // With the usual umask, folders would be 0755 unless created private on purpose.
  ::umask(022);
  fake_graph graph;
  REQUIRE(graph.port != 0);
  webhook_process svc(env_for(graph));
  REQUIRE(svc.started());
  auto cfg = graph.control("/_fake/config", R"({"webhook_url":"http://127.0.0.1:)" +
                                                std::to_string(svc.port()) + R"(/webhook/meta"})");
  REQUIRE(cfg);
  REQUIRE(cfg->status == 200);

  // "hello media" in base64; the fake signs and delivers the webhook, then serves the bytes.
  auto sent = graph.control("/_fake/inbound", R"({"from":"16505551234","phone_number_id":")" +
                                                  std::string(default_phone_number_id) +
                                                  R"(","image":{"data_base64":"aGVsbG8gbWVkaWE=",)"
                                                  R"("mime_type":"image/png"}})");
  REQUIRE(sent);
  REQUIRE(sent->status == 200);
  REQUIRE(wait_media_state(svc, 15s) == "done");

  auto sha = pons::meta::sha256_hex("hello media");
  auto path = svc.dir().path() + "/data/media/" + sha.substr(0, 2) + "/" + sha;
  CHECK(read_text_file(path) == "hello media");
  // Only the service's user may list or read what customers sent.
  CHECK(mode_of(svc.dir().path() + "/data") == 0700);
  CHECK(mode_of(svc.dir().path() + "/data/media") == 0700);
  CHECK(mode_of(svc.dir().path() + "/data/media/" + sha.substr(0, 2)) == 0700);
  CHECK(mode_of(path) == 0600);
  CHECK(svc.count("SELECT count(*) FROM media WHERE state = 'done' AND sha256 = '" + sha +
                  "' AND size = 11 AND path = '" + path + "'") == 1);
  auto h = svc.get("/health");
  REQUIRE(h);
  CHECK(h->body.find("\"downloaded\":1") != std::string::npos);
  CHECK(svc.log().find(graph_token) == std::string::npos);
}

TEST_CASE("an unknown media id fails for good without blocking the queue", "[webhook][media]") {
  fake_graph graph;
  REQUIRE(graph.port != 0);
  webhook_process svc(env_for(graph));
  REQUIRE(svc.started());
  std::string image =
      R"({"from":"16505551234","id":"wamid.media.missing","timestamp":"1749416383",)"
      R"("type":"image","image":{"mime_type":"image/jpeg","id":"999000111"}})";
  auto r = svc.post(simple_payload(default_phone_number_id, {image}), std::string(graph_secret));
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(wait_media_state(svc, 15s) == "failed");
  CHECK(svc.count("SELECT count(*) FROM media WHERE state = 'failed' AND last_error <> ''") == 1);
}

TEST_CASE("a media id that is no Meta id never reaches a Graph URL and is logged escaped",
          "[webhook][media]") {
  fake_graph graph;
  REQUIRE(graph.port != 0);
  webhook_process svc(env_for(graph));
  REQUIRE(svc.started());
  // JSON escapes: the ids hold a real CR LF, and a path that climbs out of the API version.
  std::string injected =
      R"({"from":"16505551234","id":"wamid.media.crlf","timestamp":"1749416383",)"
      R"("type":"image","image":{"mime_type":"image/jpeg","id":"id\r\nX-Injected: 1"}})";
  std::string traversal =
      R"({"from":"16505551234","id":"wamid.media.dots","timestamp":"1749416383",)"
      R"("type":"image","image":{"mime_type":"image/jpeg","id":"../../../../etc/passwd"}})";
  auto r = svc.post(simple_payload(default_phone_number_id, {injected, traversal}),
                    std::string(graph_secret));
  REQUIRE(r);
  CHECK(r->status == 200);

  // Both jobs end (failed for good, not retried): 30 s is hang protection.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (svc.count("SELECT count(*) FROM media WHERE state IN ('queued', 'downloading')") > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  CHECK(svc.count("SELECT count(*) FROM media WHERE state IN ('queued', 'downloading')") == 0);
  CHECK(svc.count("SELECT count(*) FROM media WHERE state = 'done'") == 0);

  // Nothing was asked of the Graph API with those ids (the bearer token goes with every call).
  for (const auto& path : graph_request_paths(graph)) {
    INFO("graph request: " << path);
    CHECK(path.find("passwd") == std::string::npos);
    CHECK(path.find("Injected") == std::string::npos);
    CHECK(path.find("..") == std::string::npos);
  }

  // Every log line is one of ours: the id's line break is written as \r\n, not made.
  std::this_thread::sleep_for(200ms);
  auto log = svc.log();
  std::istringstream lines(log);
  std::string line;
  while (std::getline(lines, line)) {
    INFO("log line: " << line);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.rfind("X-Injected", 0) == std::string::npos);
  }
  // The refusal is logged with the id escaped (when the ingest queued a job for it at all).
  if (svc.count("SELECT count(*) FROM media WHERE media_id LIKE 'id%Injected%'") == 1)
    CHECK(log.find(R"(media_id="id\r\nX-Injected: 1")") != std::string::npos);
  CHECK(log.find(graph_token) == std::string::npos);
}
