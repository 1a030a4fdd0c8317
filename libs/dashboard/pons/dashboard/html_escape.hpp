#pragma once
// Text placed in HTML: every dynamic string of a dashboard page goes through here, so a
// message holding markup shows as text and never runs. Pure.

#include <string>
#include <string_view>

namespace pons::dashboard {

/// `text` with & < > " ' replaced by character references: safe in element content and in
/// quoted attribute values (never in a script, a style or an unquoted attribute).
std::string escape_html(std::string_view text);

}  // namespace pons::dashboard
