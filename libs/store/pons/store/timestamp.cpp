#include "pons/store/timestamp.hpp"

#include <fmt/format.h>

#include <cctype>

namespace pons::store {

namespace {

struct civil {
  std::int64_t y;
  unsigned m, d;
};

// std::chrono's year reaches only +-32767, so the day count is split into whole 400-year
// Gregorian cycles (each exactly 146097 days) and a day inside one cycle after 1970, which
// chrono converts.
civil civil_from_days(std::int64_t z) {
  constexpr std::int64_t cycle_days = 146097;
  std::int64_t cycles = z / cycle_days;
  std::int64_t in_cycle = z % cycle_days;
  if (in_cycle < 0) {
    in_cycle += cycle_days;
    --cycles;
  }
  const std::chrono::year_month_day ymd{
      std::chrono::sys_days{std::chrono::days{static_cast<int>(in_cycle)}}};
  return {static_cast<int>(ymd.year()) + cycles * 400, static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day())};
}

std::string format_millis(std::int64_t ms) {
  std::int64_t days = ms / 86'400'000;
  std::int64_t rem = ms % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  const civil c = civil_from_days(days);
  const std::int64_t secs = rem / 1000;
  if (c.y < 0 || c.y > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.y, c.m, c.d, secs / 3600,
                       (secs / 60) % 60, secs % 60, rem % 1000);
  }
  // The common case by hand: the ingest writes several of these per request.
  char out[] = "0000-00-00T00:00:00.000Z";
  auto put = [&](std::size_t pos, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      out[pos + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, c.y, 4);
  put(5, c.m, 2);
  put(8, c.d, 2);
  put(11, secs / 3600, 2);
  put(14, (secs / 60) % 60, 2);
  put(17, secs % 60, 2);
  put(20, rem % 1000, 3);
  return std::string(out, sizeof(out) - 1);
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string format_timestamp(time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  auto count = ms.count();
  // duration_cast truncates toward zero; floor for instants before 1970.
  if (ms > t.time_since_epoch()) --count;
  return format_millis(count);
}

std::string format_unix_seconds(std::int64_t seconds) {
  return format_millis(seconds * 1000);
}

std::optional<time_point> parse_timestamp(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20) return std::nullopt;
  if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) ||
      s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  // ok() also refuses a day its month does not have (31 April, 29 February of 2026).
  const std::chrono::year_month_day date{std::chrono::year{y},
                                         std::chrono::month{static_cast<unsigned>(mo)},
                                         std::chrono::day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (n < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++pos;
      ++n;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (; n < 9; ++n) nanos *= 10;
  }
  const std::string_view zone = s.substr(pos);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return std::nullopt;
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  const std::int64_t total = days * 86400 + h * 3600 + mi * 60 + sec;
  return time_point(std::chrono::duration_cast<time_point::duration>(
      std::chrono::seconds(total) + std::chrono::nanoseconds(nanos)));
}

}  // namespace pons::store
