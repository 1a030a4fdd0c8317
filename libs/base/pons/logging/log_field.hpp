#pragma once
// Values for key=value log lines. Anything that came from outside (a media id, a path, an error
// text that quotes a server's answer) goes through here before it is written, so a value can
// never end a line, start a forged one, or pass terminal control sequences to whoever reads the
// log. Pure: no I/O.

#include <cstddef>
#include <string>
#include <string_view>

namespace pons::logging {

/// Longest value written in full; longer ones are cut and end with "...".
inline constexpr std::size_t default_max_value_bytes = 512;

/// A log value: a plain token (printable ASCII without space, '"', '\\' or '=') as it is,
/// anything else quoted as by log_quoted. An empty value is written "".
std::string log_value(std::string_view value, std::size_t max_bytes = default_max_value_bytes);

/// A quoted log value: "..." with \" \\ \n \r \t, \xHH for other control bytes and bytes that
/// are not UTF-8, \uXXXX for invisible or line-breaking code points (C1 controls, U+2028/9,
/// bidirectional overrides, BOM). Printable UTF-8 is kept as it is.
std::string log_quoted(std::string_view value, std::size_t max_bytes = default_max_value_bytes);

/// log_value appended to `out` (no temporary string; for lines built per request).
void append_log_value(std::string& out, std::string_view value,
                      std::size_t max_bytes = default_max_value_bytes);

/// log_quoted appended to `out`.
void append_log_quoted(std::string& out, std::string_view value,
                       std::size_t max_bytes = default_max_value_bytes);

}  // namespace pons::logging
