#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <string>
#include <string_view>

#include "pons/store/account_repository.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/store/media_repository.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/status_repository.hpp"
#include "pons/store/template_repository.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using pons::store::test::at;
using pons::store::test::temp_dir;
namespace domain = pons::domain;

namespace {

struct fixture : pons::store::test::database_fixture {
  fixture() {
    phone_number_record p;
    p.phone_number_id = "PN1";
    p.display_phone_number = "15550001111";
    p.is_default = true;
    REQUIRE(upsert_phone_number(db, "WABA1", p, now).has_value());
  }

  std::int64_t account() { return find_phone_number(db, "PN1").value()->account_id; }

  // Sends an outbound text through the pending -> sent flow.
  std::int64_t send(const std::string& to, const std::string& text, const std::string& wamid) {
    outbound_message m;
    m.phone_number_id = "PN1";
    m.to.wa_id = to;
    m.type = "text";
    m.text = text;
    auto ins = insert_outbound_pending(db, m, now);
    REQUIRE(ins.has_value());
    if (!wamid.empty()) REQUIRE(mark_outbound_sent(db, ins->position.id, wamid, now).has_value());
    return ins->position.id;
  }

  domain::status_update status(const std::string& wamid, const std::string& s) {
    domain::status_update u;
    u.phone_number_id = "PN1";
    u.waba_id = "WABA1";
    u.wamid = wamid;
    u.status = s;
    u.recipient_id = "447700900123";
    return u;
  }
};

}  // namespace

TEST_CASE("store: accounts and phone numbers upsert without losing fields", "[store][backends]") {
  fixture f;
  account_record a;
  a.waba_id = "WABA1";
  a.name = "Shop";
  a.app_secret_ref = "WA_APP_SECRET";
  REQUIRE(upsert_account(f.db, a, f.now).has_value());
  account_record rename;
  rename.waba_id = "WABA1";  // empty fields must not erase the name or refs
  REQUIRE(upsert_account(f.db, rename, f.now).has_value());
  auto accounts = list_accounts(f.db).value();
  REQUIRE(accounts.size() == 1);
  CHECK(accounts[0].name == "Shop");
  CHECK(accounts[0].app_secret_ref == "WA_APP_SECRET");

  REQUIRE(ensure_phone_number(f.db, "WABA2", "PN2", "", f.now).has_value());
  REQUIRE(ensure_phone_number(f.db, "WABA2", "PN2", "15550002222", f.now).has_value());
  auto numbers = list_phone_numbers(f.db).value();
  REQUIRE(numbers.size() == 2);
  CHECK(numbers[0].phone_number_id == "PN1");  // default first
  CHECK(numbers[1].display_phone_number == "15550002222");
  CHECK(numbers[1].waba_id == "WABA2");
  CHECK_FALSE(find_phone_number(f.db, "nope").value().has_value());
}

TEST_CASE("store: configured accounts are recorded with their numbers, never their secrets",
          "[store][backends]") {
  fixture f;  // PN1 of WABA1, the default sender
  std::vector<configured_account> configured{
      {"WABA1", "WA_APP_SECRET", "WA_ACCESS_TOKEN", "", {{"PN1", ""}, {"PN3", "15550003333"}}},
      {"WABA2", "", "/etc/pons.json#access_token", "", {{"PN2", ""}}},
      {"", "WA_APP_SECRET", "", "", {{"PN9", ""}}}};  // no WABA id: named by its first webhook
  REQUIRE(record_configured_accounts(f.db, configured, f.now).has_value());
  auto accounts = list_accounts(f.db).value();
  REQUIRE(accounts.size() == 2);
  CHECK(accounts[0].access_token_ref == "WA_ACCESS_TOKEN");
  CHECK(accounts[1].access_token_ref == "/etc/pons.json#access_token");
  CHECK(accounts[1].app_secret_ref.empty());
  auto numbers = list_phone_numbers(f.db).value();
  REQUIRE(numbers.size() == 3);
  CHECK(numbers[0].phone_number_id == "PN1");
  CHECK(numbers[0].is_default);  // kept
  CHECK(find_phone_number(f.db, "PN3").value()->display_phone_number == "15550003333");
  CHECK(find_phone_number(f.db, "PN2").value()->waba_id == "WABA2");
  CHECK_FALSE(find_phone_number(f.db, "PN9").value().has_value());
  // Recording again (the other binary starting) changes nothing.
  REQUIRE(record_configured_accounts(f.db, configured, f.now).has_value());
  CHECK(list_phone_numbers(f.db).value().size() == 3);
}

