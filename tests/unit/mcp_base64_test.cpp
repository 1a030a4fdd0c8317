#include <catch2/catch.hpp>
#include <string>

#include "pons/mcp/base64.hpp"

using namespace pons::mcp;

TEST_CASE("base64 matches RFC 4648's test vectors in both alphabets", "[mcp][base64]") {
  // RFC 4648 §10.
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    CHECK(base64_encode(plain, base64_alphabet::standard) == encoded);
    CHECK(base64_decode(encoded, base64_alphabet::standard) == std::string(plain));
    std::string unpadded(encoded);
    unpadded.erase(unpadded.find_last_not_of('=') + 1);
    CHECK(base64_encode(plain, base64_alphabet::url) == unpadded);
    CHECK(base64_decode(unpadded, base64_alphabet::url) == std::string(plain));
  }
}

TEST_CASE("the two alphabets differ only in the last two characters", "[mcp][base64]") {
  std::string bytes("\xfb\xff\xbf", 3);
  CHECK(base64_encode(bytes, base64_alphabet::standard) == "+/+/");
  CHECK(base64_encode(bytes, base64_alphabet::url) == "-_-_");
  CHECK_FALSE(base64_decode("+/+/", base64_alphabet::url));
  CHECK_FALSE(base64_decode("-_-_", base64_alphabet::standard));
}

TEST_CASE("base64 round-trips every byte value", "[mcp][base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n < 8; ++n) {
    std::string s = all.substr(n);
    CHECK(base64_decode(base64_encode(s, base64_alphabet::standard), base64_alphabet::standard) ==
          s);
    CHECK(base64_decode(base64_encode(s, base64_alphabet::url), base64_alphabet::url) == s);
  }
}

TEST_CASE("malformed base64 is refused", "[mcp][base64]") {
  CHECK_FALSE(base64_decode("Zm9", base64_alphabet::standard));   // padding missing
  CHECK_FALSE(base64_decode("Z===", base64_alphabet::standard));  // three '='
  CHECK_FALSE(base64_decode("Zm=v", base64_alphabet::standard));  // '=' inside
  CHECK_FALSE(base64_decode("Zm9vY", base64_alphabet::url));      // impossible length
  CHECK_FALSE(base64_decode("Zm9v\n", base64_alphabet::url));     // outside the alphabet
}
