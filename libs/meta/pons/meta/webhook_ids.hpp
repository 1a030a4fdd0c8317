#pragma once
// Meta's account and number ids in one canonical form: a non-empty string of ASCII digits, the
// form configured numbers have and records are stored under. What routes a webhook, what the
// account check compares and what is stored are then the same text, whatever JSON type the id
// came as. Pure functions, no I/O.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace pons::meta {

/// True when `id` is a non-empty string of ASCII digits.
bool is_canonical_id(std::string_view id) noexcept;

/// `v` in canonical form: a JSON string of digits as it is, a JSON integer that is not negative
/// as its decimal digits. Nullopt for anything else: a double (even an integral one such as
/// 2002.0 or 1e3: it may not be exact, and it renders differently), a negative number, a string
/// with any other character, an empty string, null, an array, an object, or no value (nullptr).
std::optional<std::string> canonical_id(const boost::json::value* v);

/// Where a raw webhook body says whose it is, found by scanning its bytes without parsing them:
/// the value of the first "phone_number_id" key and of the first "id" key after "entry", each
/// when it is a canonical id (a digit string, quoted or not). Views into `raw`; empty when not
/// found. Only a hint for which app secret to try first: nothing is trusted before the signature
/// over the same bytes is verified, and the parsed body is checked again afterwards.
struct id_hints {
  std::string_view phone_number_id;
  std::string_view entry_id;
};

/// The hints of `raw` (see id_hints). Costs a substring search, not a parse.
id_hints find_id_hints(std::string_view raw) noexcept;

}  // namespace pons::meta
