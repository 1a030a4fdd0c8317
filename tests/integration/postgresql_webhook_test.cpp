// pons-webhook and pons-mcp on PostgreSQL: the real programs, a throwaway PostgreSQL 15 cluster
// started by the test (a unix socket in a temporary folder), signed webhooks over loopback HTTP.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/pg_cluster.hpp"
#include "support/webhook_payloads.hpp"
#include "support/webhook_process.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

namespace {

// The cluster trusts local connections, so the password is never asked for: it is there to be
// kept out of every log line and answer.
const std::string password = "pg-Secret-7731";

std::string url_with_password(const pg_cluster& cluster) {
  std::string url = cluster.url();
  return url.replace(url.find("pons@"), 5, "pons:" + password + "@");
}

// Two pons-webhook instances on one throwaway cluster, both listening.
struct two_instances {
  pg_cluster cluster;
  webhook_process a{default_webhook_env(), {}, std::nullopt, cluster.url()};
  webhook_process b{default_webhook_env(), {}, std::nullopt, cluster.url()};

  two_instances() {
    INFO("a: " << a.log() << "\nb: " << b.log());
    REQUIRE(a.started());
    REQUIRE(b.started());
  }
};

// The libraries a running process has mapped (/proc/PID/maps).
std::string mapped_files(pid_t pid) {
  return read_text_file("/proc/" + std::to_string(pid) + "/maps");
}

}  // namespace

TEST_CASE("pons-webhook on SQLite never loads libpq", "[webhook][process]") {
  webhook_process w;
  INFO("stderr: " << w.log());
  REQUIRE(w.started());
  auto stored = w.post(simple_payload(default_phone_number_id,
                                      {text_message_json("wamid.SQ1", "447700900123", "hello")}));
  REQUIRE(stored);
  CHECK(stored->status == 200);
  const std::string maps = mapped_files(w.proc().pid());
  REQUIRE(maps.find("libsqlite3") != std::string::npos);
  CHECK(maps.find("libpq") == std::string::npos);
}

TEST_CASE("pons-webhook on PostgreSQL stores a signed webhook once and never shows the password",
          "[pg][webhook][process]") {
  REQUIRE(pg_cluster_available());
  pg_cluster cluster;
  const std::string url = url_with_password(cluster);
  webhook_process w(default_webhook_env(), {}, std::nullopt, url);
  INFO("stderr: " << w.log());
  REQUIRE(w.started());

  const std::string body = simple_payload(
      default_phone_number_id, {text_message_json("wamid.PG1", "447700900123", "hello postgres")});
  auto first = w.post(body);
  REQUIRE(first);
  CHECK(first->status == 200);
  // Meta retries: the same webhook again is acknowledged and stored once.
  auto again = w.post(body);
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(w.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.PG1'") == 1);
  CHECK(w.count("SELECT count(*) FROM messages WHERE text = 'hello postgres'") == 1);
  // A forged signature is refused and stores nothing.
  auto forged = w.post(simple_payload(default_phone_number_id,
                                      {text_message_json("wamid.PG2", "447700900123", "x")}),
                       std::string("wrong-secret"));
  REQUIRE(forged);
  CHECK(forged->status == 404);  // as on SQLite: nothing here for an unsigned caller
  CHECK(w.count("SELECT count(*) FROM messages WHERE wamid = 'wamid.PG2'") == 0);

  auto health = w.get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body.find(password) == std::string::npos);
  CHECK(w.log().find(password) == std::string::npos);
  // libpq is loaded for a PostgreSQL database (and only then: the test above).
  CHECK(mapped_files(w.proc().pid()).find("libpq.so.5") != std::string::npos);
  // Media go to the data folder ($HOME's here), not beside a database file.
  CHECK(std::filesystem::is_directory(w.dir().file(".local/share/pons")));
}

TEST_CASE("pons-webhook on PostgreSQL serving MCP keeps its folders in the data folder",
          "[pg][webhook][mcp][process]") {
  REQUIRE(pg_cluster_available());
  pg_cluster cluster;
  const std::string url = url_with_password(cluster);
  const std::filesystem::path cwd = std::filesystem::current_path();
  webhook_process w(default_webhook_env(), {"--mcp"}, std::nullopt, url);
  INFO("stderr: " << w.log());
  REQUIRE(w.started());
  // The tools' outbox (and their media) sit in the data folder the webhook stores media in, and
  // no folder is named after the connection string, password and all.
  CHECK(std::filesystem::is_directory(w.dir().file(".local/share/pons/outbox")));
  CHECK_FALSE(std::filesystem::exists(cwd / "postgresql:"));
  CHECK(w.log().find(password) == std::string::npos);
}

