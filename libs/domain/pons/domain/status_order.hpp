#pragma once
// The order of delivery statuses. Meta does not guarantee that status webhooks arrive in order
// (a "read" can come before its "delivered"), so a status only replaces another when it is
// further along: played > read > delivered > sent > pending, and failed replaces pending and
// sent but never a status that proves the message reached the phone.

#include <optional>
#include <string_view>

#include "pons/domain/message.hpp"

namespace pons::domain {

/// How far along the outbound lifecycle a status is; higher is further. `received` (inbound
/// messages) is outside that lifecycle and ranks lowest.
int status_rank(message_status s) noexcept;

/// True when a stored message in status `current` should move to `incoming`. Never true for
/// a repeat of the same status, a step backwards, or anything involving `received`.
bool status_advances(message_status current, message_status incoming) noexcept;

/// Meta's status string ("sent", "delivered", "read", "played", "failed") or one of ours
/// ("pending", "received") as a message_status; nullopt for anything else (e.g. "deleted").
std::optional<message_status> parse_message_status(std::string_view text) noexcept;

/// The lowercase name of a status, as Meta spells it ("pending" and "received" are ours).
std::string_view to_string(message_status s) noexcept;

}  // namespace pons::domain