TEST_CASE("store: contacts by wa_id or user_id merge and are searchable", "[store][backends]") {
  fixture f;
  const auto acct = f.account();
  auto alice = upsert_contact(f.db, acct, {"447700900123", "", "", "Alice", ""}, f.now).value();
  // A later payload adds the business-scoped user id and a username to the same person.
  auto again =
      upsert_contact(f.db, acct, {"447700900123", "US.123", "alice_w", "", ""}, f.now).value();
  CHECK(again.id == alice.id);
  CHECK(again.user_id == "US.123");
  CHECK(again.profile_name == "Alice");  // not erased by an empty name
  // A username user without a phone number.
  auto bob = upsert_contact(f.db, acct, {"", "US.456", "bobby", "Bob", ""}, f.now).value();
  CHECK(bob.id != alice.id);
  CHECK(upsert_contact(f.db, acct, {"", "US.456", "", "Bob B", ""}, f.now).value().id == bob.id);
  // Neither id: refused.
  auto none = upsert_contact(f.db, acct, {"", "", "x", "y", ""}, f.now);
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error() == store_errc::invalid_argument);

  CHECK(find_contacts(f.db, "+447700900123").value().at(0).id == alice.id);
  CHECK(find_contacts(f.db, "US.456").value().at(0).id == bob.id);
  CHECK(find_contacts(f.db, "bobby").value().at(0).id == bob.id);
  CHECK(find_contacts(f.db, "000").value().empty());
  auto by_name = search_contacts(f.db, "ali").value();
  REQUIRE(by_name.size() == 1);
  CHECK(by_name[0].id == alice.id);
  CHECK(search_contacts(f.db, "+44 7700").value().at(0).id == alice.id);
  CHECK(search_contacts(f.db, "bob").value().at(0).profile_name == "Bob B");
  CHECK(search_contacts(f.db, "%").value().empty());  // LIKE wildcards are literal
}

TEST_CASE("store: upserting a contact says whether it found, created or merged it",
          "[store][backends]") {
  fixture f;
  const auto acct = f.account();
  auto outcome = contact_upsert::found;
  auto alice =
      upsert_contact(f.db, acct, {"447700900123", "", "", "Alice", ""}, f.now, &outcome).value();
  CHECK(outcome == contact_upsert::created);
  upsert_contact(f.db, acct, {"447700900123", "", "", "Alice W", ""}, f.now, &outcome).value();
  CHECK(outcome == contact_upsert::found);
  // A BSUID-only contact, then a payload naming both ids: one person.
  upsert_contact(f.db, acct, {"", "US.9", "", "", ""}, f.now, &outcome).value();
  CHECK(outcome == contact_upsert::created);
  auto both =
      upsert_contact(f.db, acct, {"447700900123", "US.9", "", "", ""}, f.now, &outcome).value();
  CHECK(outcome == contact_upsert::merged);
  CHECK(both.id == alice.id);
}

TEST_CASE("store: a conversation inserted without a lookup is refused when it exists",
          "[store][backends]") {
  fixture f;
  auto c = upsert_contact(f.db, f.account(), {"447700900123", "", "", "Alice", ""}, f.now).value();
  auto id = insert_conversation(f.db, "PN1", c.id, f.now).value();
  CHECK(upsert_conversation(f.db, "PN1", c.id, f.now).value() == id);
  auto again = insert_conversation(f.db, "PN1", c.id, f.now);
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error() == store_errc::constraint);
}

TEST_CASE("store: an inbound message stored once by its wamid writes nothing the second time",
          "[store][backends]") {
  fixture f;
  auto c = upsert_contact(f.db, f.account(), {"447700900123", "", "", "Alice", ""}, f.now).value();
  auto conv = upsert_conversation(f.db, "PN1", c.id, f.now).value();
  domain::inbound_message m;
  m.phone_number_id = "PN1";
  m.wamid = "wamid.ONCE";
  m.type = "text";
  m.text = "first delivery";
  auto first = insert_inbound_message_once(f.db, m, c.id, conv, f.now).value();
  REQUIRE(first.has_value());
  m.text = "second delivery";
  auto second =
      insert_inbound_message_once(f.db, m, c.id, conv, f.now + std::chrono::seconds(1)).value();
  CHECK_FALSE(second.has_value());
  auto stored = find_message_by_wamid(f.db, "wamid.ONCE").value();
  REQUIRE(stored.has_value());
  CHECK(stored->id == first->id);
  CHECK(stored->text == "first delivery");
  CHECK(f.db.query_int64("SELECT count(*) FROM messages").value() == 1);
  // Without a wamid there is nothing to tell a redelivery by.
  m.wamid.clear();
  CHECK(insert_inbound_message_once(f.db, m, c.id, conv, f.now).error() ==
        store_errc::invalid_argument);
}

