#include "pons/domain/phone.hpp"

#include <string>

namespace pons::domain {
namespace {

class phone_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.phone"; }

  std::string message(int ev) const override {
    // Every message ends with what a valid number looks like, so a person can fix the input.
    constexpr const char* example =
        " A valid number is the full international number, e.g. +44 7700 900123.";
    switch (static_cast<phone_errc>(ev)) {
      case phone_errc::empty:
        return std::string("The phone number is empty.") + example;
      case phone_errc::invalid_characters:
        return std::string(
                   "The phone number contains letters or symbols; only digits, spaces, "
                   "- . ( ) / and one + before the digits are allowed.") +
               example;
      case phone_errc::no_digits:
        return std::string("The phone number contains no digits.") + example;
      case phone_errc::missing_country_code:
        return std::string(
                   "The phone number starts with a single 0, so it is a national number "
                   "without a country code; replace the leading 0 with the country code.") +
               example;
      case phone_errc::too_short:
        return std::string("The phone number has fewer than 8 digits.") + example;
      case phone_errc::too_long:
        return std::string("The phone number has more than 15 digits (the E.164 maximum).") +
               example;
    }
    return "Unknown phone number error.";
  }
};

// Length in bytes of a separator starting at text[i], or 0 when there is none. People paste
// numbers from web pages and phones, so the Unicode spaces and dashes those produce count too.
std::size_t separator_length(std::string_view text, std::size_t i) {
  switch (text[i]) {
    case ' ':
    case '\t':
    case '-':
    case '.':
    case '(':
    case ')':
    case '/':
      return 1;
    default:
      break;
  }
  constexpr std::string_view multibyte[] = {
      "\xC2\xA0",      // no-break space
      "\xE2\x80\xAF",  // narrow no-break space
      "\xE2\x80\x89",  // thin space
      "\xE2\x80\x90",  // hyphen
      "\xE2\x80\x91",  // non-breaking hyphen
      "\xE2\x80\x92",  // figure dash
      "\xE2\x80\x93",  // en dash
  };
  for (auto s : multibyte) {
    if (text.substr(i, s.size()) == s) return s.size();
  }
  return 0;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

const boost::system::error_category& phone_category() noexcept {
  static const phone_category_impl category;
  return category;
}

boost::system::error_code make_error_code(phone_errc e) noexcept {
  return {static_cast<int>(e), phone_category()};
}

boost::system::result<std::string> to_meta_format(std::string_view raw) {
  while (!raw.empty() && is_space(raw.front())) raw.remove_prefix(1);
  while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
  if (raw.empty()) return make_error_code(phone_errc::empty);

  bool plus = false;
  std::string digits;
  digits.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size();) {
    char c = raw[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
      ++i;
      continue;
    }
    // One '+' before the first digit, so "(+44) 7700 900123" is accepted too.
    if (c == '+' && !plus && digits.empty()) {
      plus = true;
      ++i;
      continue;
    }
    std::size_t n = separator_length(raw, i);
    if (n == 0) return make_error_code(phone_errc::invalid_characters);
    i += n;
  }
  if (digits.empty()) return make_error_code(phone_errc::no_digits);

  // "00" is the international call prefix in most of the world: what follows is the country
  // code. After a '+' the country code must follow directly.
  if (!plus && digits.size() >= 2 && digits[0] == '0' && digits[1] == '0') digits.erase(0, 2);
  // No country code starts with 0, so a leading 0 here is a national trunk prefix.
  if (!digits.empty() && digits[0] == '0') return make_error_code(phone_errc::missing_country_code);

  if (digits.size() < phone_min_digits) return make_error_code(phone_errc::too_short);
  if (digits.size() > phone_max_digits) return make_error_code(phone_errc::too_long);
  return digits;
}

bool looks_like_phone(std::string_view text) {
  return to_meta_format(text).has_value();
}

}  // namespace pons::domain
