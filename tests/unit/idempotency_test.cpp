#include "pons/domain/idempotency.hpp"

#include <catch2/catch.hpp>
#include <set>

using pons::domain::idempotency_key;
using pons::domain::inbound_message;
using pons::domain::status_update;

namespace {

inbound_message text_message(std::string wamid) {
  inbound_message m;
  m.wamid = std::move(wamid);
  m.type = "text";
  m.text = "hello";
  return m;
}

inbound_message reaction_message(std::string wamid, std::string target, std::string emoji) {
  inbound_message m;
  m.wamid = std::move(wamid);
  m.type = "reaction";
  m.reacted = pons::domain::reaction{std::move(target), std::move(emoji)};
  return m;
}

status_update status(std::string wamid, std::string s) {
  status_update u;
  u.wamid = std::move(wamid);
  u.status = std::move(s);
  return u;
}

}  // namespace

TEST_CASE("a message is keyed by its wamid: a redelivery has the same key", "[idempotency]") {
  auto a = text_message("wamid.AAA");
  CHECK(idempotency_key(a) == "msg:wamid.AAA");
  auto again = text_message("wamid.AAA");
  again.text = "redelivered copy";
  CHECK(idempotency_key(again) == idempotency_key(a));
  CHECK(idempotency_key(text_message("wamid.BBB")) != idempotency_key(a));
  CHECK_FALSE(idempotency_key(text_message("")).has_value());
}

TEST_CASE("a status is keyed by message id and status", "[idempotency]") {
  CHECK(idempotency_key(status("wamid.X", "delivered")) == "status:wamid.X:delivered");
  std::set<std::string> keys;
  for (auto s : {"sent", "delivered", "read", "failed"}) {
    keys.insert(*idempotency_key(status("wamid.X", s)));
  }
  CHECK(keys.size() == 4);
  CHECK(idempotency_key(status("wamid.X", "read")) == idempotency_key(status("wamid.X", "read")));
  CHECK(idempotency_key(status("wamid.X", "read")) != idempotency_key(status("wamid.Y", "read")));
  CHECK_FALSE(idempotency_key(status("", "read")).has_value());
  CHECK_FALSE(idempotency_key(status("wamid.X", "")).has_value());
}

TEST_CASE("a reaction is keyed by id and emoji: a removal is not a duplicate", "[idempotency]") {
  auto thumbs = reaction_message("wamid.R1", "wamid.TARGET", "\xF0\x9F\x91\x8D");
  auto removal = reaction_message("wamid.R1", "wamid.TARGET", "");
  auto heart = reaction_message("wamid.R1", "wamid.TARGET", "\xE2\x9D\xA4\xEF\xB8\x8F");
  CHECK(idempotency_key(thumbs) == "reaction:wamid.R1:\xF0\x9F\x91\x8D");
  CHECK(idempotency_key(removal) == "reaction:wamid.R1:");
  CHECK(idempotency_key(removal) != idempotency_key(thumbs));
  CHECK(idempotency_key(heart) != idempotency_key(thumbs));
  CHECK(idempotency_key(thumbs) ==
        idempotency_key(reaction_message("wamid.R1", "wamid.TARGET", "\xF0\x9F\x91\x8D")));
  // Reaction keys never collide with the message key of the same id.
  CHECK(idempotency_key(thumbs) != idempotency_key(text_message("wamid.R1")));
  // A reaction whose body was missing still gets a reaction key (as a removal).
  inbound_message bare;
  bare.wamid = "wamid.R2";
  bare.type = "reaction";
  CHECK(idempotency_key(bare) == "reaction:wamid.R2:");
  CHECK_FALSE(pons::domain::reaction_key("", "x").has_value());
}

TEST_CASE("message, status and reaction keys live in separate namespaces", "[idempotency]") {
  std::set<std::string> keys{*idempotency_key(text_message("wamid.Z")),
                             *idempotency_key(status("wamid.Z", "read")),
                             *idempotency_key(reaction_message("wamid.Z", "wamid.T", "x"))};
  CHECK(keys.size() == 3);
}

TEST_CASE("only messages keyed msg:<wamid> are identified by their wamid alone", "[idempotency]") {
  using pons::domain::identified_by_wamid;
  CHECK(identified_by_wamid(text_message("wamid.AAA")));
  CHECK_FALSE(identified_by_wamid(text_message("")));
  CHECK_FALSE(identified_by_wamid(reaction_message("wamid.R", "wamid.AAA", "\xF0\x9F\x91\x8D")));
  CHECK_FALSE(identified_by_wamid(reaction_message("wamid.R", "wamid.AAA", "")));
  // The two agree: identified by the wamid exactly when the key is "msg:<wamid>".
  for (const auto& m : {text_message("wamid.B"), reaction_message("wamid.C", "wamid.B", "x")}) {
    const auto key = idempotency_key(m);
    CHECK(identified_by_wamid(m) == (key && key->rfind("msg:", 0) == 0));
  }
}