TEST_CASE("store: conversations track window, unread count and answers", "[store][backends]") {
  fixture f;
  auto c = upsert_contact(f.db, f.account(), {"447700900123", "", "", "Alice", ""}, f.now).value();
  auto id = upsert_conversation(f.db, "PN1", c.id, f.now).value();
  CHECK(upsert_conversation(f.db, "PN1", c.id, f.now).value() == id);

  REQUIRE(record_inbound(f.db, id, "2026-11-25T14:00:00.000Z", window_expiry_for(1700000000), "hi")
              .has_value());
  // An older message delivered late does not shorten the window.
  REQUIRE(
      record_inbound(f.db, id, "2026-11-25T14:00:01.000Z", window_expiry_for(1690000000), "older")
          .has_value());
  auto conv = get_conversation(f.db, id).value().value();
  CHECK(conv.unread_count == 2);
  CHECK(conv.window_expires_at == "2023-11-15T22:13:20.000Z");
  CHECK(conv.last_direction == "inbound");
  CHECK(conv.contact_profile_name == "Alice");

  conversation_filter unanswered;
  unanswered.unanswered_only = true;
  CHECK(list_conversations(f.db, unanswered).value().size() == 1);
  REQUIRE(record_outbound(f.db, id, "2026-11-25T14:00:02.000Z", "hello back").has_value());
  CHECK(list_conversations(f.db, unanswered).value().empty());
  conversation_filter unread;
  unread.unread_only = true;
  CHECK(list_conversations(f.db, unread).value().size() == 1);
  REQUIRE(mark_conversation_read(f.db, id).has_value());
  CHECK(list_conversations(f.db, unread).value().empty());
  conv = get_conversation(f.db, id).value().value();
  CHECK(conv.preview == "hello back");
  CHECK(conv.unread_count == 0);
  CHECK(mark_conversation_read(f.db, 999).error() == store_errc::not_found);
}

TEST_CASE("store: outbound pending -> sent, idempotency key returns the first message",
          "[store][backends]") {
  fixture f;
  outbound_message m;
  m.phone_number_id = "PN1";
  m.to.wa_id = "447700900123";
  m.type = "text";
  m.text = "Your order shipped";
  m.idempotency_key = "client-1";
  auto first = insert_outbound_pending(f.db, m, f.now).value();
  CHECK(first.created);
  auto second = insert_outbound_pending(f.db, m, f.now).value();
  CHECK_FALSE(second.created);
  CHECK(second.position.id == first.position.id);
  REQUIRE(second.existing.has_value());
  CHECK(second.existing->status == "pending");
  CHECK(f.db.query_int64("SELECT count(*) FROM messages").value() == 1);

  REQUIRE(mark_outbound_sent(f.db, first.position.id, "wamid.OUT1", f.now).has_value());
  auto sent = find_message_by_wamid(f.db, "wamid.OUT1").value().value();
  CHECK(sent.status == "sent");
  CHECK(sent.direction == "outbound");
  CHECK(sent.contact_wa_id == "447700900123");
  auto conv = get_conversation(f.db, sent.conversation_id).value().value();
  CHECK(conv.preview == "Your order shipped");
  CHECK(conv.unread_count == 0);

  auto other = f.send("447700900123", "second", "");
  domain::meta_error_detail err{131047, "Re-engagement message", "", "window closed", ""};
  REQUIRE(mark_outbound_failed(f.db, other, err, f.now).has_value());
  auto failed = get_message(f.db, other).value().value();
  CHECK(failed.status == "failed");
  CHECK(failed.error_code == 131047);
  CHECK(failed.error_details == "window closed");
}

TEST_CASE("store: statuses never move backwards and every one is recorded", "[store][backends]") {
  fixture f;
  const auto id = f.send("447700900123", "hello", "wamid.A");
  auto apply = [&](const char* s) {
    return apply_status(f.db, f.status("wamid.A", s), f.now).value();
  };

  CHECK(apply("read").applied);  // read before delivered
  auto late = apply("delivered");
  CHECK_FALSE(late.applied);
  CHECK(late.current_status == "read");
  auto failed = apply("failed");  // failed cannot override a status proving delivery
  CHECK_FALSE(failed.applied);
  CHECK(apply("played").applied);
  CHECK_FALSE(apply("sent").applied);
  CHECK(get_message(f.db, id).value()->status == "played");

  auto events = list_status_events(f.db, "wamid.A").value();
  REQUIRE(events.size() == 5);
  CHECK(events[0].status == "read");
  CHECK(events[0].applied);
  CHECK_FALSE(events[1].applied);
  CHECK(events[1].message_id == id);

  // failed beats sent and keeps its error.
  const auto id2 = f.send("447700900123", "hello again", "wamid.B");
  auto fs = f.status("wamid.B", "failed");
  fs.errors.push_back({131026, "Message undeliverable", "", "receiver incapable", ""});
  CHECK(apply_status(f.db, fs, f.now).value().applied);
  auto m2 = get_message(f.db, id2).value().value();
  CHECK(m2.status == "failed");
  CHECK(m2.error_code == 131026);
  CHECK(m2.error_title == "Message undeliverable");
  // An unknown status string is recorded but changes nothing.
  CHECK_FALSE(apply_status(f.db, f.status("wamid.B", "deleted"), f.now).value().applied);
  CHECK(list_status_events(f.db, "wamid.B").value().size() == 2);
}

