#include "pons/domain/idempotency.hpp"

namespace pons::domain {

std::optional<std::string> reaction_key(std::string_view wamid, std::string_view emoji) {
  if (wamid.empty()) return std::nullopt;
  std::string key = "reaction:";
  key += wamid;
  key += ':';
  key += emoji;
  return key;
}

bool identified_by_wamid(const inbound_message& m) {
  // A reaction change may reuse the reaction message's id, so the emoji is part of its key: a
  // removal (empty emoji) must not be dropped as a duplicate of the reaction it removes.
  return !m.wamid.empty() && m.type != "reaction" && !m.reacted;
}

std::optional<std::string> idempotency_key(const inbound_message& m) {
  if (m.wamid.empty()) return std::nullopt;
  if (!identified_by_wamid(m))
    return reaction_key(m.wamid, m.reacted ? std::string_view(m.reacted->emoji) : "");
  return "msg:" + m.wamid;
}

std::optional<std::string> idempotency_key(const status_update& s) {
  if (s.wamid.empty() || s.status.empty()) return std::nullopt;
  return "status:" + s.wamid + ":" + s.status;
}

}  // namespace pons::domain
