#include "pons/domain/status_order.hpp"

namespace pons::domain {

int status_rank(message_status s) noexcept {
  switch (s) {
    case message_status::received:
      return -1;
    case message_status::pending:
      return 0;
    case message_status::sent:
      return 1;
    // Between sent and delivered: a failure report beats "sent" (the send did not go
    // through), but a delivered/read/played report proves the message arrived.
    case message_status::failed:
      return 2;
    case message_status::delivered:
      return 3;
    case message_status::read:
      return 4;
    case message_status::played:
      return 5;
  }
  return -1;
}

bool status_advances(message_status current, message_status incoming) noexcept {
  if (current == message_status::received || incoming == message_status::received) return false;
  return status_rank(incoming) > status_rank(current);
}

std::optional<message_status> parse_message_status(std::string_view text) noexcept {
  constexpr message_status all[] = {message_status::pending,   message_status::sent,
                                    message_status::delivered, message_status::read,
                                    message_status::played,    message_status::failed,
                                    message_status::received};
  for (auto s : all) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::string_view to_string(message_status s) noexcept {
  switch (s) {
    case message_status::pending:
      return "pending";
    case message_status::sent:
      return "sent";
    case message_status::delivered:
      return "delivered";
    case message_status::read:
      return "read";
    case message_status::played:
      return "played";
    case message_status::failed:
      return "failed";
    case message_status::received:
      return "received";
  }
  return "unknown";
}

}  // namespace pons::domain
