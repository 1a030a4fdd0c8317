#pragma once
// The server timestamp format stored by Pons: ISO-8601 UTC with milliseconds,
// "2026-11-25T14:00:00.123Z". Fixed width, so text order is time order.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pons::store {

/// The clock type every store function takes its `now` from (callers pass time in).
using time_point = std::chrono::system_clock::time_point;

/// Formats `t` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds, truncated).
std::string format_timestamp(time_point t);

/// Formats unix seconds (e.g. Meta's timestamps) the same way, with ".000".
std::string format_unix_seconds(std::int64_t seconds);

/// Parses the stored format; also accepts no fraction ("...:00Z"), 1-9 fraction digits and a
/// "+00:00" suffix. Returns nullopt for anything else.
std::optional<time_point> parse_timestamp(std::string_view text);

}  // namespace pons::store
