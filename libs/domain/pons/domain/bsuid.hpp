#pragma once
// Business-scoped user ids (BSUIDs): Meta's per-business id of a WhatsApp user, the only id of a
// user who adopted a username and shares no phone number.

#include <string_view>

namespace pons::domain {

/// True for text shaped like a BSUID as Meta documents it: an ISO 3166 alpha-2 country code in
/// capitals, a period, then 1 to 128 letters and digits ("US.13491208655302741918"); or a parent
/// BSUID, with "ENT." after the country code ("US.ENT.11815799212886844830").
bool looks_like_bsuid(std::string_view text);

}  // namespace pons::domain
