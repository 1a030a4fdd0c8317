#include "pons/meta/webhook_signers.hpp"

#include <catch2/catch.hpp>
#include <string>

using pons::meta::account;
using pons::meta::account_config;
using pons::meta::find_id_hints;
using pons::meta::id_hints;
using pons::meta::sign_body;
using pons::meta::webhook_signers;

namespace {

account make_account(const std::string& waba, const std::string& secret,
                     const std::string& number) {
  account a;
  a.waba_id = waba;
  a.app_secret = secret;
  a.phone_numbers.push_back({number, ""});
  return a;
}

std::string body_for(const std::string& waba, const std::string& number) {
  return R"({"object":"whatsapp_business_account","entry":[{"id":")" + waba +
         R"(","changes":[{"value":{"metadata":{"phone_number_id":")" + number +
         R"("}},"field":"messages"}]}]})";
}

}  // namespace

TEST_CASE("webhook signers: one per distinct secret, found by number or WABA id",
          "[webhook_signers]") {
  account_config cfg;
  cfg.accounts = {make_account("111", "secret-a", "1001"), make_account("222", "secret-b", "2002"),
                  make_account("333", "secret-a", "3003"), make_account("", "secret-c", "4004")};
  webhook_signers s(cfg);
  CHECK(s.size() == 3);  // accounts 111 and 333 are one Meta app
  CHECK(s.signer_of_number("1001") == s.signer_of_number("3003"));
  CHECK(s.signer_of_number("1001") != s.signer_of_number("2002"));
  CHECK(s.signer_of_waba("333") == s.signer_of_number("1001"));
  CHECK_FALSE(s.signer_of_number("999"));
  CHECK_FALSE(s.signer_of_waba(""));  // an account without a WABA id is found by number only

  const auto body = body_for("222", "2002");
  const auto b = *s.signer_of_number("2002");
  CHECK(s.verify(b, body, sign_body(body, "secret-b")));
  CHECK_FALSE(s.verify(b, body, sign_body(body, "secret-a")));
  CHECK_FALSE(s.verify(99, body, sign_body(body, "secret-b")));
}

TEST_CASE("webhook signers: the hinted secret first, each secret at most once",
          "[webhook_signers]") {
  account_config cfg;
  for (int i = 1; i <= 5; ++i)
    cfg.accounts.push_back(make_account("90" + std::to_string(i), "secret-" + std::to_string(i),
                                        "900" + std::to_string(i)));
  webhook_signers s(cfg);
  REQUIRE(s.size() == 5);

  // Signed by its number's account: one HMAC, found through the hint.
  auto body = body_for("905", "9005");
  auto hints = find_id_hints(body);
  auto found = s.find(body, sign_body(body, "secret-5"), hints, true);
  CHECK(found.signer == s.signer_of_number("9005"));
  CHECK(found.tried == 1);

  // No hint at all: every secret in turn until one verifies.
  found = s.find(body, sign_body(body, "secret-5"), id_hints{}, true);
  CHECK(found.signer == s.signer_of_number("9005"));
  CHECK(found.tried == 5);

  // Signed by another secret than the hint's: still found, no secret tried twice.
  found = s.find(body, sign_body(body, "secret-2"), hints, true);
  CHECK(found.signer == s.signer_of_number("9002"));
  CHECK(found.tried <= 5);

  // Forged: every secret once, then nothing; without `all` only the hinted one.
  found = s.find(body, sign_body(body, "not-a-secret"), hints, true);
  CHECK_FALSE(found.signer);
  CHECK(found.tried == 5);
  found = s.find(body, sign_body(body, "not-a-secret"), hints, false);
  CHECK_FALSE(found.signer);
  CHECK(found.tried == 1);
  // Number and WABA hints of two accounts: both tried, once each.
  const auto mixed = body_for("903", "9004");
  found = s.find(mixed, sign_body(mixed, "secret-1"), find_id_hints(mixed), false);
  CHECK_FALSE(found.signer);
  CHECK(found.tried == 2);
  found = s.find(mixed, sign_body(mixed, "secret-3"), find_id_hints(mixed), false);
  CHECK(found.signer == s.signer_of_waba("903"));

  // A header that is no signature costs no HMAC at all.
  for (const char* header : {"", "sha256=", "sha1=abc", "sha256=zz"}) {
    INFO(header);
    found = s.find(body, header, hints, true);
    CHECK_FALSE(found.signer);
    CHECK(found.tried == 0);
  }
}