TEST_CASE("pons-mcp starts and stops on PostgreSQL, and logs the URL without the password",
          "[pg][mcp][process]") {
  REQUIRE(pg_cluster_available());
  pg_cluster cluster;
  temp_dir dir;
  const std::string err = dir.file("stderr.log");
  // Standard input is /dev/null: end of input at once, so it starts and stops.
  auto p = process::start(PONS_MCP_BIN, {"--db", url_with_password(cluster)},
                          {"HOME=" + dir.path(), "WA_PHONE_NUMBER_ID=106540352242922",
                           "WA_ACCESS_TOKEN=test-access-token", "WA_WABA_ID=102290129340398"},
                          {}, err);
  auto code = p.wait_exit(30s);
  const std::string log = read_text_file(err);
  INFO("stderr: " << log);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(log.find("password=****") != std::string::npos);
  CHECK(log.find(password) == std::string::npos);
  // It recorded its configured number in the shared database.
  auto db = pons::store::database::open(cluster.url()).value();
  CHECK(db.query_int64("SELECT count(*) FROM phone_numbers WHERE phone_number_id = "
                       "'106540352242922'")
            .value() == 1);
}

TEST_CASE("two pons-webhook instances on one PostgreSQL store a webhook both received once",
          "[pg][webhook][process]") {
  REQUIRE(pg_cluster_available());
  two_instances both;
  auto& [cluster, a, b] = both;
  // Meta delivers again when an answer is late: each webhook reaches both instances at once.
  constexpr int webhooks = 40;
  std::vector<std::string> bodies;
  for (int i = 0; i < webhooks; ++i) {
    bodies.push_back(simple_payload(
        default_phone_number_id,
        {text_message_json("wamid.TWICE" + std::to_string(i), "4477009002" + std::to_string(i % 7),
                           "message " + std::to_string(i))}));
  }
  auto post_all = [&bodies](webhook_process& w) {
    int ok = 0;
    for (const auto& body : bodies) {
      auto r = w.post(body);
      if (r && r->status == 200) ++ok;
    }
    return ok;
  };
  auto from_a = std::async(std::launch::async, [&] { return post_all(a); });
  auto from_b = std::async(std::launch::async, [&] { return post_all(b); });
  const int acknowledged_a = from_a.get();
  const int acknowledged_b = from_b.get();
  // Every delivery was acknowledged (the second of a pair as a duplicate), and each message,
  // contact and conversation is there once.
  CHECK(acknowledged_a == webhooks);
  CHECK(acknowledged_b == webhooks);
  CHECK(a.count("SELECT count(*) FROM messages") == webhooks);
  CHECK(a.count("SELECT count(DISTINCT wamid) FROM messages") == webhooks);
  // The 7 senders, once each, whichever instance saw them first (the payload's contacts[]
  // names one more person).
  CHECK(a.count("SELECT count(*) - count(DISTINCT wa_id) FROM contacts") == 0);
  CHECK(a.count("SELECT count(*) FROM contacts WHERE wa_id LIKE '4477009002_'") == 7);
  CHECK(a.count("SELECT count(*) FROM conversations c JOIN contacts p ON p.id = c.contact_id "
                "WHERE p.wa_id LIKE '4477009002_'") == 7);
}

TEST_CASE("two pons-webhook instances racing over new contacts in groups answer every delivery 200",
          "[pg][webhook][process]") {
  REQUIRE(pg_cluster_available());
  two_instances both;
  auto& [cluster, a, b] = both;
  // Every webhook comes from a sender nobody has seen, and reaches both instances, each from
  // four senders at once: their writers commit groups of several requests that insert the same
  // new contacts and messages at the same moment.
  constexpr int webhooks = 160;
  constexpr int posters = 4;
  std::vector<std::string> bodies;
  for (int i = 0; i < webhooks; ++i) {
    bodies.push_back(simple_payload(
        default_phone_number_id,
        {text_message_json("wamid.RACE" + std::to_string(i), "4477009004" + std::to_string(i),
                           "message " + std::to_string(i))}));
  }
  std::atomic<int> refused{0};
  auto poster = [&](webhook_process& w, int first) {
    for (int i = first; i < webhooks; i += posters) {
      auto r = w.post(bodies[static_cast<std::size_t>(i)]);
      if (!r || r->status != 200) ++refused;
    }
  };
  std::vector<std::thread> threads;
  for (int p = 0; p < posters; ++p) {
    threads.emplace_back(poster, std::ref(a), p);
    threads.emplace_back(poster, std::ref(b), p);
  }
  for (auto& t : threads) t.join();
  INFO("server log: " << cluster.log() << "\na now: " << a.log() << "\nb now: " << b.log());
  CHECK(refused == 0);
  CHECK(a.count("SELECT count(*) FROM messages WHERE wamid LIKE 'wamid.RACE%'") == webhooks);
  CHECK(a.count("SELECT count(*) FROM contacts WHERE wa_id LIKE '4477009004%'") == webhooks);
  CHECK(a.count("SELECT count(*) FROM conversations c JOIN contacts p ON p.id = c.contact_id "
                "WHERE p.wa_id LIKE '4477009004%'") == webhooks);
}