TEST_CASE("store: a status arriving before its message applies when the wamid appears",
          "[store][backends]") {
  fixture f;
  // Meta's webhook beats the send API's response: delivered, then read, for an unknown wamid.
  auto d = apply_status(f.db, f.status("wamid.EARLY", "delivered"), f.now).value();
  CHECK_FALSE(d.known_message);
  CHECK_FALSE(d.applied);
  apply_status(f.db, f.status("wamid.EARLY", "read"), f.now).value();
  CHECK(f.db.query_int64("SELECT count(*) FROM messages").value() == 0);  // no placeholder row

  const auto id = f.send("447700900123", "hi", "wamid.EARLY");
  auto m = get_message(f.db, id).value().value();
  CHECK(m.status == "read");
  auto events = list_status_events(f.db, "wamid.EARLY").value();
  REQUIRE(events.size() == 2);
  CHECK(events[0].message_id == id);
  CHECK(events[0].applied);
  CHECK(events[1].applied);
  // Later statuses behave normally.
  CHECK_FALSE(apply_status(f.db, f.status("wamid.EARLY", "delivered"), f.now).value().applied);
}

TEST_CASE("store: paging by (created_at, id) is stable and filterable", "[store][backends]") {
  fixture f;
  auto acct = f.account();
  auto alice = upsert_contact(f.db, acct, {"447700900123", "", "", "Alice", ""}, f.now).value();
  auto bob = upsert_contact(f.db, acct, {"447700900456", "", "", "Bob", ""}, f.now).value();
  auto conv_a = upsert_conversation(f.db, "PN1", alice.id, f.now).value();
  auto conv_b = upsert_conversation(f.db, "PN1", bob.id, f.now).value();
  std::set<std::int64_t> inserted;
  for (int i = 0; i < 25; ++i) {
    domain::inbound_message m;
    m.phone_number_id = "PN1";
    m.wamid = "wamid.IN" + std::to_string(i);
    m.type = "text";
    m.text = "message " + std::to_string(i);
    m.timestamp_unix = 1700000000 + i;
    const bool to_alice = i % 2 == 0;
    // Several rows share a millisecond, and one comes with a clock that went backwards.
    const auto when =
        f.now + std::chrono::milliseconds(i / 3) - std::chrono::seconds(i == 10 ? 5 : 0);
    auto pos = insert_inbound_message(f.db, m, to_alice ? alice.id : bob.id,
                                      to_alice ? conv_a : conv_b, when)
                   .value();
    inserted.insert(pos.id);
  }
  f.send("447700900123", "outbound one", "wamid.O1");

  message_query q;
  q.limit = 7;
  std::vector<message_record> seen;
  std::string last_created;
  for (;;) {
    auto page = page_messages(f.db, q).value();
    for (auto& m : page.messages) {
      CHECK(m.created_at >= last_created);  // created_at never goes backwards along the cursor
      last_created = m.created_at;
      seen.push_back(m);
    }
    if (!page.has_more) break;
    q.after_created_at = page.next.created_at;
    q.after_id = page.next.id;
  }
  REQUIRE(seen.size() == 26);
  for (std::size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].id > seen[i - 1].id);

  message_query inbound_alice;
  inbound_alice.direction = domain::direction::inbound;
  inbound_alice.contact_id = alice.id;
  inbound_alice.limit = 100;
  auto page = page_messages(f.db, inbound_alice).value();
  CHECK(page.messages.size() == 13);
  for (auto& m : page.messages) CHECK(m.contact_wa_id == "447700900123");

  message_query newest;
  newest.newest_first = true;
  newest.limit = 3;
  auto top = page_messages(f.db, newest).value();
  REQUIRE(top.messages.size() == 3);
  CHECK(top.messages[0].text == "outbound one");
  CHECK(top.has_more);
}

TEST_CASE("store: full-text search finds text, captions and file names with context",
          "[store][backends]") {
  fixture f;
  auto alice =
      upsert_contact(f.db, f.account(), {"447700900123", "", "", "Alice", ""}, f.now).value();
  auto conv = upsert_conversation(f.db, "PN1", alice.id, f.now).value();
  const char* texts[] = {"good morning", "where is my parcel?", "it left the depot", "thanks a lot",
                         "Café opening hours"};
  for (int i = 0; i < 5; ++i) {
    domain::inbound_message m;
    m.phone_number_id = "PN1";
    m.wamid = "wamid.S" + std::to_string(i);
    m.type = "text";
    m.text = texts[i];
    insert_inbound_message(f.db, m, alice.id, conv, f.now).value();
  }
  domain::inbound_message doc;
  doc.phone_number_id = "PN1";
  doc.wamid = "wamid.DOC";
  doc.type = "document";
  doc.media = domain::media_ref{
      "MEDIA1", "application/pdf", "abc", "", "invoice-2026.pdf", "", false, false};
  insert_inbound_message(f.db, doc, alice.id, conv, f.now).value();

  search_query q;
  q.text = "parcel";
  q.context = 1;
  auto hits = search_messages(f.db, q).value();
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].message.wamid == "wamid.S1");
  CHECK(hits[0].snippet.find("[parcel]") != std::string::npos);
  REQUIRE(hits[0].before.size() == 1);
  CHECK(hits[0].before[0].text == "good morning");
  REQUIRE(hits[0].after.size() == 1);
  CHECK(hits[0].after[0].text == "it left the depot");

  q.text = "invoice";
  CHECK(search_messages(f.db, q).value().at(0).message.wamid == "wamid.DOC");
  q.text = "cafe";  // diacritics folded
  CHECK(search_messages(f.db, q).value().size() == 1);
  q.text = "\"unbalanced AND (";  // FTS syntax in user text is harmless
  CHECK(search_messages(f.db, q).has_value());
  q.text = "i";  // is, it, invoice: three messages, newest first by default
  q.context = 0;
  auto newest = search_messages(f.db, q).value();
  REQUIRE(newest.size() >= 3);
  for (std::size_t i = 1; i < newest.size(); ++i)
    CHECK(newest[i].message.id < newest[i - 1].message.id);
  q.best_first = true;
  CHECK(search_messages(f.db, q).value().size() == newest.size());
  q.text = "nothing-like-this";
  CHECK(search_messages(f.db, q).value().empty());
}

