#pragma once
// Idempotency keys: Meta delivers webhooks at least once (and retries for days after a non-200),
// so every record gets a key that is the same for a redelivery and different for a real change.
//   message                 msg:<wamid>
//   status                  status:<wamid>:<status>
//   reaction message        reaction:<wamid>:<emoji>   (removal: empty emoji, a distinct key)

#include <optional>
#include <string>

#include "pons/domain/message.hpp"

namespace pons::domain {

/// The key of an inbound message: a reaction key for reactions, else "msg:<wamid>".
/// nullopt when the message has no wamid (it cannot be deduplicated).
std::optional<std::string> idempotency_key(const inbound_message& m);

/// True when the wamid alone identifies the message (its key is "msg:<wamid>"): a stored row
/// with that wamid is then a redelivery. False for reactions (a change reuses the wamid) and for
/// messages without a wamid.
bool identified_by_wamid(const inbound_message& m);

/// "status:<wamid>:<status>"; nullopt when the status has no message id or no status.
std::optional<std::string> idempotency_key(const status_update& s);

/// "reaction:<wamid>:<emoji>" for a reaction message; the emoji is empty for a removal.
std::optional<std::string> reaction_key(std::string_view wamid, std::string_view emoji);

}  // namespace pons::domain
