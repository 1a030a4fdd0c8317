#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>

#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::forward;
using pons::store::database;
using pons::store::test::temp_dir;
using namespace std::chrono_literals;

namespace {

const pons::store::time_point t0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 14h;

std::int64_t add(database& db, std::string url, std::vector<std::string> types,
                 std::string number = "", bool enabled = true) {
  target_spec spec;
  spec.url = std::move(url);
  spec.event_types = std::move(types);
  spec.phone_number_id = std::move(number);
  spec.enabled = enabled;
  auto r = add_target(db, spec, t0);
  REQUIRE(r.has_value());
  return r->value.id;
}

std::int64_t count(database& db, const char* sql) {
  return db.query_int64(sql).value();
}

}  // namespace

TEST_CASE("forward: the stored envelope has exactly the six fields in order",
          "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  add(*db, "https://all.example.com/", {});

  event e{
      "message.inbound.received", "waba-1", "pn-1", R"({"text":"h\u00e9llo","n":1})", t0, {}, {}};
  auto r = enqueue_event(*db, e, t0);
  REQUIRE(r.has_value());
  CHECK(r->event_id.size() == 36);
  CHECK(r->event_id.rfind("evt_", 0) == 0);
  auto d = get_delivery(*db, list_deliveries(*db, {}).value().front().id);
  REQUIRE(d.has_value());
  const auto& body = d->body;
  CHECK(body.rfind(R"({"id":")" + r->event_id + R"(","type":"message.inbound.received","source":)",
                   0) == 0);
  auto v = boost::json::parse(body).as_object();
  CHECK(v.size() == 6);
  CHECK(v.at("source") == "whatsapp");
  CHECK(v.at("occurredAt") == "2026-11-25T14:00:00.000Z");
  CHECK(v.at("accountId") == "waba-1");
  CHECK(v.at("payload").at("text") == "h\xc3\xa9llo");
  CHECK(v.at("payload").at("n") == 1);
  // The payload is embedded byte for byte (escapes kept), so it is signed as written.
  CHECK(body.find(R"("text":"h\u00e9llo")") != std::string::npos);

  e.payload_json = "{not json";
  CHECK(enqueue_event(*db, e, t0).error() == forward_errc::invalid_value);
}

TEST_CASE("forward: a stable event key is enqueued once", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  add(*db, "https://all.example.com/", {});
  event e{"message.outbound.sent", "waba-1", "pn-1", "{}", t0, "pons-mcp", "sent:42"};
  auto first = enqueue_event(*db, e, t0);
  REQUIRE(first.has_value());
  CHECK(first->deliveries == 1);
  auto again = enqueue_event(*db, e, t0);
  REQUIRE(again.has_value());
  CHECK(again->deliveries == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM webhook_deliveries") == 1);
  CHECK(boost::json::parse(get_delivery(*db, 1)->body).at("source") == "pons-mcp");
}

TEST_CASE("forward: enqueue writes one delivery per matching target", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());

  const auto all = add(*db, "https://all.example.com/", {});
  const auto inbound_only = add(*db, "https://in.example.com/", {"message.inbound.received"});
  const auto other_number = add(*db, "https://n2.example.com/", {}, "pn-2");
  const auto same_number = add(*db, "https://n1.example.com/", {}, "pn-1");
  add(*db, "https://off.example.com/", {}, "", false);

  auto tx = pons::store::transaction::begin(*db);
  REQUIRE(tx.has_value());
  auto r =
      enqueue_event(*db, event{"message.status.updated", "waba", "pn-1", "{}", t0, {}, {}}, t0);
  REQUIRE(r.has_value());
  REQUIRE(tx->commit().has_value());
  CHECK(r->deliveries == 2);
  CHECK(r->event_id.rfind("evt_", 0) == 0);

  auto rows = list_deliveries(*db, {});
  REQUIRE(rows.has_value());
  std::set<std::int64_t> targets;
  for (const auto& d : *rows) {
    targets.insert(d.target_id);
    CHECK(d.state == "pending");
    CHECK(d.attempts == 0);
    CHECK(d.event_id == r->event_id);
    CHECK(d.event_type == "message.status.updated");
  }
  CHECK(targets == std::set<std::int64_t>{all, same_number});
  (void)inbound_only;
  (void)other_number;

  auto in =
      enqueue_event(*db, event{"message.inbound.received", "waba", "pn-9", "{}", t0, {}, {}}, t0);
  REQUIRE(in.has_value());
  CHECK(in->deliveries == 2);  // all + inbound_only
}

TEST_CASE("forward: nothing is written when no target subscribes", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  add(*db, "https://in.example.com/", {"message.inbound.received"});

  auto r = enqueue_event(*db, "message.outbound.sent", "waba", "pn-1", "{}", t0);
  REQUIRE(r.has_value());
  CHECK(r->deliveries == 0);
  CHECK(r->event_id.empty());
  CHECK(count(*db, "SELECT COUNT(*) FROM webhook_events") == 0);

  CHECK(enqueue_event(*db, "message.unknown", "waba", "pn-1", "{}", t0).error() ==
        forward_errc::unknown_event_type);
}

TEST_CASE("forward: a rolled back transaction leaves no outbox rows", "[forward][backends]") {
  temp_dir dir;
  auto db = database::open(pons::store::test::test_database_location(dir));
  REQUIRE(db.has_value());
  add(*db, "https://all.example.com/", {});
  {
    auto tx = pons::store::transaction::begin(*db);
    REQUIRE(tx.has_value());
    auto r = enqueue_event(*db, "message.outbound.failed", "waba", "pn-1", R"({"x":1})", t0);
    REQUIRE(r.has_value());
    CHECK(r->deliveries == 1);
  }
  CHECK(count(*db, "SELECT COUNT(*) FROM webhook_events") == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM webhook_deliveries") == 0);
}
