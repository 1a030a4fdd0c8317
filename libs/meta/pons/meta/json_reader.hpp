#pragma once
// Bounded JSON parsing for everything that faces the network (webhook bodies, MCP requests):
// strict RFC 8259 only (no comments, no trailing commas, no invalid UTF-8), a size limit and a
// nesting limit, errors as values.

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace pons::meta {

/// Why a document was refused by read_json.
enum class json_errc {
  too_large = 1,  // more bytes than json_limits::max_bytes
  too_deep,       // arrays/objects nested deeper than json_limits::max_depth
  invalid,        // not one well-formed JSON value (syntax, invalid UTF-8, trailing data, empty)
};

/// The error category of json_errc.
const boost::system::error_category& json_category() noexcept;

/// Makes json_errc usable as a boost::system::error_code.
boost::system::error_code make_error_code(json_errc e) noexcept;

/// Limits applied by read_json. The defaults suit Meta webhooks (at most 3 MB, shallow nesting).
struct json_limits {
  std::size_t max_bytes = 4 * 1024 * 1024;
  std::size_t max_depth = 64;
};

/// Parses exactly one strict JSON value from `text` within `limits`.
boost::system::result<boost::json::value> read_json(std::string_view text,
                                                    const json_limits& limits = {});

/// read_json with the document's memory taken from `storage` (e.g. a monotonic_resource that
/// outlives the value: one allocation per block instead of one per string, object and array).
boost::system::result<boost::json::value> read_json(std::string_view text,
                                                    boost::json::storage_ptr storage,
                                                    const json_limits& limits = {});

}  // namespace pons::meta

template <>
struct boost::system::is_error_code_enum<pons::meta::json_errc> : std::true_type {};
