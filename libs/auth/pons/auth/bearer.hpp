#pragma once
// The Authorization header of a bearer-protected endpoint, read strictly (RFC 6750 section 2.1):
// the scheme "Bearer" (in any case), spaces, one token of b64token characters, nothing else.

#include <cstddef>
#include <span>
#include <string_view>

namespace pons::auth {

/// What a request's Authorization fields amount to.
enum class bearer_status {
  /// No Authorization field: answer 401 with a challenge and no error code.
  missing,
  /// Another scheme (Basic, ...): there is no bearer token either.
  other_scheme,
  /// "Bearer" with an empty, overlong or badly formed token, or several Authorization fields.
  malformed,
  /// A well-formed bearer token; it still has to be verified.
  present,
};

/// The outcome of reading the Authorization fields.
struct bearer_credentials {
  bearer_status status = bearer_status::missing;
  std::string_view token;  // the token when `present` (a view into the field); never log it
};

/// The longest token accepted; longer ones are malformed without being looked at further.
inline constexpr std::size_t max_bearer_token = 1024;

/// Reads one Authorization field value.
bearer_credentials parse_bearer(std::string_view field);

/// Reads every Authorization field of a request: none is `missing`, more than one `malformed`
/// (which one would count is not for the server to guess).
bearer_credentials parse_authorization(std::span<const std::string_view> fields);

}  // namespace pons::auth
