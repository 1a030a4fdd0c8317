#include <catch2/catch.hpp>

#include "pons/meta/outbound_pacing.hpp"
#include "pons/outbound/sender.hpp"

using namespace pons::meta;
using namespace pons::outbound;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

TEST_CASE("a token bucket allows its burst, then paces at its rate", "[graph][pacing]") {
  auto t0 = steady::time_point{} + 1h;
  token_bucket bucket(2.0, 3, t0);  // 2/s, burst 3
  CHECK(bucket.reserve(t0) == 0ms);
  CHECK(bucket.reserve(t0) == 0ms);
  CHECK(bucket.reserve(t0) == 0ms);
  CHECK(bucket.reserve(t0) == 500ms);   // queued behind the burst
  CHECK(bucket.reserve(t0) == 1000ms);  // and the next one further
  // After 1 s two tokens came back: the queue is drained, nothing is free yet.
  CHECK(bucket.reserve(t0 + 1000ms) == 500ms);
  bucket.release();
  CHECK(bucket.reserve(t0 + 1000ms) == 500ms);
  CHECK_FALSE(bucket.idle(t0 + 1000ms));
  CHECK(bucket.idle(t0 + 10s));
}

TEST_CASE("the pacer applies Meta's pair rate per recipient", "[graph][pacing]") {
  pacing_config config;  // 1 per 6 s per recipient with bursts of 45
  send_pacer pacer(config);
  auto t0 = steady::time_point{} + 1h;
  for (int i = 0; i < 45; ++i) CHECK(pacer.reserve("n1", "alice", t0) == 0ms);
  auto wait = pacer.reserve("n1", "alice", t0);
  CHECK(wait > 5900ms);
  CHECK(wait <= 6000ms);
  // Another recipient is not held back by alice's queue...
  CHECK(pacer.reserve("n1", "bob", t0) == 0ms);
  // ...and the same recipient from another number has its own pair budget.
  CHECK(pacer.reserve("n2", "alice", t0) == 0ms);
  // A released reservation gives its slot back.
  pacer.release("n1", "alice");
  CHECK(pacer.reserve("n1", "alice", t0) == wait);
}

TEST_CASE("idle recipients are forgotten beyond the tracking bound", "[graph][pacing]") {
  pacing_config config;
  config.max_tracked_recipients = 4;
  config.recipient_burst = 1;
  send_pacer pacer(config);
  auto t0 = steady::time_point{} + 1h;
  for (int i = 0; i < 4; ++i) pacer.reserve("n", "r" + std::to_string(i), t0);
  // Long after, the old buckets are full again and get dropped: r0 starts fresh.
  auto later = t0 + 1h;
  CHECK(pacer.reserve("n", "r9", later) == 0ms);
  CHECK(pacer.reserve("n", "r0", later) == 0ms);
}

TEST_CASE("the window-closed explanation names the approved templates", "[graph][outbound]") {
  pons::store::template_record a;
  a.name = "hello_world";
  a.language = "en_US";
  a.category = "UTILITY";
  auto text = window_closed_explanation({a}, "2026-11-24T10:00:00.000Z");
  CHECK(text.find("hello_world (en_US, UTILITY)") != std::string::npos);
  CHECK(text.find("2026-11-24T10:00:00.000Z") != std::string::npos);
  CHECK(text.find("send_template") != std::string::npos);
  auto none = window_closed_explanation({}, "");
  CHECK(none.find("never written") != std::string::npos);
  // The advice names what exists: the sync_templates tool and list_templates.
  CHECK(none.find("No approved template") != std::string::npos);
  CHECK(none.find("call sync_templates") != std::string::npos);
  CHECK(none.find("list_templates") != std::string::npos);
  CHECK(none.find("and sync templates") == std::string::npos);
}

TEST_CASE("the window-closed explanation says each thing once", "[graph][outbound]") {
  pons::store::template_record a;
  a.name = "hello_world";
  a.language = "en_US";
  a.category = "UTILITY";
  pons::store::template_record b = a;
  b.name = "order_update";
  CHECK(window_closed_explanation({a, b}, "2026-11-24T10:00:00.000Z") ==
        "Not sent: the 24-hour customer service window is closed (it closed at "
        "2026-11-24T10:00:00.000Z). Outside the window only an approved template can be sent, "
        "with send_template. Approved templates: hello_world (en_US, UTILITY); order_update "
        "(en_US, UTILITY).");
  CHECK(window_closed_explanation({}, "") ==
        "Not sent: the 24-hour customer service window is closed (the contact has never written "
        "to this number). Outside the window only an approved template can be sent, with "
        "send_template. No approved template of this account is stored here: call "
        "sync_templates to fetch the account's templates from Meta (list_templates shows them "
        "and when they were last synced). If Meta has none approved either, the user must "
        "create one in WhatsApp Manager and wait for Meta's approval.");
}