TEST_CASE("store: media jobs are claimed, retried with backoff and finished", "[store][backends]") {
  fixture f;
  domain::media_ref ref{"MEDIA9", "image/jpeg", "sha-from-meta", "", "", "", false, false};
  auto id = enqueue_media(f.db, std::nullopt, "PN1", ref, f.now).value();
  CHECK(enqueue_media(f.db, std::nullopt, "PN1", ref, f.now).value() == id);

  auto job = claim_next_media_job(f.db, f.now).value();
  REQUIRE(job.has_value());
  CHECK(job->state == "downloading");
  CHECK(job->attempts == 1);
  CHECK_FALSE(claim_next_media_job(f.db, f.now).value().has_value());  // leased

  REQUIRE(mark_media_failed(f.db, id, "HTTP 500", f.now, 3, std::chrono::seconds(10)).has_value());
  auto after_fail = find_media(f.db, "MEDIA9").value().value();
  CHECK(after_fail.state == "queued");
  CHECK(after_fail.next_attempt_at == "2026-11-25T14:00:10.000Z");
  CHECK_FALSE(claim_next_media_job(f.db, f.now + std::chrono::seconds(9)).value().has_value());
  REQUIRE(claim_next_media_job(f.db, f.now + std::chrono::seconds(10)).value().has_value());
  REQUIRE(mark_media_failed(f.db, id, "HTTP 500", f.now, 3, std::chrono::seconds(10)).has_value());
  CHECK(find_media(f.db, "MEDIA9").value()->next_attempt_at == "2026-11-25T14:00:20.000Z");

  // A crashed worker's lease runs out and the job is claimed again.
  auto third = claim_next_media_job(f.db, f.now + std::chrono::seconds(20)).value();
  REQUIRE(third.has_value());
  CHECK(third->attempts == 3);
  REQUIRE(mark_media_failed(f.db, id, "HTTP 404", f.now, 3).has_value());
  CHECK(find_media(f.db, "MEDIA9").value()->state == "failed");
  CHECK(count_media(f.db, "failed").value() == 1);

  auto id2 = enqueue_media(f.db, std::nullopt, "PN1",
                           {"MEDIA10", "image/png", "", "", "", "", false, false}, f.now)
                 .value();
  REQUIRE(claim_next_media_job(f.db, f.now).value().has_value());
  REQUIRE(mark_media_done(f.db, id2, "media/ab/abcdef.png", 1234, "abcdef", "", f.now).has_value());
  auto done = find_media(f.db, "MEDIA10").value().value();
  CHECK(done.state == "done");
  CHECK(done.size == 1234);
  CHECK(done.mime == "image/png");
}

TEST_CASE("store: templates replace per WABA and take status updates", "[store][backends]") {
  fixture f;
  template_record hello{
      "", "T1", "hello_world", "en_US", "UTILITY", "APPROVED", "[]", "POSITIONAL", "", "", ""};
  template_record promo{"",   "T2",    "promo", "en_US", "MARKETING", "APPROVED",
                        "[]", "NAMED", "",      "",      ""};
  REQUIRE(replace_templates(f.db, "WABA1", {hello, promo}, f.now).has_value());
  REQUIRE(replace_templates(f.db, "WABA2", {hello}, f.now).has_value());
  CHECK(list_templates(f.db).value().size() == 3);
  REQUIRE(replace_templates(f.db, "WABA1", {hello}, f.now).has_value());
  CHECK(list_templates(f.db, "WABA1").value().size() == 1);

  REQUIRE(update_template_status(f.db, "WABA1", "T1", "hello_world", "en_US", "PAUSED", "", f.now)
              .has_value());
  CHECK(find_template(f.db, "WABA1", "hello_world", "en_US").value()->status == "PAUSED");
  CHECK(find_template(f.db, "WABA2", "hello_world", "en_US").value()->status == "APPROVED");
  REQUIRE(update_template_status(f.db, "WABA1", "T9", "new_one", "de", "PENDING", "", f.now)
              .has_value());
  CHECK(list_templates(f.db, "WABA1", "PENDING").value().at(0).name == "new_one");
}

