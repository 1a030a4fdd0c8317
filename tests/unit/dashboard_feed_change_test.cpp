#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pons/dashboard/feed_change.hpp"

using pons::dashboard::feed_change;
using pons::dashboard::feed_changed_event;
using pons::dashboard::feed_view;
using pons::dashboard::visible_to;

namespace {

// Conversation 1 of account 111 and 2 of account 222 changed; the list grew; 222's templates
// changed.
feed_change two_accounts() {
  feed_change c;
  c.conversations = {{1, "111"}, {2, "222"}};
  c.new_conversations = true;
  c.templates = true;
  c.template_accounts = {"222"};
  return c;
}

}  // namespace

TEST_CASE("feed change: a principal of every account hears all of it", "[dashboard][feed]") {
  auto v = visible_to(two_accounts(), "");
  REQUIRE(v);
  CHECK(v->conversations == std::vector<std::int64_t>{1, 2});
  CHECK(v->new_conversations);
  CHECK(v->templates);
}

TEST_CASE("feed change: a principal of one account hears only of that account",
          "[dashboard][feed]") {
  auto a = visible_to(two_accounts(), "111");
  REQUIRE(a);
  CHECK(a->conversations == std::vector<std::int64_t>{1});
  CHECK(a->new_conversations);
  CHECK_FALSE(a->templates);  // only 222's templates changed

  auto b = visible_to(two_accounts(), "222");
  REQUIRE(b);
  CHECK(b->conversations == std::vector<std::int64_t>{2});
  CHECK(b->templates);

  // Nothing of its own: no event at all, not an empty one.
  CHECK_FALSE(visible_to(two_accounts(), "333"));
}

TEST_CASE("feed change: growth of another account's list does not show", "[dashboard][feed]") {
  feed_change c;
  c.conversations = {{5, "222"}};
  c.new_conversations = true;
  CHECK_FALSE(visible_to(c, "111"));
  // A conversation whose account is unknown is shown only to a principal of every account.
  feed_change unknown;
  unknown.conversations = {{6, ""}};
  CHECK_FALSE(visible_to(unknown, "111"));
  REQUIRE(visible_to(unknown, ""));
  CHECK(visible_to(unknown, "")->conversations == std::vector<std::int64_t>{6});
}

TEST_CASE("feed change: a template change of every account is heard by all of them",
          "[dashboard][feed]") {
  feed_change c;
  c.templates = true;
  c.template_accounts = {"111"};
  auto v = visible_to(c, "111");
  REQUIRE(v);
  CHECK(v->conversations.empty());
  CHECK_FALSE(v->new_conversations);
  CHECK(v->templates);
  CHECK_FALSE(visible_to(c, "222"));
}

TEST_CASE("feed change: the Server-Sent Events text", "[dashboard][feed]") {
  CHECK(pons::dashboard::feed_opening(std::chrono::milliseconds(2000)) ==
        "retry: 2000\n\nevent: ready\ndata: {}\n\n");
  feed_view v;
  v.conversations = {7, 9};
  v.new_conversations = true;
  CHECK(feed_changed_event(v) ==
        "event: changed\ndata: "
        "{\"conversations\":[7,9],\"new_conversations\":true,\"templates\":false}\n\n");
  CHECK(feed_changed_event(feed_view{}) ==
        "event: changed\ndata: "
        "{\"conversations\":[],\"new_conversations\":false,\"templates\":false}\n\n");
  // A comment: EventSource ignores it, so it can be sent at any time.
  CHECK(pons::dashboard::feed_keepalive() == ": keep-alive\n\n");
}
