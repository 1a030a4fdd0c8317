#pragma once
// Meta's documented rules for a new message template (POST /{waba-id}/message_templates),
// checked before anything is sent: the name, category, language and parameter format, each
// component's count and length, the variables and their examples, the buttons, and what an
// AUTHENTICATION template may hold. Pure: no I/O, no clock. Meta may still refuse or reject a
// template these rules accept (its review reads the content); they catch what Meta would refuse
// at once, with words that say what to change.

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pons::meta {

/// Which rule a template breaks.
enum class template_rule_errc {
  invalid_name = 1,          // not ^[a-z0-9_]+$ or longer than 512
  invalid_category,          // not MARKETING, UTILITY or AUTHENTICATION
  invalid_language,          // empty or not a language code such as en_US
  invalid_parameter_format,  // not positional or named
  invalid_component,         // not an object, unknown type, a field of the wrong type
  component_count,           // no BODY, or two of a kind
  too_long,                  // a text over Meta's character limit
  header_format,             // a header Meta does not accept
  footer_format,             // a footer with variables
  button_count,              // too many buttons (of a kind)
  button_format,             // a button without what its type needs
  buttons_not_grouped,       // quick replies between other buttons
  variable_format,           // {{x}} neither {{1}}..{{n}} in order nor a unique lowercase name
  variable_at_edge,          // the body starts or ends with a variable
  missing_example,           // a variable (or a media header) without its example
  authentication_format,     // what an AUTHENTICATION template may not hold
};

/// The enumerator's name ("invalid_name"), for structured results.
std::string_view template_rule_name(template_rule_errc e) noexcept;

/// The error category of template_rule_errc ("pons.meta.template_rules").
const boost::system::error_category& template_rule_category() noexcept;
/// Makes template_rule_errc usable as an error_code.
boost::system::error_code make_error_code(template_rule_errc e) noexcept;

/// One broken rule: where, which, and what to change.
struct template_violation {
  template_rule_errc rule;
  std::string component;  // "name", "BODY", "HEADER", "FOOTER", "BUTTONS[2]", ...
  std::string message;    // a sentence naming the rule and what to change
};

/// At most this many violations are reported; the rest are counted only.
inline constexpr std::size_t max_template_violations = 20;

/// Every rule a create-template request breaks, up to max_template_violations.
struct template_check {
  std::vector<template_violation> violations;
  std::size_t more = 0;  // violations found beyond the list

  /// True when the template may be sent to Meta.
  bool ok() const noexcept { return violations.empty(); }
};

/// Checks a create-template request (Meta's body: name, language, category, parameter_format,
/// components) against Meta's documented rules.
template_check check_template(const boost::json::object& request);

/// The variables of a text, in order of appearance ("1", "first_name"), without the braces.
std::vector<std::string> template_variables(std::string_view text);

}  // namespace pons::meta

namespace boost::system {
template <>
struct is_error_code_enum<pons::meta::template_rule_errc> : std::true_type {};
}  // namespace boost::system