TEST_CASE("store: a template created here is stored PENDING and deleted by name or language",
          "[store][backends]") {
  fixture f;
  template_record hello{
      "", "T1", "hello_world", "en_US", "UTILITY", "APPROVED", "[]", "POSITIONAL", "", "", ""};
  REQUIRE(replace_templates(f.db, "WABA1", {hello}, f.now).has_value());
  template_record created{"WABA1", "T7",         "promo", "en_US", "MARKETING", "PENDING",
                          "[{}]",  "POSITIONAL", "",      "",      ""};
  REQUIRE(store_created_template(f.db, created, f.now).has_value());
  created.language = "de";
  created.meta_template_id = "T8";
  REQUIRE(store_created_template(f.db, created, f.now).has_value());
  auto stored = find_template(f.db, "WABA1", "promo", "en_US").value();
  REQUIRE(stored.has_value());
  CHECK(stored->status == "PENDING");
  CHECK(stored->meta_template_id == "T7");
  CHECK(stored->components_json == "[{}]");
  CHECK(list_templates(f.db, "WABA1").value().size() == 3);

  CHECK(delete_stored_templates(f.db, "WABA1", "promo", "de").value() == 1);
  CHECK(find_template(f.db, "WABA1", "promo", "en_US").value().has_value());
  CHECK(delete_stored_templates(f.db, "WABA2", "promo", "").value() == 0);
  CHECK(delete_stored_templates(f.db, "WABA1", "promo", "").value() == 1);
  CHECK(list_templates(f.db, "WABA1").value().size() == 1);
}

TEST_CASE("store: a template sync counts what it added, updated and removed, and when it ran",
          "[store][backends]") {
  fixture f;
  template_record hello{
      "", "T1", "hello_world", "en_US", "UTILITY", "APPROVED", "[]", "POSITIONAL", "", "", ""};
  template_record promo{"",   "T2",    "promo", "en_US", "MARKETING", "APPROVED",
                        "[]", "NAMED", "",      "",      ""};
  // The fixture's account was never synced.
  REQUIRE(list_template_syncs(f.db).value().size() == 1);
  CHECK(list_template_syncs(f.db).value()[0].synced_at.empty());
  auto first = replace_templates(f.db, "WABA1", {hello, promo}, f.now);
  REQUIRE(first.has_value());
  CHECK(first->added == 2);
  CHECK(first->updated == 0);
  CHECK(first->removed == 0);
  auto syncs = list_template_syncs(f.db).value();
  REQUIRE(syncs.size() == 1);
  CHECK(syncs[0].waba_id == "WABA1");
  CHECK(syncs[0].synced_at == format_timestamp(f.now));
  CHECK(syncs[0].error.empty());

  // The same list again changes nothing; a paused one is an update; a missing one is removed.
  auto again = replace_templates(f.db, "WABA1", {hello, promo}, f.now);
  CHECK((again->added + again->updated + again->removed) == 0);
  hello.status = "PAUSED";
  template_record fresh{"", "T3", "fresh", "de", "UTILITY", "APPROVED", "[]", "", "", "", ""};
  auto changed = replace_templates(f.db, "WABA1", {hello, fresh}, f.now);
  CHECK(changed->added == 1);
  CHECK(changed->updated == 1);
  CHECK(changed->removed == 1);
  CHECK(list_templates(f.db, "WABA1").value().size() == 2);

  // A failure is kept beside the last success until the next success clears it.
  REQUIRE(
      record_template_sync_failure(f.db, "WABA1", "Meta error 190", f.now + std::chrono::hours(1))
          .has_value());
  syncs = list_template_syncs(f.db).value();
  CHECK(syncs[0].synced_at == format_timestamp(f.now));
  CHECK(syncs[0].error == "Meta error 190");
  REQUIRE(replace_templates(f.db, "WABA1", {hello}, f.now + std::chrono::hours(2)).has_value());
  CHECK(list_template_syncs(f.db).value()[0].error.empty());
}

TEST_CASE("store: processed keys, webhook log and pull cursors", "[store][backends]") {
  fixture f;
  CHECK(mark_processed(f.db, "msg:wamid.1", f.now).value());
  CHECK_FALSE(mark_processed(f.db, "msg:wamid.1", f.now).value());
  CHECK(is_processed(f.db, "msg:wamid.1").value());
  CHECK_FALSE(is_processed(f.db, "msg:wamid.2").value());

  webhook_log_entry e;
  e.received_at = "2026-11-01T00:00:00.000Z";
  e.request_id = "req-1";
  e.signature = "invalid";
  e.http_status = 404;
  REQUIRE(insert_webhook_log(f.db, e).has_value());
  CHECK(recent_webhook_log(f.db).value().at(0).request_id == "req-1");
  CHECK(prune_event_log(f.db, "2026-11-20T00:00:00.000Z").value() == 1);

  REQUIRE(record_pull(f.db, {"claude", "PN1", "2026-11-25T14:00:00.000Z", 42}).has_value());
  REQUIRE(record_pull(f.db, {"claude", "PN1", "2026-11-25T14:01:00.000Z", 40}).has_value());
  auto c = get_pull_cursor(f.db, "claude", "PN1").value().value();
  CHECK(c.last_pulled_at == "2026-11-25T14:01:00.000Z");
  CHECK(c.last_message_id == 42);
  CHECK_FALSE(get_pull_cursor(f.db, "cursor", "PN1").value().has_value());
}

