#include "pons/logging/log_field.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace pons::logging;

TEST_CASE("plain tokens are written as they are", "[logging]") {
  CHECK(log_value("106540352242922") == "106540352242922");
  CHECK(log_value("/webhook/meta") == "/webhook/meta");
  CHECK(log_value("wamid.HBgL-_:+/") == "wamid.HBgL-_:+/");
}

TEST_CASE("anything else is quoted, and nothing can end the line", "[logging]") {
  CHECK(log_value("") == R"("")");
  CHECK(log_value("two words") == R"("two words")");
  CHECK(log_value("a=b") == R"("a=b")");
  CHECK(log_value("say \"hi\"") == R"("say \"hi\"")");
  CHECK(log_value("back\\slash") == R"("back\\slash")");
  CHECK(log_value("id\r\nX-Injected: 1") == R"("id\r\nX-Injected: 1")");
  CHECK(log_value("tab\there") == R"("tab\there")");
  CHECK(log_value(std::string("nul\0byte", 8)) == R"("nul\x00byte")");
  CHECK(log_value("bell\x07 esc\x1b[31m del\x7f") == R"("bell\x07 esc\x1b[31m del\x7f")");
  for (int c = 0; c < 0x20; ++c) {
    auto out = log_value(std::string(1, static_cast<char>(c)));
    INFO("byte " << c);
    for (char o : out) CHECK(static_cast<unsigned char>(o) >= 0x20);
  }
}

TEST_CASE("quoted values always carry quotes", "[logging]") {
  CHECK(log_quoted("plain") == R"("plain")");
  CHECK(log_quoted("") == R"("")");
  CHECK(log_quoted("it's \"x\"\n") == R"("it's \"x\"\n")");
}

TEST_CASE("printable UTF-8 is kept, invisible and invalid bytes are escaped", "[logging]") {
  CHECK(log_value("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
  CHECK(log_value("\xf0\x9f\x91\x8d") == "\"\xf0\x9f\x91\x8d\"");
  // C1 control (NEL), line separator, right-to-left override, BOM.
  CHECK(log_value("a\xc2\x85"
                  "b") == R"("a\u0085b")");
  CHECK(log_value("a\xe2\x80\xa8"
                  "b") == R"("a\u2028b")");
  CHECK(log_value("a\xe2\x80\xae"
                  "b") == R"("a\u202eb")");
  CHECK(log_value("\xef\xbb\xbfx") == R"("\ufeffx")");
  // Not UTF-8: a lone continuation byte, a cut sequence, an overlong '/', a surrogate.
  CHECK(log_value("a\x80"
                  "b") == R"("a\x80b")");
  CHECK(log_value("a\xc3") == R"("a\xc3")");
  CHECK(log_value("\xc0\xaf") == R"("\xc0\xaf")");
  CHECK(log_value("\xed\xa0\x80") == R"("\xed\xa0\x80")");
}

TEST_CASE("long values are cut and say so", "[logging]") {
  std::string long_value(600, 'a');
  auto out = log_value(long_value);
  CHECK(out == "\"" + std::string(default_max_value_bytes, 'a') + "...\"");
  CHECK(log_value("abcdef", 3) == R"("abc...")");
  CHECK(log_quoted("abcdef", 6) == R"("abcdef")");
}

TEST_CASE("append forms add to a line", "[logging]") {
  std::string line = "event=x id=";
  append_log_value(line, "a b");
  line += " path=";
  append_log_value(line, "/p");
  line += " error=";
  append_log_quoted(line, "no");
  CHECK(line == R"(event=x id="a b" path=/p error="no")");
}
