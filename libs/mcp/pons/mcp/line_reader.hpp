#pragma once
// Newline-delimited framing for the stdio transport, with a maximum line length. Pure: bytes in,
// events out; the caller does the I/O.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace pons::mcp {

/// Splits a byte stream into lines of at most `max_line_bytes` bytes (without the newline).
/// A longer line is reported once through `on_oversized` and its remaining bytes are skipped up
/// to the next newline, so one bad message never stalls the ones after it.
class line_reader {
 public:
  using line_handler = std::function<void(std::string_view line)>;
  using oversized_handler = std::function<void(std::size_t limit)>;

  /// Creates a reader; `max_line_bytes` must be at least 1.
  line_reader(std::size_t max_line_bytes, line_handler on_line, oversized_handler on_oversized);

  /// Feeds a chunk of input; calls the handlers for every line it completes.
  void feed(std::string_view chunk);

  /// Signals end of input: a final unterminated line is delivered as if it had a newline.
  void finish();

  /// The configured limit.
  std::size_t max_line_bytes() const { return max_; }

 private:
  void deliver();

  std::size_t max_;
  line_handler on_line_;
  oversized_handler on_oversized_;
  std::string buffer_;
  bool discarding_ = false;
};

}  // namespace pons::mcp
