#pragma once
// Secret redaction for stored payloads and logs: the value of any JSON key whose name contains
// token, secret, signature, password, passwd, authorization, api_key (apikey, api-key) or
// credential (any case) becomes "<redacted>", at any depth, objects inside arrays included, and
// inside strings that hold a JSON document (also after whitespace, or encoded twice). Pure
// functions, no I/O.

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace pons::meta {

/// The string that replaces every secret value.
inline constexpr std::string_view redacted_marker = "<redacted>";

/// True when `key` matches
/// /(token|secret|signature|password|passwd|authorization|api_key|apikey|api-key|credential)/i.
bool is_secret_key(std::string_view key) noexcept;

/// True when `text` contains one of the words is_secret_key looks for, in any case.
bool mentions_secret_word(std::string_view text) noexcept;

/// False only when no key of the raw JSON document `json` can name a secret: no secret word
/// appears in any case, and no \u escape could spell one. redact() would then change nothing; a
/// scan of the bytes is cheaper than walking the parsed document.
bool may_hold_secret(std::string_view json) noexcept;

/// Redacts `value` in place and returns how many values were replaced. A string value that itself
/// holds a JSON document (e.g. nfm_reply.response_json), also after whitespace or as a JSON
/// string encoded once more, is redacted inside too and re-serialised, but only when something
/// in it was replaced. Documents nested in strings more than 8 deep are not examined: such a
/// string is replaced whole when it may hold a secret.
std::size_t redact(boost::json::value& value);

/// False only when redact() would certainly change nothing: no key names a secret and no string
/// could hold embedded JSON (none starts, after whitespace, with '{', '[' or '"'). Lets callers
/// skip the copy that redacted() makes.
bool may_need_redaction(const boost::json::value& value) noexcept;

/// A redacted copy of `value`.
boost::json::value redacted(const boost::json::value& value);

/// For log lines: parses `text` strictly, redacts it and returns compact JSON. Text that is not
/// valid JSON is never echoed: the result is then "<invalid JSON, N bytes>".
std::string redact_for_log(std::string_view text);

/// For the webhook log, which must keep what Meta (or an attacker) really sent:
/// - valid JSON with nothing to redact: returned byte for byte (escapes such as \u00e9 and \/
///   survive, so the stored body still matches its signature);
/// - valid JSON with secrets: redacted and re-serialised compactly;
/// - invalid JSON: kept as text, but every `"<secret key>": <value>` pair found by a lexical scan
///   has its value replaced by "<redacted>" (a string, a scalar, or a bracketed value up to its
///   matching bracket or the end of the text). Keys are matched on what they mean, escapes
///   decoded ("access_\u0074oken" is an access token), and a string value holding a JSON document
///   with secrets has them redacted the same way and is re-encoded.
std::string redact_keep_invalid(std::string_view text);

}  // namespace pons::meta
