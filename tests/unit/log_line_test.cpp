#include "pons/logging/log_line.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

using namespace pons::logging;

namespace {

// 2026-11-25T14:47:42.810Z
std::chrono::system_clock::time_point example_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / November / 25} + hours{14} + minutes{47} + seconds{42} +
         milliseconds{810};
}

}  // namespace

TEST_CASE("a log line is ts, level, event, then the fields, on one line", "[logging]") {
  CHECK(
      format_log_line(example_time(), log_level::warn, "template_sync", "waba_id=1 error=\"x\"") ==
      "ts=2026-11-25T14:47:42.810Z level=warn event=template_sync waba_id=1 error=\"x\"\n");
  CHECK(format_log_line(example_time(), log_level::info, "stopped") ==
        "ts=2026-11-25T14:47:42.810Z level=info event=stopped\n");
  CHECK(format_log_line(example_time() - std::chrono::milliseconds(810), log_level::error, "e") ==
        "ts=2026-11-25T14:47:42.000Z level=error event=e\n");
}

TEST_CASE("text that carries its own level is stamped, and ends in exactly one newline",
          "[logging]") {
  CHECK(stamp_log_text(example_time(), "level=info event=forward_attempt delivery=3") ==
        "ts=2026-11-25T14:47:42.810Z level=info event=forward_attempt delivery=3\n");
  CHECK(stamp_log_text(example_time(), "level=info event=x\n") ==
        "ts=2026-11-25T14:47:42.810Z level=info event=x\n");
  CHECK(level_name(log_level::info) == "info");
  CHECK(level_name(log_level::warn) == "warn");
  CHECK(level_name(log_level::error) == "error");
}
