#include "pons/meta/signature.hpp"

#include <catch2/catch.hpp>
#include <string>

using pons::meta::hmac_sha256_hex;
using pons::meta::sign_body;
using pons::meta::verify_signature;

namespace {
const std::string secret = "app-secret-for-tests";
const std::string body = R"({"object":"whatsapp_business_account","entry":[]})";
}  // namespace

TEST_CASE("hmac_sha256_hex matches RFC 4231 test vectors", "[signature]") {
  // RFC 4231 test case 2.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Empty key and empty data still give a 64-digit digest (OpenSSL needs non-null pointers).
  const std::string empty = hmac_sha256_hex("", "");
  CHECK(empty == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("sign_body produces Meta's header format", "[signature]") {
  const std::string header = sign_body(body, secret);
  REQUIRE(header.size() == 7 + 64);
  CHECK(header.rfind("sha256=", 0) == 0);
  CHECK(header.substr(7) == hmac_sha256_hex(secret, body));
  CHECK(header.find_first_not_of("0123456789abcdef", 7) == std::string::npos);
}

TEST_CASE("verify_signature accepts a valid signature", "[signature]") {
  CHECK(verify_signature(body, sign_body(body, secret), secret));
  CHECK(verify_signature("", sign_body("", secret), secret));
}

TEST_CASE("verify_signature rejects a tampered body or another secret", "[signature]") {
  const std::string header = sign_body(body, secret);
  std::string tampered = body;
  tampered[tampered.size() - 3] = '{';
  CHECK_FALSE(verify_signature(tampered, header, secret));
  CHECK_FALSE(verify_signature(body + " ", header, secret));
  CHECK_FALSE(verify_signature(body, header, secret + "x"));
}

TEST_CASE("verify_signature rejects missing, empty and malformed headers", "[signature]") {
  const std::string header = sign_body(body, secret);
  const std::string hex = header.substr(7);
  CHECK_FALSE(verify_signature(body, "", secret));
  CHECK_FALSE(verify_signature(body, "sha256=", secret));
  CHECK_FALSE(verify_signature(body, hex, secret));                   // no prefix
  CHECK_FALSE(verify_signature(body, "sha1=" + hex, secret));         // wrong prefix
  CHECK_FALSE(verify_signature(body, "SHA256=" + hex, secret));       // prefix is case-sensitive
  CHECK_FALSE(verify_signature(body, "sha256 =" + hex, secret));      // no tolerance for spacing
  CHECK_FALSE(verify_signature(body, header.substr(0, 70), secret));  // one digit short
  CHECK_FALSE(verify_signature(body, header + "0", secret));          // one digit long
  CHECK_FALSE(verify_signature(body, header + " ", secret));          // trailing space
}

TEST_CASE("verify_signature rejects non-hex digits in either half of a byte", "[signature]") {
  std::string header = sign_body(body, secret);
  for (std::size_t pos : {std::size_t{7}, std::size_t{8}, header.size() - 1}) {
    for (char bad : {'g', 'G', 'z', ' ', '-', '\0'}) {
      std::string h = header;
      h[pos] = bad;
      CHECK_FALSE(verify_signature(body, h, secret));
    }
  }
}

TEST_CASE("verify_signature accepts uppercase hex (the digest is compared as bytes)",
          "[signature]") {
  std::string header = sign_body(body, secret);
  for (std::size_t i = 7; i < header.size(); ++i)
    header[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(header[i])));
  CHECK(verify_signature(body, header, secret));
}

TEST_CASE("verify_signature fails closed on an empty secret", "[signature]") {
  CHECK_FALSE(verify_signature(body, sign_body(body, ""), ""));
}

TEST_CASE("signatures are over raw bytes: escapes are never re-serialised", "[signature]") {
  // Meta escapes non-ASCII and '/': the same JSON value with other bytes must not verify.
  const std::string escaped = R"({"name":"Jos\u00e9","url":"https:\/\/example.com\/a"})";
  const std::string unescaped = "{\"name\":\"Jos\xc3\xa9\",\"url\":\"https://example.com/a\"}";
  const std::string header = sign_body(escaped, secret);
  CHECK(verify_signature(escaped, header, secret));
  CHECK_FALSE(verify_signature(unescaped, header, secret));
  CHECK(verify_signature(unescaped, sign_body(unescaped, secret), secret));
  // Bodies with embedded NULs are hashed in full.
  const std::string with_nul("a\0b", 3);
  CHECK_FALSE(verify_signature(std::string("a"), sign_body(with_nul, secret), secret));
  CHECK(verify_signature(with_nul, sign_body(with_nul, secret), secret));
}

TEST_CASE("signature_verifier answers like verify_signature, call after call", "[signature]") {
  pons::meta::signature_verifier v(secret);
  const std::string header = sign_body(body, secret);
  std::string tampered = body;
  tampered[tampered.size() - 3] = '{';
  // Repeated and interleaved calls: the keyed state is reused, never left dirty by a failure.
  for (int i = 0; i < 3; ++i) {
    CHECK(v.verify(body, header));
    CHECK_FALSE(v.verify(tampered, header));
    CHECK_FALSE(v.verify(body, sign_body(body, secret + "x")));
    CHECK_FALSE(v.verify(body, header.substr(0, 70)));
    CHECK(v.verify("", sign_body("", secret)));
  }
  // RFC 4231 test case 2, through the verifier.
  pons::meta::signature_verifier jefe("Jefe");
  CHECK(jefe.verify("what do ya want for nothing?",
                    "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
  pons::meta::signature_verifier empty("");
  CHECK_FALSE(empty.verify(body, sign_body(body, "")));
  // Moved-from and moved-to verifiers stay usable or fail closed.
  pons::meta::signature_verifier moved(std::move(v));
  CHECK(moved.verify(body, header));
}

TEST_CASE("well_formed says whether a header can be a signature at all", "[signature]") {
  using pons::meta::signature_verifier;
  const std::string hex(64, 'a');
  CHECK(signature_verifier::well_formed("sha256=" + hex));
  CHECK(signature_verifier::well_formed("sha256=" + std::string(64, 'F')));
  for (const std::string& bad :
       {std::string(), std::string("sha256="), "sha256=" + hex + " ", "sha1=" + hex,
        "SHA256=" + hex, "sha256=" + hex.substr(1) + "g", "sha256=" + hex.substr(2)}) {
    INFO(bad);
    CHECK_FALSE(signature_verifier::well_formed(bad));
  }
}
