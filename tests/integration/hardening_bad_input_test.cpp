// The bad input catalogue (docs/hardening.md): one table of hostile or broken requests against a
// running pons-webhook. Each row gets its defined answer, the service stays up (GET /health is
// 200 after every row), and no row writes a message except the ones that say so.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hardening_support.hpp"

using namespace pons::test;
using namespace pons::test::hardening;
using namespace std::chrono_literals;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

// A request as raw bytes, so rows can say things a well-behaved client never would.
std::string raw_request(const std::string& method, const std::string& target,
                        const std::string& body, const header_list& headers,
                        const std::string& version = "HTTP/1.1", bool content_length = true) {
  std::string req = method + " " + target + " " + version + "\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (content_length) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return req + "\r\n" + body;
}

std::string signed_post(const std::string& target, const std::string& body,
                        const std::string& content_type = "application/json") {
  return raw_request("POST", target, body,
                     {{"Content-Type", content_type},
                      {"X-Hub-Signature-256", pons::meta::sign_body(body, default_app_secret)}});
}

std::string post_with_signature(const std::string& body, const std::string& signature) {
  return raw_request("POST", "/webhook/meta", body,
                     {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", signature}});
}

struct bad_input {
  std::string name;
  std::function<std::string()> request;  // raw bytes
  std::vector<int> answers;              // statuses in order; empty: closed without an answer
  int new_messages = 0;                  // messages this row may store
  bool slow = false;                     // trickle the bytes (slowloris)
  bool closes = false;                   // the server must close the connection afterwards
};

std::vector<bad_input> catalogue() {
  const std::string long_hex(64, 'a');
  // A valid one-message payload with a fresh wamid.
  auto counter = std::make_shared<int>(0);
  auto fresh_payload = [counter] {
    return payload({text_message("wamid.badinput." + std::to_string(++*counter), "hello")});
  };
  std::vector<bad_input> rows;
  auto row = [&](std::string name, std::function<std::string()> request, std::vector<int> answers,
                 int new_messages = 0) {
    rows.push_back({std::move(name), std::move(request), std::move(answers), new_messages});
  };

  // Control rows: a good request is stored, so the table can tell "refused" from "broken".
  row(
      "control: signed payload", [=] { return signed_post("/webhook/meta", fresh_payload()); },
      {200}, 1);

  // Signatures: bad or missing answers 404 (Meta's docs; do not reveal the endpoint).
  row("forged signature (other secret)",
      [=] {
        auto body = fresh_payload();
        return post_with_signature(body, pons::meta::sign_body(body, "not-the-app-secret"));
      },
      {404});
  row("missing signature",
      [=] {
        return raw_request("POST", "/webhook/meta", fresh_payload(),
                           {{"Content-Type", "application/json"}});
      },
      {404});
  row("malformed signature: no sha256= prefix",
      [=] {
        auto body = fresh_payload();
        return post_with_signature(body, pons::meta::sign_body(body, default_app_secret).substr(7));
      },
      {404});
  row("malformed signature: sha1=",
      [=] {
        auto body = fresh_payload();
        return post_with_signature(body, "sha1=" + long_hex.substr(0, 40));
      },
      {404});
  row("malformed signature: truncated",
      [=] {
        auto body = fresh_payload();
        auto sig = pons::meta::sign_body(body, default_app_secret);
        return post_with_signature(body, sig.substr(0, sig.size() - 2));
      },
      {404});
  row("malformed signature: not hex",
      [=] { return post_with_signature(fresh_payload(), "sha256=" + std::string(64, 'z')); },
      {404});
  row("malformed signature: empty", [=] { return post_with_signature(fresh_payload(), ""); },
      {404});
  row("signature of a different body",
      [=] {
        auto body = fresh_payload();
        return post_with_signature(body, pons::meta::sign_body(body + " ", default_app_secret));
      },
      {404});
  row("unknown phone_number_id (signed with the app secret)",
      [=] {
        auto body = payload({text_message("wamid.badinput.unknown", "hi")}, {}, "999999999999999");
        return signed_post("/webhook/meta", body);
      },
      {404});

  // Content type is not authoritative: the signature over the raw bytes is. A signed body is
  // ingested whatever it claims to be (a non-200 would make Meta retry it for days); an unsigned
  // one is refused like any other.
  row(
      "wrong content type, signed",
      [=] {
        return signed_post("/webhook/meta", fresh_payload(), "application/x-www-form-urlencoded");
      },
      {200}, 1);
  row("wrong content type, unsigned",
      [=] {
        return raw_request("POST", "/webhook/meta", "a=1&b=2",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
      },
      {404});

  // Bodies that are not a webhook.
  row("empty body, signed", [=] { return signed_post("/webhook/meta", ""); }, {400});
  row("empty body, unsigned",
      [=] {
        return raw_request("POST", "/webhook/meta", "", {{"Content-Type", "application/json"}});
      },
      {404});
  row("invalid JSON, signed", [=] { return signed_post("/webhook/meta", R"({"object":)"); }, {400});
  row("invalid JSON, unsigned",
      [=] {
        return raw_request("POST", "/webhook/meta", "{", {{"Content-Type", "application/json"}});
      },
      {404});
  row("valid JSON that is no webhook, signed",
      [=] { return signed_post("/webhook/meta", "[1,2]"); }, {400});
  row("deeply nested JSON (100000 levels), signed",
      [=] {
        return signed_post("/webhook/meta", std::string(100000, '[') + std::string(100000, ']'));
      },
      {400});
  row("deeply nested inside a valid payload, signed",
      [=] {
        std::string body = fresh_payload();
        body.insert(body.size() - 1, ",\"x\":" + std::string(5000, '[') + std::string(5000, ']'));
        return signed_post("/webhook/meta", body);
      },
      {400});
  row("number beyond double range, signed",
      [=] {
        std::string msg = R"({"from":"16505551234","id":"wamid.badinput.inf",)"
                          R"("timestamp":"1749416383","type":"text","text":{"body":"x"},)"
                          R"("n":1e999999})";
        return signed_post("/webhook/meta", payload({msg}));
      },
      {400});
  row(
      "30-digit integers in unknown fields, signed",
      [=] {
        std::string msg =
            R"({"from":"16505551234","id":"wamid.badinput.bigint",)"
            R"("timestamp":"1749416383","type":"text","text":{"body":"x"},)"
            R"("m":-999999999999999999999999999999,"p":999999999999999999999999999999})";
        return signed_post("/webhook/meta", payload({msg}));
      },
      {200}, 1);
  row(
      "huge timestamp string, signed",
      [=] {
        std::string msg = R"({"from":"16505551234","id":"wamid.badinput.bigts",)"
                          R"("timestamp":"99999999999999999999999999","type":"text",)"
                          R"("text":{"body":"x"}})";
        return signed_post("/webhook/meta", payload({msg}));
      },
      {200}, 1);
  row("invalid UTF-8 in a string, signed",
      [=] {
        return signed_post("/webhook/meta",
                           payload({text_message("wamid.badinput.utf8", "caf\xe9")}));
      },
      {400});
  row("lone surrogate escape, signed",
      [=] {
        return signed_post("/webhook/meta",
                           payload({text_message("wamid.badinput.surrogate", "\\ud800")}));
      },
      {400});

  // Size limits.
  row("10 MB body",
      [=] {
        std::string body = fresh_payload();
        body.insert(body.size() - 1, ",\"pad\":\"" + std::string(10 * 1024 * 1024, 'a') + "\"");
        return signed_post("/webhook/meta", body);
      },
      {413});
  row("Content-Length of 10 MB, no body sent",
      [=] { return "POST /webhook/meta HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760\r\n\r\n"; },
      {413});
  row("header flood (2000 headers)",
      [=] {
        header_list h;
        for (int i = 0; i < 2000; ++i) h.emplace_back("X-Flood-" + std::to_string(i), "aaaaaaaa");
        return raw_request("GET", "/health", "", h, "HTTP/1.1", false);
      },
      {431});
  row("one 64 KB header",
      [=] {
        return raw_request("GET", "/health", "", {{"X-Big", std::string(64 * 1024, 'b')}},
                           "HTTP/1.1", false);
      },
      {431});

  // Protocol oddities.
  row("HTTP/1.0 GET /health",
      [=] { return raw_request("GET", "/health", "", {}, "HTTP/1.0", false); }, {200});
  row("HTTP/1.0 forged POST",
      [=] {
        return raw_request("POST", "/webhook/meta", "{}", {{"X-Hub-Signature-256", "sha256=00"}},
                           "HTTP/1.0");
      },
      {404});
  row("pipelined: health, forged POST, health",
      [=] {
        std::string forged = fresh_payload();
        return raw_request("GET", "/health", "", {}, "HTTP/1.1", false) +
               post_with_signature(forged, "sha256=" + std::string(64, '0')) +
               raw_request("GET", "/health", "", {}, "HTTP/1.1", false);
      },
      {200, 404, 200});
  row(
      "pipelined: two signed POSTs",
      [=] {
        return signed_post("/webhook/meta", fresh_payload()) +
               signed_post("/webhook/meta", fresh_payload());
      },
      {200, 200}, 2);
  row("garbage request line", [=] { return std::string("HELLO THERE\r\n\r\n"); }, {400});

  // Framing (RFC 9112 6.1, 6.3, 3.2): when the body's length cannot be known, the request is
  // refused and the connection closed, so the body can never be read as a second request.
  auto closing_row = [&](std::string name, std::function<std::string()> request,
                         std::vector<int> answers) {
    row(std::move(name), std::move(request), std::move(answers));
    rows.back().closes = true;
  };
  const std::string smuggled = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string chunked_body = "5\r\nhello\r\n0\r\n\r\n";
  auto with_te = [=](const std::string& coding, const std::string& body,
                     const std::string& version = "HTTP/1.1") {
    return "POST /webhook/meta " + version + "\r\nHost: x\r\nTransfer-Encoding: " + coding +
           "\r\n\r\n" + body;
  };
  closing_row("Transfer-Encoding: gzip (no chunked at the end)",
              [=] { return with_te("gzip", smuggled); }, {400});
  closing_row("Transfer-Encoding: xchunked", [=] { return with_te("xchunked", smuggled); }, {400});
  closing_row("Transfer-Encoding: chunked, gzip",
              [=] { return with_te("chunked, gzip", smuggled); }, {400});
  closing_row("Transfer-Encoding: gzip, chunked (coding not implemented)",
              [=] { return with_te("gzip, chunked", chunked_body + smuggled); }, {501});
  closing_row("Transfer-Encoding and Content-Length together",
              [=] {
                return "POST /webhook/meta HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" +
                       chunked_body + smuggled;
              },
              {400});
  closing_row("Transfer-Encoding in HTTP/1.0",
              [=] { return with_te("chunked", chunked_body + smuggled, "HTTP/1.0"); }, {400});
  closing_row("bad chunk size",
              [=] { return with_te("chunked", "zz\r\nhello\r\n0\r\n\r\n" + smuggled); }, {400});
  closing_row("HTTP/1.1 request without Host",
              [=] { return "GET /health HTTP/1.1\r\n\r\n" + smuggled; }, {400});
  closing_row("two Host headers",
              [=] { return "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + smuggled; },
              {400});
  closing_row("HTTP/1.0 request without Host",
              [=] { return std::string("GET /health HTTP/1.0\r\n\r\n"); }, {200});
  row("unknown method on the webhook",
      [=] { return raw_request("DELETE", "/webhook/meta", "", {}, "HTTP/1.1", false); }, {405});
  row("handshake with a wrong verify token",
      [=] {
        return raw_request(
            "GET", "/webhook/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1", "",
            {}, "HTTP/1.1", false);
      },
      {404});

  // Path tricks: no normalisation, so none of these reach the webhook route.
  row("path: /webhook/meta/../x",
      [=] { return signed_post("/webhook/meta/../x", fresh_payload()); }, {404});
  row("path: /x/../webhook/meta",
      [=] { return signed_post("/x/../webhook/meta", fresh_payload()); }, {404});
  row("path: percent-encoded /webhook/%6deta",
      [=] { return signed_post("/webhook/%6deta", fresh_payload()); }, {404});
  row("path: //webhook/meta", [=] { return signed_post("//webhook/meta", fresh_payload()); },
      {404});
  row("path: /webhook/meta%00", [=] { return signed_post("/webhook/meta%00", fresh_payload()); },
      {404});
  row("path: absolute-form target",
      [=] { return signed_post("http://127.0.0.1/webhook/meta", fresh_payload()); }, {404});

  // Slowloris: headers trickled one byte at a time never complete in time; the connection is
  // closed at the header deadline without an answer, and others are served meanwhile.
  rows.push_back({"slowloris (headers one byte per 50 ms)",
                  [=] {
                    return std::string("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ") +
                           std::string(200, 's') + "\r\n\r\n";
                  },
                  {},
                  0,
                  true,
                  true});
  for (auto& r : rows) {
    // Errors found while reading (413, 431, 400) end the connection; so does HTTP/1.0.
    bool reading_error =
        !r.answers.empty() &&
        (r.answers.back() == 413 || r.answers.back() == 431 || r.name == "garbage request line");
    if (reading_error || r.name.rfind("HTTP/1.0", 0) == 0) r.closes = true;
  }
  return rows;
}

}  // namespace

TEST_CASE("Bad input catalogue: each row gets its defined answer and writes nothing",
          "[hardening][bad_input]") {
  webhook_process service(default_webhook_env(), {"--no-media", "--header-timeout-ms", "1000",
                                                  "--request-timeout-ms", "2000"});
  REQUIRE(service.started());
  const std::string count_messages = "SELECT count(*) FROM messages";
  std::int64_t expected_messages = 0;

  for (const auto& row : catalogue()) {
    INFO("row: " << row.name);
    std::string bytes = row.request();
    http_connection conn(service.port());
    // Send from another thread: the server may answer (and stop reading) before all is sent.
    std::atomic<bool> others_served{true};
    std::atomic<bool> sent_all{false};
    std::thread sender([&] {
      if (row.slow) {
        // The trickle lasts far longer than the header deadline: a server that restarted its
        // timer at each byte would let it finish.
        for (char c : bytes)
          if (!conn.send_raw(std::string_view(&c, 1)))
            return;
          else
            std::this_thread::sleep_for(50ms);
        sent_all = true;
      } else {
        conn.send_raw(bytes);
      }
    });
    if (row.slow) {
      // While one connection trickles, the service answers others.
      std::this_thread::sleep_for(200ms);
      others_served = health_status(service.port()) == 200;
    }
    std::vector<int> got;
    std::string bodies;
    for (std::size_t i = 0; i < row.answers.size(); ++i) {
      auto r = conn.read_response(10s);
      got.push_back(r ? r->status : 0);
      if (r) bodies += r->body;
    }
    if (row.closes) CHECK(conn.closed_by_peer(5s));
    sender.join();

    INFO("answered: " << bodies);
    CHECK(got == row.answers);
    CHECK(others_served);
    if (row.slow) CHECK_FALSE(sent_all);  // cut at the header deadline, mid-trickle
    CHECK(health_status(service.port()) == 200);
    expected_messages += row.new_messages;
    CHECK(service.count(count_messages) == expected_messages);
  }
  CHECK(service.count("SELECT count(*) FROM contacts") == 1);
  CHECK(service.proc().running());
}
