#include "pons/mcp_http/stream_events.hpp"

#include <fmt/format.h>

#include <charconv>

namespace pons::mcp_http {

std::string event_id::text() const {
  return fmt::format("{}-{}", stream, seq);
}

std::optional<event_id> event_id::parse(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return std::nullopt;
  event_id id;
  auto read = [](std::string_view digits, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc{} && end == digits.data() + digits.size();
  };
  if (!read(text.substr(0, dash), id.stream) || !read(text.substr(dash + 1), id.seq)) {
    return std::nullopt;
  }
  return id;
}

void stream_events::pop_written() {
  ++written_;
  if (keep_ > 0) {
    kept_.push_back(std::move(queue_.front()));
    if (kept_.size() > keep_) kept_.pop_front();
  }
  queue_.pop_front();
}

bool stream_events::rewind(std::uint64_t last_received) {
  if (last_received > written_) return false;
  const auto missed = written_ - last_received;
  if (missed > kept_.size()) return false;
  for (std::uint64_t i = 0; i < missed; ++i) {
    queue_.push_front(std::move(kept_.back()));
    kept_.pop_back();
  }
  written_ = last_received;
  return true;
}

}  // namespace pons::mcp_http