TEST_CASE("store: pruning keeps each table for its own retention", "[store][backends]") {
  fixture f;
  REQUIRE(mark_processed(f.db, "msg:old", at("2026-10-01T00:00:00.000Z")).has_value());
  REQUIRE(mark_processed(f.db, "msg:recent", at("2026-11-24T00:00:00.000Z")).has_value());
  for (auto when : {"2026-10-01T00:00:00.000Z", "2026-11-10T00:00:00.000Z"}) {
    webhook_log_entry e;
    e.received_at = when;
    e.signature = "valid";
    e.http_status = 200;
    REQUIRE(insert_webhook_log(f.db, e).has_value());
  }

  // Log cutoff after both rows, key cutoff between the two keys.
  auto n = prune_event_log(f.db, "2026-11-20T00:00:00.000Z", "2026-11-01T00:00:00.000Z").value();
  CHECK(n.webhook_log == 2);
  CHECK(n.processed_events == 1);
  CHECK(recent_webhook_log(f.db).value().empty());
  CHECK_FALSE(is_processed(f.db, "msg:old").value());
  CHECK(is_processed(f.db, "msg:recent").value());

  // An empty cutoff keeps that table whole.
  auto none = prune_event_log(f.db, "", "2026-12-01T00:00:00.000Z").value();
  CHECK(none.webhook_log == 0);
  CHECK(none.processed_events == 1);
  CHECK_FALSE(is_processed(f.db, "msg:recent").value());
}

TEST_CASE("store: pruning in chunks deletes the oldest rows, at most a chunk per call",
          "[store][backends]") {
  fixture f;
  for (int day = 1; day <= 5; ++day) {
    auto when = fmt::format("2026-10-{:02}T00:00:00.000Z", day);
    REQUIRE(mark_processed(f.db, fmt::format("msg:old{}", day), at(when.c_str())).has_value());
    webhook_log_entry e;
    e.received_at = when;
    e.request_id = fmt::format("old{}", day);
    e.signature = "valid";
    REQUIRE(insert_webhook_log(f.db, e).has_value());
  }
  REQUIRE(mark_processed(f.db, "msg:recent", at("2026-11-24T00:00:00.000Z")).has_value());
  webhook_log_entry recent;
  recent.received_at = "2026-11-24T00:00:00.000Z";
  recent.request_id = "recent";
  REQUIRE(insert_webhook_log(f.db, recent).has_value());

  const char* cutoff = "2026-11-20T00:00:00.000Z";
  std::vector<int> log_chunks, key_chunks;
  for (int i = 0; i < 4; ++i) {
    auto n = prune_event_log_chunk(f.db, cutoff, cutoff, 2).value();
    log_chunks.push_back(n.webhook_log);
    key_chunks.push_back(n.processed_events);
  }
  CHECK(log_chunks == std::vector<int>{2, 2, 1, 0});
  CHECK(key_chunks == std::vector<int>{2, 2, 1, 0});
  auto left = recent_webhook_log(f.db).value();
  REQUIRE(left.size() == 1);
  CHECK(left[0].request_id == "recent");
  CHECK(is_processed(f.db, "msg:recent").value());
  CHECK_FALSE(is_processed(f.db, "msg:old5").value());
  // The key cutoff is served by an index, not a scan of the table (schema/0004; SQLite's plan).
  if (f.db.kind() != backend::sqlite) return;
  auto plan = f.db.prepare(
                      "EXPLAIN QUERY PLAN SELECT key FROM processed_events WHERE created_at < ?1 "
                      "ORDER BY created_at LIMIT 2")
                  .value();
  plan.bind(1, std::string_view(cutoff));
  std::string details;
  while (plan.step().value()) details += plan.column_text(3) + "\n";
  CHECK(details.find("processed_events_created") != std::string::npos);
}

TEST_CASE("store: webhook_log is pruned in id order, past a newer row written out of order",
          "[store][backends]") {
  fixture f;
  auto log_row = [&](const std::string& when, const std::string& id) {
    webhook_log_entry e;
    e.received_at = when;
    e.request_id = id;
    e.signature = "valid";
    REQUIRE(insert_webhook_log(f.db, e).has_value());
  };
  // A row received late but written first (a clock step, a row copied in by hand), then old ones.
  log_row("2026-11-24T00:00:00.000Z", "recent");
  for (int day = 1; day <= 5; ++day)
    log_row(fmt::format("2026-10-{:02}T00:00:00.000Z", day), "old");
  const char* cutoff = "2026-11-20T00:00:00.000Z";

  auto first = prune_event_log_chunk(f.db, cutoff, "", 3).value();
  CHECK(first.webhook_log == 2);  // the window of the 3 oldest ids held the newer row
  CHECK_FALSE(first.webhook_log_done);
  CHECK(first.processed_events_done);  // no key cutoff: nothing to do there
  // The newer row stays in each window; the old rows behind it still go, two per window.
  std::vector<int> chunks;
  for (int i = 0; i < 2; ++i) {
    auto n = prune_event_log_chunk(f.db, cutoff, "", 3).value();
    chunks.push_back(n.webhook_log);
    CHECK_FALSE(n.webhook_log_done);
  }
  CHECK(chunks == std::vector<int>{2, 1});
  auto last = prune_event_log_chunk(f.db, cutoff, "", 3).value();
  CHECK(last.webhook_log == 0);
  CHECK(last.webhook_log_done);
  auto left = recent_webhook_log(f.db).value();
  REQUIRE(left.size() == 1);
  CHECK(left[0].request_id == "recent");
  // No index on received_at any more (schema/0005): every insert pays for one b-tree less.
  if (f.db.kind() == backend::sqlite) {
    CHECK(f.db.query_int64("SELECT count(*) FROM sqlite_schema WHERE name = "
                           "'webhook_log_received'")
              .value() == 0);
  }
}

