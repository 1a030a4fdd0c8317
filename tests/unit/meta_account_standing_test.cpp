#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "pons/meta/account_standing.hpp"

namespace json = boost::json;
using pons::meta::describe_account_update;

namespace {

json::object value_of(const char* text) {
  return json::parse(text).as_object();
}

}  // namespace

TEST_CASE("account_update standing events are described in words", "[meta][standing]") {
  auto violation = describe_account_update(
      value_of(R"({"event":"ACCOUNT_VIOLATION","violation_info":{"violation_type":"ADULT"}})"));
  REQUIRE(violation);
  CHECK(violation->can_message);
  CHECK(violation->detail.find("(ADULT)") != std::string::npos);

  auto restricted = describe_account_update(value_of(
      R"({"event":"ACCOUNT_RESTRICTION","restriction_info":[
          {"restriction_type":"RESTRICTED_BIZ_INITIATED_MESSAGING","expiration":"2026-12-10T13:38:04+0000"},
          {"restriction_type":"RESTRICTED_ADD_PHONE_NUMBER_ACTION"}]})"));
  REQUIRE(restricted);
  CHECK_FALSE(restricted->can_message);
  CHECK(restricted->detail.find("RESTRICTED_BIZ_INITIATED_MESSAGING until "
                                "2026-12-10T13:38:04+0000, RESTRICTED_ADD_PHONE_NUMBER_ACTION") !=
        std::string::npos);

  auto disabled = describe_account_update(value_of(
      R"({"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"DISABLE","waba_ban_date":"December 1, 2026"}})"));
  REQUIRE(disabled);
  CHECK_FALSE(disabled->can_message);
  CHECK(disabled->detail.find("disabled") != std::string::npos);
  auto reinstated = describe_account_update(value_of(
      R"({"event":"DISABLED_UPDATE","ban_info":{"waba_ban_state":"REINSTATE","waba_ban_date":"April 17, 2025"}})"));
  REQUIRE(reinstated);
  CHECK(reinstated->can_message);

  auto deleted = describe_account_update(value_of(R"({"event":"ACCOUNT_DELETED"})"));
  REQUIRE(deleted);
  CHECK_FALSE(deleted->can_message);

  CHECK_FALSE(describe_account_update(value_of(R"({"event":"PARTNER_ADDED"})")));
  CHECK_FALSE(describe_account_update(value_of(R"({"violation_info":{}})")));
}
