#include "pons/meta/account_config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "unit/env_of.hpp"

using pons::test::env_of;

using namespace pons::meta;

namespace {

std::string write_temp(const std::string& text, mode_t mode) {
  char tmpl[] = "/tmp/pons-config-XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(tmpl) << text;
  ::chmod(tmpl, mode);
  return tmpl;
}

}  // namespace

TEST_CASE("every config error has its own message", "[config]") {
  std::set<std::string> seen;
  for (int e = 1; e <= static_cast<int>(config_errc::no_accounts); ++e) {
    auto msg = make_error_code(static_cast<config_errc>(e)).message();
    CHECK_FALSE(msg.empty());
    CHECK(msg != "unknown configuration error");
    CHECK(seen.insert(msg).second);
  }
}

TEST_CASE("one account from the environment", "[config]") {
  auto cfg = account_config_from_env(env_of({{"WA_APP_SECRET", "s"},
                                             {"WA_WEBHOOK_VERIFY_TOKEN", "v"},
                                             {"WA_PHONE_NUMBER_ID", "123, 456"},
                                             {"WA_ACCESS_TOKEN", "t"},
                                             {"WA_WABA_ID", "w"}}));
  REQUIRE(cfg.has_value());
  REQUIRE(cfg->accounts.size() == 1);
  CHECK(cfg->accounts[0].app_secret == "s");
  CHECK(cfg->accounts[0].waba_id == "w");
  CHECK(cfg->phone_number_ids() == std::vector<std::string>{"123", "456"});
  CHECK(cfg->find_by_phone_number_id("456") == &cfg->accounts[0]);
  CHECK(cfg->find_by_phone_number_id("789") == nullptr);
  CHECK(cfg->find_by_phone_number_id("") == nullptr);
  CHECK(cfg->verify_token_matches("v"));
  CHECK_FALSE(cfg->verify_token_matches("V"));
  CHECK_FALSE(cfg->verify_token_matches(""));

  auto none = account_config_from_env(env_of({}));
  REQUIRE(none.has_value());
  CHECK(none->accounts.empty());
  auto no_number = account_config_from_env(env_of({{"WA_APP_SECRET", "s"}}));
  REQUIRE_FALSE(no_number.has_value());
  CHECK(no_number.error() == config_errc::missing_phone_number);
}

TEST_CASE("config file text: accounts with string or object numbers", "[config]") {
  auto cfg = parse_account_config(R"({"accounts":[
      {"waba_id":"1","app_secret":"a","verify_token":"va","phone_numbers":["10","11"]},
      {"waba_id":"2","app_secret":"b","phone_numbers":[{"phone_number_id":"20",
        "display_phone_number":"+1 555"}]}]})");
  REQUIRE(cfg.has_value());
  REQUIRE(cfg->accounts.size() == 2);
  CHECK(cfg->find_by_phone_number_id("20")->app_secret == "b");
  CHECK(cfg->accounts[1].phone_numbers[0].display_phone_number == "+1 555");
  CHECK(cfg->verify_token_matches("va"));
  // An account without a verify token never matches an empty token.
  CHECK_FALSE(cfg->verify_token_matches(""));

  CHECK(parse_account_config("{").error() == config_errc::invalid_json);
  CHECK(parse_account_config("[]").error() == config_errc::invalid_shape);
  CHECK(parse_account_config(R"({"accounts":{}})").error() == config_errc::invalid_shape);
  CHECK(parse_account_config(R"({"accounts":[{"app_secret":5}]})").error() ==
        config_errc::invalid_shape);
  CHECK(parse_account_config(R"({"accounts":[{"phone_numbers":[""]}]})").error() ==
        config_errc::missing_phone_number);
}

TEST_CASE("merging validates secrets, numbers and duplicates", "[config]") {
  auto a = parse_account_config(R"({"accounts":[{"app_secret":"a","phone_numbers":["1"]}]})");
  auto b = parse_account_config(R"({"accounts":[{"app_secret":"b","phone_numbers":["1"]}]})");
  auto c = parse_account_config(R"({"accounts":[{"phone_numbers":["3"]}]})");
  auto d = parse_account_config(R"({"accounts":[{"app_secret":"d"}]})");
  REQUIRE((a.has_value() && b.has_value() && c.has_value() && d.has_value()));
  CHECK(merge_account_configs(*a, *b).error() == config_errc::duplicate_phone_number);
  CHECK(merge_account_configs(*a, *c).error() == config_errc::missing_app_secret);
  CHECK(merge_account_configs(*a, *d).error() == config_errc::missing_phone_number);
  CHECK(merge_account_configs({}, {}).error() == config_errc::no_accounts);
  auto ok = merge_account_configs(*a, {});
  REQUIRE(ok.has_value());
  CHECK(ok->accounts.size() == 1);
}

TEST_CASE("config files readable by others are refused", "[config]") {
  std::string text = R"({"accounts":[{"app_secret":"a","phone_numbers":["1"]}]})";
  auto open_file = write_temp(text, 0644);
  auto closed_file = write_temp(text, 0600);
  CHECK(load_account_config(open_file).error() == config_errc::file_too_open);
  auto ok = load_account_config(closed_file);
  REQUIRE(ok.has_value());
  CHECK(ok->accounts[0].app_secret == "a");
  CHECK(load_account_config("/nonexistent/pons.json").error() == config_errc::file_unreadable);
  std::remove(open_file.c_str());
  std::remove(closed_file.c_str());
}

TEST_CASE("constant-time comparison is still a comparison", "[config]") {
  CHECK(constant_time_equals("abc", "abc"));
  CHECK_FALSE(constant_time_equals("abc", "abd"));
  CHECK_FALSE(constant_time_equals("abc", "ab"));
  CHECK(constant_time_equals("", ""));
}
