#pragma once
// What an account_update webhook says about a WhatsApp Business Account's standing, in words:
// a policy violation, a restriction (with what it restricts and until when), a ban or its
// lifting, a deletion. Other account_update events (partners, pricing tiers, ad accounts) say
// nothing about whether the account can message, and are not standing.

#include <boost/json/object.hpp>
#include <optional>
#include <string>

namespace pons::meta {

/// One standing change.
struct account_standing {
  std::string event;   // Meta's event: ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION, DISABLED_UPDATE...
  std::string detail;  // a sentence for a person or an assistant
  bool can_message = true;  // false while Meta restricts, bans or deleted the account
};

/// The standing an account_update value reports, or nullopt when it is not about standing.
std::optional<account_standing> describe_account_update(const boost::json::object& value);

}  // namespace pons::meta
