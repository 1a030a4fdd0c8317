#pragma once
// One log line format for both binaries: "ts=<UTC time, ms> level=<level> event=<name>" followed
// by key=value fields (their values escaped by log_field), one line per event, on stderr. Tools
// that read logs (journald, grep, a log shipper) then parse every line of Pons the same way.

#include <chrono>
#include <string>
#include <string_view>

namespace pons::logging {

/// How much a line matters.
enum class log_level { info, warn, error };

/// The level's name as written ("info", "warn", "error").
std::string_view level_name(log_level level) noexcept;

/// "ts=... level=... event=...[ fields]\n". `fields` are key=value pairs whose values went
/// through log_value or log_quoted. Pure: the time is passed in.
std::string format_log_line(std::chrono::system_clock::time_point at, log_level level,
                            std::string_view event, std::string_view fields = {});

/// "ts=... " in front of `rest` ("level=... event=... ..."), ending in one newline. Pure.
std::string stamp_log_text(std::chrono::system_clock::time_point at, std::string_view rest);

/// Writes format_log_line(now, ...) to stderr in one write, so lines of several threads never
/// interleave.
void write_log_line(log_level level, std::string_view event, std::string_view fields = {});

/// Writes stamp_log_text(now, rest) to stderr in one write: for parts that build their
/// "level=... event=..." text themselves and take a sink (the HTTP server, the deliverer).
void write_log_text(std::string_view rest);

}  // namespace pons::logging
