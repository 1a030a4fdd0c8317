#include "pons/domain/phone.hpp"

#include <catch2/catch.hpp>
#include <string>

using pons::domain::phone_errc;
using pons::domain::to_meta_format;

namespace {

// The error a rejected input produced, or a default code when it was (wrongly) accepted.
boost::system::error_code error_of(std::string_view raw) {
  auto r = to_meta_format(raw);
  return r ? boost::system::error_code{} : r.error();
}

}  // namespace

TEST_CASE("typed international numbers become Meta's digits-only form", "[phone]") {
  CHECK(to_meta_format("+44 7700 900123").value() == "447700900123");
  CHECK(to_meta_format("0044 7700 900123").value() == "447700900123");
  CHECK(to_meta_format("447700900123").value() == "447700900123");
  CHECK(to_meta_format("+1 (415) 555-0100").value() == "14155550100");
  CHECK(to_meta_format("+49.30.1234.5678").value() == "493012345678");
  CHECK(to_meta_format("  +55 11 91234-5678 \n").value() == "5511912345678");
  CHECK(to_meta_format("+52 1 55 1234 5678").value() == "5215512345678");
  CHECK(to_meta_format("0033/6/12/34/56/78").value() == "33612345678");
  CHECK(to_meta_format("(+44) 7700 900123").value() == "447700900123");
  CHECK(to_meta_format("+ 44 7700 900123").value() == "447700900123");
}

TEST_CASE("Unicode spaces and dashes pasted from elsewhere are separators", "[phone]") {
  CHECK(to_meta_format("+44\xC2\xA0"
                       "7700\xC2\xA0"
                       "900123")
            .value() == "447700900123");
  CHECK(to_meta_format("+44 7700\xE2\x80\x93"
                       "900123")
            .value() == "447700900123");
  CHECK(to_meta_format("+44\xE2\x80\xAF"
                       "7700 900123")
            .value() == "447700900123");
}

TEST_CASE("empty and separator-only input is rejected", "[phone]") {
  CHECK(error_of("") == phone_errc::empty);
  CHECK(error_of("   \t ") == phone_errc::empty);
  CHECK(error_of("+") == phone_errc::no_digits);
  CHECK(error_of("( ) - .") == phone_errc::no_digits);
}

TEST_CASE("letters and stray symbols are rejected, not silently dropped", "[phone]") {
  CHECK(error_of("call me") == phone_errc::invalid_characters);
  CHECK(error_of("+44 7700 900123 ext 5") == phone_errc::invalid_characters);
  CHECK(error_of("44770090012O") == phone_errc::invalid_characters);  // letter O, not zero
  CHECK(error_of("+44 7700 900123#") == phone_errc::invalid_characters);
  CHECK(error_of("44+7700900123") == phone_errc::invalid_characters);  // '+' only leads
  CHECK(error_of("++447700900123") == phone_errc::invalid_characters);
  CHECK(error_of("(+44) +7700 900123") == phone_errc::invalid_characters);
  CHECK(error_of("+44 7700 \xE2\x82\xAC") == phone_errc::invalid_characters);  // euro sign
}

TEST_CASE("a national number without country code is rejected", "[phone]") {
  CHECK(error_of("07700 900123") == phone_errc::missing_country_code);
  CHECK(error_of("+07700900123") == phone_errc::missing_country_code);
  CHECK(error_of("000447700900123") == phone_errc::missing_country_code);
}

TEST_CASE("length limits: 8 to 15 digits", "[phone]") {
  CHECK(error_of("1234567") == phone_errc::too_short);
  CHECK(to_meta_format("12345678").value() == "12345678");
  CHECK(to_meta_format("123456789012345").value() == "123456789012345");
  CHECK(error_of("1234567890123456") == phone_errc::too_long);
  // The "00" prefix does not count: 0044 + 13 digits is 15 digits once formatted.
  CHECK(to_meta_format("00441234567890123").value() == "441234567890123");
  CHECK(error_of("00") == phone_errc::too_short);
  CHECK(error_of("+1 234") == phone_errc::too_short);
}

TEST_CASE("every phone error has a message saying what a valid number looks like", "[phone]") {
  for (int v = static_cast<int>(phone_errc::empty); v <= static_cast<int>(phone_errc::too_long);
       ++v) {
    auto ec = make_error_code(static_cast<phone_errc>(v));
    INFO(v);
    CHECK(ec.failed());
    CHECK(std::string(ec.category().name()) == "pons.phone");
    CHECK(ec.message().find("+44 7700 900123") != std::string::npos);
    CHECK(ec.message().find("Unknown") == std::string::npos);
  }
}

TEST_CASE("looks_like_phone tells a number from a name", "[phone]") {
  CHECK(pons::domain::looks_like_phone("+44 7700 900123"));
  CHECK(pons::domain::looks_like_phone("447700900123"));
  CHECK_FALSE(pons::domain::looks_like_phone("Alice"));
  CHECK_FALSE(pons::domain::looks_like_phone("Alice 447700900123"));
  CHECK_FALSE(pons::domain::looks_like_phone("123"));
  CHECK_FALSE(pons::domain::looks_like_phone(""));
}
