#include "pons/domain/status_order.hpp"

#include <catch2/catch.hpp>
#include <string>

using pons::domain::message_status;
using pons::domain::parse_message_status;
using pons::domain::status_advances;
using pons::domain::status_rank;

TEST_CASE("statuses only move forward: pending < sent < delivered < read < played", "[status]") {
  const message_status chain[] = {message_status::pending, message_status::sent,
                                  message_status::delivered, message_status::read,
                                  message_status::played};
  for (std::size_t i = 0; i < std::size(chain); ++i) {
    for (std::size_t j = 0; j < std::size(chain); ++j) {
      INFO("current " << pons::domain::to_string(chain[i]) << " incoming "
                      << pons::domain::to_string(chain[j]));
      CHECK(status_advances(chain[i], chain[j]) == (j > i));
      CHECK((status_rank(chain[i]) < status_rank(chain[j])) == (i < j));
    }
  }
}

TEST_CASE("out-of-order webhooks: read before delivered keeps read", "[status]") {
  auto current = message_status::sent;
  for (auto incoming : {message_status::read, message_status::delivered, message_status::sent}) {
    if (status_advances(current, incoming)) current = incoming;
  }
  CHECK(current == message_status::read);
}

TEST_CASE("failed overrides pending and sent, not delivered, read or played", "[status]") {
  CHECK(status_advances(message_status::pending, message_status::failed));
  CHECK(status_advances(message_status::sent, message_status::failed));
  CHECK_FALSE(status_advances(message_status::delivered, message_status::failed));
  CHECK_FALSE(status_advances(message_status::read, message_status::failed));
  CHECK_FALSE(status_advances(message_status::played, message_status::failed));
  CHECK_FALSE(status_advances(message_status::failed, message_status::failed));
  // A late "sent" does not hide a failure; proof of delivery does.
  CHECK_FALSE(status_advances(message_status::failed, message_status::sent));
  CHECK_FALSE(status_advances(message_status::failed, message_status::pending));
  CHECK(status_advances(message_status::failed, message_status::delivered));
}

TEST_CASE("received (inbound) is outside the outbound lifecycle", "[status]") {
  for (auto s : {message_status::pending, message_status::sent, message_status::delivered,
                 message_status::read, message_status::played, message_status::failed}) {
    CHECK_FALSE(status_advances(message_status::received, s));
    CHECK_FALSE(status_advances(s, message_status::received));
    CHECK(status_rank(message_status::received) < status_rank(s));
  }
}

TEST_CASE("Meta status strings parse, unknown ones do not", "[status]") {
  CHECK(parse_message_status("sent") == message_status::sent);
  CHECK(parse_message_status("delivered") == message_status::delivered);
  CHECK(parse_message_status("read") == message_status::read);
  CHECK(parse_message_status("played") == message_status::played);
  CHECK(parse_message_status("failed") == message_status::failed);
  CHECK(parse_message_status("pending") == message_status::pending);
  CHECK_FALSE(parse_message_status("deleted").has_value());
  CHECK_FALSE(parse_message_status("warning").has_value());
  CHECK_FALSE(parse_message_status("").has_value());
  CHECK_FALSE(parse_message_status("READ").has_value());
  for (auto s : {message_status::pending, message_status::sent, message_status::delivered,
                 message_status::read, message_status::played, message_status::failed,
                 message_status::received}) {
    CHECK(parse_message_status(pons::domain::to_string(s)) == s);
  }
}
