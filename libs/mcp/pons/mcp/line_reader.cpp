#include "pons/mcp/line_reader.hpp"

namespace pons::mcp {

line_reader::line_reader(std::size_t max_line_bytes, line_handler on_line,
                         oversized_handler on_oversized)
    : max_(max_line_bytes == 0 ? 1 : max_line_bytes),
      on_line_(std::move(on_line)),
      on_oversized_(std::move(on_oversized)) {}

void line_reader::deliver() {
  std::string_view line = buffer_;
  // Tolerate CRLF from clients on other platforms.
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.empty()) on_line_(line);
  buffer_.clear();
}

void line_reader::feed(std::string_view chunk) {
  while (!chunk.empty()) {
    std::size_t nl = chunk.find('\n');
    std::string_view part = chunk.substr(0, nl);
    if (discarding_) {
      if (nl == std::string_view::npos) return;
      discarding_ = false;
      chunk.remove_prefix(nl + 1);
      continue;
    }
    if (buffer_.size() + part.size() > max_) {
      buffer_.clear();
      on_oversized_(max_);
      if (nl == std::string_view::npos) {
        discarding_ = true;
        return;
      }
      chunk.remove_prefix(nl + 1);
      continue;
    }
    buffer_.append(part);
    if (nl == std::string_view::npos) return;
    deliver();
    chunk.remove_prefix(nl + 1);
  }
}

void line_reader::finish() {
  if (!discarding_ && !buffer_.empty()) deliver();
  buffer_.clear();
  discarding_ = false;
}

}  // namespace pons::mcp