TEST_CASE("store: message previews are short and readable", "[store][backends]") {
  CHECK(message_preview("text", "hi") == "hi");
  CHECK(message_preview("image", "") == "[image]");
  CHECK(message_preview("reaction", "", "👍") == "reacted 👍");
  CHECK(message_preview("reaction", "", "") == "removed a reaction");
  std::string long_text(119, 'a');
  long_text += "é";  // two bytes straddling the cut
  auto p = message_preview("text", long_text);
  CHECK(p == std::string(119, 'a') + "…");
}

TEST_CASE("store: editing a message's text keeps the search index in sync", "[store][backends]") {
  fixture f;
  const auto id = f.send("447700900123", "see you at the harbour", "wamid.E1");
  search_query q;
  q.text = "harbour";
  CHECK(search_messages(f.db, q).value().size() == 1);
  auto st =
      f.db.prepare("UPDATE messages SET text = 'see you at the station' WHERE id = ?1").value();
  st.bind(1, id);
  REQUIRE(st.run().has_value());
  CHECK(search_messages(f.db, q).value().empty());
  q.text = "station";
  CHECK(search_messages(f.db, q).value().size() == 1);
  CHECK(mark_outbound_sent(f.db, 9999, "wamid.NOPE", f.now).error() == store_errc::not_found);
  CHECK(mark_outbound_sent(f.db, id, "", f.now).error() == store_errc::invalid_argument);
}

TEST_CASE("store: a status from another number neither moves nor joins the message's history",
          "[store][backends]") {
  fixture f;
  const auto id = f.send("447700900123", "hello", "wamid.MINE");
  auto foreign = f.status("wamid.MINE", "failed");
  foreign.phone_number_id = "PN2";
  foreign.errors.push_back({131026, "Message undeliverable", "", "forged", ""});
  auto out = apply_status(f.db, foreign, f.now).value();
  CHECK_FALSE(out.applied);
  auto read = f.status("wamid.MINE", "read");
  read.phone_number_id = "PN2";
  CHECK_FALSE(apply_status(f.db, read, f.now).value().applied);
  auto m = get_message(f.db, id).value().value();
  CHECK(m.status == "sent");
  CHECK_FALSE(m.error_code.has_value());
  CHECK(list_status_events(f.db, "wamid.MINE").value().empty());
  // The number's own status still applies.
  CHECK(apply_status(f.db, f.status("wamid.MINE", "delivered"), f.now).value().applied);

  // Kept before the message existed, an early status of another number is never adopted.
  auto early = f.status("wamid.LATER", "read");
  early.phone_number_id = "PN2";
  CHECK_FALSE(apply_status(f.db, early, f.now).value().applied);
  const auto later = f.send("447700900123", "later", "wamid.LATER");
  CHECK(get_message(f.db, later).value()->status == "sent");
}

TEST_CASE("store: finding a contact by number, user id or username reads no table through",
          "[store]") {
  fixture f;
  const auto acct = f.account();
  for (int i = 0; i < 300; ++i) {
    const auto n = std::to_string(i);
    REQUIRE(
        upsert_contact(f.db, acct, {"4477009005" + n, "US." + n, "user" + n, "P" + n, ""}, f.now)
            .has_value());
  }
  CHECK(find_contacts(f.db, "4477009005123").value().size() == 1);
  CHECK(find_contacts(f.db, "US.77").value().size() == 1);
  CHECK(find_contacts(f.db, "user250").value().size() == 1);
  // SQLite counts the rows each statement stepped through in a full scan; the cached lookup
  // statement keeps its counts.
  int scanned = 0;
  for (sqlite3_stmt* st = sqlite3_next_stmt(f.db.native_handle(), nullptr); st != nullptr;
       st = sqlite3_next_stmt(f.db.native_handle(), st)) {
    if (std::string_view(sqlite3_sql(st)).find("FROM contacts") != std::string_view::npos) {
      INFO(sqlite3_sql(st));
      CHECK(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 0) == 0);
      ++scanned;
    }
  }
  CHECK(scanned > 0);  // the lookups' statements were there to look at
}
