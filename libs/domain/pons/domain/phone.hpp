#pragma once
// Phone numbers typed by people, turned into the form Meta's Cloud API expects: the full
// international number as digits only, without '+' (e.g. "447700900123").
//
// Only numbers a person typed go through here. A wa_id that Meta gave us is already in Meta's
// form and is used verbatim: never "correct" it (see docs/phone-numbers.md for the country quirks
// that make such corrections wrong).

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <type_traits>

namespace pons::domain {

/// Why a typed phone number cannot be used. Zero is never used (it means success).
enum class phone_errc {
  empty = 1,             ///< nothing but whitespace
  invalid_characters,    ///< letters or symbols other than spaces, - . ( ) / and one + before the
                         ///< digits
  no_digits,             ///< separators only
  missing_country_code,  ///< starts with a single 0: a national number
  too_short,             ///< fewer than 8 digits
  too_long,              ///< more than 15 digits (E.164 maximum)
};

/// The error category of phone_errc; messages say what is wrong and what a valid number is.
const boost::system::error_category& phone_category() noexcept;

/// Makes phone_errc usable as a boost::system::error_code.
boost::system::error_code make_error_code(phone_errc e) noexcept;

/// Fewest digits accepted: shorter strings are extensions or typos, not reachable numbers.
inline constexpr std::size_t phone_min_digits = 8;
/// Most digits E.164 allows (country code included).
inline constexpr std::size_t phone_max_digits = 15;

/// Turns a typed number ("+44 7700 900123", "0044 7700-900123") into Meta's form
/// ("447700900123"): digits only, international "00" prefix replaced by nothing, no '+'.
boost::system::result<std::string> to_meta_format(std::string_view raw);

/// True when `text` is a phone number to_meta_format accepts (lets contact lookup tell a
/// number from a name).
bool looks_like_phone(std::string_view text);

}  // namespace pons::domain

namespace boost::system {
template <>
struct is_error_code_enum<pons::domain::phone_errc> : std::true_type {};
}  // namespace boost::system
