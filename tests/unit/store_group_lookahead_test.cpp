// group_lookahead: what an ingest group asks before it writes, answered in one statement, and
// kept true by the group's own writes. On both engines ([backends]).
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/store/group_lookahead.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/status_repository.hpp"
#include "support/inbound_batches.hpp"
#include "unit/store_test_util.hpp"

using namespace pons::store;
using pons::store::test::at;
using pons::store::test::database_fixture;
namespace domain = pons::domain;

namespace {

domain::inbound_message text_from(const std::string& wamid, const std::string& from) {
  return pons::test::one_text_message(wamid, from, "hello").messages.front();
}

}  // namespace

TEST_CASE("store: a group's lookahead answers what is stored, and what the group stores",
          "[store][ingest][backends]") {
  database_fixture f;
  auto& db = f.db;
  const auto account = pons::store::test::pn1_account(db, f.now);
  domain::contact alice{"447700900001", "", "", "Alice", ""};
  auto contact = upsert_contact(db, account, alice, f.now).value();
  auto conversation = upsert_conversation(db, "PN1", contact.id, f.now).value();
  auto stored = insert_inbound_message(db, text_from("wamid.A", alice.wa_id), contact.id,
                                       conversation, at("2026-11-25T15:00:00.000Z"))
                    .value();
  REQUIRE(mark_processed(db, "status:wamid.A:read", f.now).value());

  auto tx = transaction::begin(db, transaction_mode::immediate);
  REQUIRE(tx.has_value());
  lookahead_request wanted;
  wanted.wamids = {"wamid.A", "wamid.nowhere", "wamid.it's \"quoted\""};
  wanted.keys = {"status:wamid.A:read", "status:wamid.A:delivered"};
  wanted.new_messages = 3;
  wanted.senders = {{"PN1", "447700900001"}, {"PN1", "447700900002"}, {"PN9", "447700900003"}};
  auto ahead = group_lookahead::fetch(db, wanted).value();

  // Stored messages, with what a status needs of them; the rest are not.
  REQUIRE(ahead.message("wamid.A") != nullptr);
  CHECK(ahead.message("wamid.A")->message_id == stored.id);
  CHECK(ahead.message("wamid.A")->status == "received");
  CHECK(ahead.message("wamid.A")->phone_number_id == "PN1");
  CHECK(ahead.message("wamid.nowhere") == nullptr);

  // A used key is refused without asking; a new one is queued once, then used.
  CHECK_FALSE(ahead.mark_processed(db, "status:wamid.A:read", f.now).value());
  CHECK(ahead.mark_processed(db, "status:wamid.A:delivered", f.now).value());
  CHECK_FALSE(ahead.mark_processed(db, "status:wamid.A:delivered", f.now).value());

  // People: a stored contact with its conversation, a new one of a known number, and one of a
  // number not stored yet (not looked up: the ingest asks as it goes).
  const auto* known = ahead.person(account, "447700900001");
  REQUIRE(known != nullptr);
  REQUIRE(known->has_value());
  CHECK((*known)->id == contact.id);
  CHECK((*known)->profile_name == "Alice");
  CHECK(ahead.conversation("PN1", contact.id) == conversation);
  const auto* unknown = ahead.person(account, "447700900002");
  REQUIRE(unknown != nullptr);
  CHECK_FALSE(unknown->has_value());
  CHECK(ahead.person(account, "447700900003") == nullptr);
  // Ids for new people are reserved on PostgreSQL only (one each: one contact and one
  // conversation are missing); SQLite inserts them as they come.
  if (db.kind() == backend::postgresql) {
    auto new_contact = ahead.place_contact();
    REQUIRE(new_contact.has_value());
    CHECK(*new_contact > contact.id);
    CHECK_FALSE(ahead.place_contact().has_value());
    REQUIRE(ahead.place_conversation().has_value());
    CHECK_FALSE(ahead.place_conversation().has_value());
  } else {
    CHECK_FALSE(ahead.place_contact().has_value());
    CHECK_FALSE(ahead.place_conversation().has_value());
  }

  // Reserved message ids: after every stored one, distinct, as many as asked; created_at never
  // below the newest stored, whatever the clock says.
  std::set<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto placed = ahead.place_message(f.now);  // f.now is before wamid.A's created_at
    REQUIRE(placed.has_value());
    CHECK(placed->id > stored.id);
    CHECK(placed->created_at == "2026-11-25T15:00:00.000Z");
    ids.insert(placed->id);
  }
  CHECK(ids.size() == 3);
  CHECK_FALSE(ahead.place_message(f.now).has_value());

  // What the group stores or applies is answered from then on.
  ahead.stored("wamid.B", status_target{*ids.begin(), "received", "PN1"});
  REQUIRE(ahead.message("wamid.B") != nullptr);
  ahead.status_applied("wamid.A", "delivered");
  CHECK(ahead.message("wamid.A")->status == "delivered");
  // After contacts were merged or changed ids in the group it answers nothing about people.
  ahead.forget_people();
  CHECK(ahead.person(account, "447700900001") == nullptr);
  CHECK_FALSE(ahead.conversation("PN1", contact.id).has_value());
  REQUIRE(tx->commit().has_value());
  CHECK(is_processed(db, "status:wamid.A:delivered").value());

  // Outside a transaction its answers would not hold: refused.
  CHECK(group_lookahead::fetch(db, wanted).error() == store_errc::invalid_argument);
}

TEST_CASE("store: a status decided on a stale read does not overwrite a newer one",
          "[store][ingest][backends]") {
  database_fixture f;
  auto& db = f.db;
  const auto sent_id = pons::store::test::sent_text(db, "447700900123", "wamid.OUT", f.now);
  const auto stale = find_status_target(db, "wamid.OUT").value();  // status "sent"
  REQUIRE(stale.has_value());

  domain::status_update read;
  read.phone_number_id = "PN1";
  read.wamid = "wamid.OUT";
  read.status = "read";
  read.timestamp_unix = 1700000002;
  REQUIRE(apply_status(db, read, f.now).value().applied);

  // Another writer read the message before that, while it was "sent": delivered moves "sent"
  // forward, but the message is read by now and stays so.
  domain::status_update delivered = read;
  delivered.status = "delivered";
  delivered.timestamp_unix = 1700000001;
  REQUIRE(apply_status(db, delivered, stale, f.now).has_value());
  CHECK(get_message(db, sent_id).value()->status == "read");
}
