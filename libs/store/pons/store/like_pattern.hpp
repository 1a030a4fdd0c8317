#pragma once
// User text inside SQL LIKE patterns. Bound as a parameter it cannot inject SQL, but `%` and `_`
// still act as wildcards: "%" would match every contact. Every LIKE that takes user text escapes
// it with escape_like and declares the escape character with like_escape_clause.

#include <string>
#include <string_view>

namespace pons::store {

/// The clause to write after each LIKE pattern built from escape_like().
inline constexpr std::string_view like_escape_clause = "ESCAPE '\\'";

/// `text` with `%`, `_` and the escape character `\` escaped, so LIKE matches it literally.
std::string escape_like(std::string_view text);

}  // namespace pons::store
