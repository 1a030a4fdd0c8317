#include "pons/logging/log_line.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cstdio>

namespace pons::logging {

namespace {

void write_stderr(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string_view level_name(log_level level) noexcept {
  switch (level) {
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

std::string stamp_log_text(std::chrono::system_clock::time_point at, std::string_view rest) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(at);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at - seconds).count();
  std::string line = fmt::format("ts={:%Y-%m-%dT%H:%M:%S}.{:03}Z {}", seconds, ms, rest);
  if (line.empty() || line.back() != '\n') line.push_back('\n');
  return line;
}

std::string format_log_line(std::chrono::system_clock::time_point at, log_level level,
                            std::string_view event, std::string_view fields) {
  std::string rest = fmt::format("level={} event={}", level_name(level), event);
  if (!fields.empty()) rest.append(" ").append(fields);
  return stamp_log_text(at, rest);
}

void write_log_line(log_level level, std::string_view event, std::string_view fields) {
  write_stderr(format_log_line(std::chrono::system_clock::now(), level, event, fields));
}

void write_log_text(std::string_view rest) {
  write_stderr(stamp_log_text(std::chrono::system_clock::now(), rest));
}

}  // namespace pons::logging
