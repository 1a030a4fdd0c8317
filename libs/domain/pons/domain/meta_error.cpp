#include "pons/domain/meta_error.hpp"

#include <fmt/format.h>

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <limits>
#include <optional>

namespace pons::domain {
namespace {

using E = meta_errc;

// Titles follow Meta's error-code reference (Cloud API "Error codes" page, Nov 2025); hints are
// ours, written for an assistant that has to decide what to do next.
constexpr std::array<meta_code_info, 73> catalogue{{
    {E::unknown, -1, -1, "unknown", "Unknown Meta error", 0, false,
     "Meta returned an error code Pons does not know; read Meta's message and details, and "
     "retry only if the HTTP status was 5xx."},
    {E::auth_exception, 0, 0, "auth_exception", "AuthException", 401, false,
     "Meta could not authenticate the access token (expired, revoked or access removed); "
     "generate a new system-user access token and update the configuration."},
    {E::api_unknown, 1, 1, "api_unknown", "API Unknown", 400, false,
     "Invalid request or a possible Meta server error; check metastatus.com for an outage, "
     "otherwise check the request against the endpoint reference."},
    {E::api_service, 2, 2, "api_service", "API Service", 503, true,
     "Meta's service is temporarily down or overloaded; retry with backoff in a few minutes."},
    {E::api_method, 3, 3, "api_method", "API Method", 500, false,
     "Capability or permission issue; check the token in Meta's access token debugger for the "
     "whatsapp_business_messaging and whatsapp_business_management permissions."},
    {E::api_too_many_calls, 4, 4, "api_too_many_calls", "API Too Many Calls", 400, true,
     "The app reached its Graph API call rate limit; slow down and retry in a few minutes."},
    {E::permission_denied, 10, 10, "permission_denied", "Permission Denied", 403, false,
     "The permission is not granted or was removed; check the token's permissions in Meta's "
     "access token debugger and the app's eligibility for this endpoint."},
    {E::phone_number_deleted, 33, 33, "phone_number_deleted", "Parameter value is not valid", 400,
     false,
     "The business phone number has been deleted; check the phone_number_id Pons is "
     "configured with."},
    {E::invalid_parameter, 100, 100, "invalid_parameter", "Invalid parameter", 400, false,
     "The request had an unsupported, misspelled or too long parameter; Meta's details name it, "
     "fix the request and send it again."},
    {E::access_token_expired, 190, 190, "access_token_expired", "Access token has expired", 401,
     false,
     "The access token has expired; generate a new one (a system-user token does not expire) "
     "and update the configuration."},
    {E::api_permission, 200, 299, "api_permission", "API Permission", 403, false,
     "The permission is not granted or was removed; check the token's permissions in Meta's "
     "access token debugger (sending needs whatsapp_business_messaging, creating or deleting "
     "templates whatsapp_business_management)."},
    {E::temporarily_blocked, 368, 368, "temporarily_blocked",
     "Temporarily blocked for policies violations", 403, false,
     "The WhatsApp Business Account is restricted for a policy violation; see Policy "
     "Enforcement in WhatsApp Manager, retrying will not help."},
    {E::waba_rate_limit, 80007, 80007, "waba_rate_limit", "Rate limit issues", 400, true,
     "The WhatsApp Business Account reached its API rate limit; retry later with fewer calls."},
    {E::rate_limit_hit, 130429, 130429, "rate_limit_hit", "Rate limit hit", 400, true,
     "Cloud API message throughput was reached; retry with exponential backoff starting at a "
     "few seconds, and send more slowly."},
    {E::user_in_experiment, 130472, 130472, "user_in_experiment",
     "User's number is part of an experiment", 400, false,
     "Meta held this marketing message back as part of an experiment; do not retry it."},
    {E::country_restricted, 130497, 130497, "country_restricted",
     "Business account is restricted from messaging users in this country", 403, false,
     "This business may not message users in the recipient's country; retrying will not help."},
    {E::something_went_wrong, 131000, 131000, "something_went_wrong", "Something went wrong", 500,
     true,
     "The message failed for an unknown reason on Meta's side; retry later, and open a Meta "
     "support ticket with the fbtrace_id if it persists."},
    {E::access_denied, 131005, 131005, "access_denied", "Access denied", 403, false,
     "The permission is not granted or was removed; check the token's permissions in Meta's "
     "access token debugger."},
    {E::required_parameter_missing, 131008, 131008, "required_parameter_missing",
     "Required parameter is missing", 400, false,
     "The request lacks a required parameter; Meta's details name it, add it and send again."},
    {E::parameter_value_invalid, 131009, 131009, "parameter_value_invalid",
     "Parameter value is not valid", 400, false,
     "A parameter value is invalid (often the recipient number or the phone_number_id); Meta's "
     "details say which, fix it and send again."},
    {E::service_unavailable, 131016, 131016, "service_unavailable", "Service unavailable", 500,
     true, "A Meta service is temporarily unavailable; retry with backoff in a few minutes."},
    {E::recipient_is_sender, 131021, 131021, "recipient_is_sender", "Recipient cannot be sender",
     400, false, "The recipient is the sending business number itself; send to another number."},
    {E::message_undeliverable, 131026, 131026, "message_undeliverable", "Message Undeliverable",
     400, false,
     "The message cannot be delivered: the number may not be on WhatsApp, the user may not have "
     "accepted the latest terms or uses an old app version; ask them by other means to message "
     "the business number, do not retry."},
    {E::account_locked, 131031, 131031, "account_locked", "Account has been locked", 403, false,
     "The business account is locked (policy violation or a wrong two-step PIN); check its "
     "health status in WhatsApp Manager, retrying will not help."},
    {E::display_name_not_approved, 131037, 131037, "display_name_not_approved",
     "WhatsApp provided number needs display name approval before message can be sent", 400, false,
     "The sending number has no approved display name yet; get the display name approved in "
     "WhatsApp Manager first."},
    {E::payment_issue, 131042, 131042, "payment_issue", "Business eligibility payment issue", 400,
     false,
     "There is a problem with the account's payment method or credit line; fix billing in "
     "Meta Business Suite, then send again."},
    {E::incorrect_certificate, 131045, 131045, "incorrect_certificate", "Incorrect certificate",
     500, false,
     "The sending phone number is not properly registered; register it with the Cloud API "
     "before sending again."},
    {E::reengagement_required, 131047, 131047, "reengagement_required", "Re-engagement message",
     400, false,
     "The 24-hour customer service window is closed; send an approved template instead."},
    {E::spam_rate_limit, 131048, 131048, "spam_rate_limit", "Spam rate limit hit", 400, false,
     "Too many earlier messages from this number were blocked or flagged as spam; check the "
     "number's quality rating in WhatsApp Manager and send less, retrying now will not help."},
    {E::meta_chose_not_to_deliver, 131049, 131049, "meta_chose_not_to_deliver",
     "Meta chose not to deliver", 400, false,
     "Meta held this marketing message back to limit how many a user receives; wait at least "
     "24 hours before sending this user another marketing template."},
    {E::marketing_opted_out, 131050, 131050, "marketing_opted_out",
     "User has stopped receipt of marketing messages", 400, false,
     "The user stopped marketing messages from this business; do not send them marketing "
     "templates again."},
    {E::unsupported_message_type, 131051, 131051, "unsupported_message_type",
     "Unsupported message type", 400, false,
     "This message type is not supported; send a supported type (text, media, template, "
     "interactive...) instead."},
    {E::media_download_error, 131052, 131052, "media_download_error", "Media download error", 400,
     false,
     "Meta could not download the media the user sent; ask the user to send the file again or "
     "by other means."},
    {E::media_upload_error, 131053, 131053, "media_upload_error", "Media upload error", 400, false,
     "Meta could not process the media in the message (often an unsupported type or size); "
     "check Meta's details and send a supported file."},
    {E::pair_rate_limit, 131056, 131056, "pair_rate_limit",
     "(Business Account, Consumer Account) pair rate limit hit", 400, true,
     "Too many messages to this same recipient in a short time; wait before messaging them again "
     "(about 6 seconds between messages), other recipients are not affected."},
    {E::account_in_maintenance, 131057, 131057, "account_in_maintenance",
     "Account in maintenance mode", 500, true,
     "The business account is in maintenance mode (for example a throughput upgrade); retry in "
     "a few minutes."},
    {E::bsuid_recipient_not_supported, 131062, 131062, "bsuid_recipient_not_supported",
     "Business-scoped User ID (BSUID) recipients are not supported for this message.", 400, false,
     "This message needs the user's phone number (authentication templates, templates with "
     "dynamic pricing): send it to their phone number if it is known, or first ask them to share "
     "it (a template with a request-contact-info button) and send other messages meanwhile."},
    {E::template_param_count_mismatch, 132000, 132000, "template_param_count_mismatch",
     "Template Param Count Mismatch", 400, false,
     "The number of template parameters does not match the template; send exactly the "
     "parameters the approved template defines."},
    {E::template_not_found, 132001, 132001, "template_not_found", "Template does not exist", 404,
     false,
     "The template does not exist in this language or is not approved; check the template name "
     "and language code against list_templates."},
    {E::template_text_too_long, 132005, 132005, "template_text_too_long",
     "Template Hydrated Text Too Long", 400, false,
     "The template text with its parameters is too long; shorten the parameter values."},
    {E::template_policy_violation, 132007, 132007, "template_policy_violation",
     "Template Format Character Policy Violated", 400, false,
     "The template content violates a WhatsApp policy; change the content or use another "
     "template."},
    {E::template_param_format_mismatch, 132012, 132012, "template_param_format_mismatch",
     "Template Parameter Format Mismatch", 400, false,
     "Template parameter values are not in the format the template expects (named vs positional, "
     "types); fix the parameters and send again."},
    {E::template_paused, 132015, 132015, "template_paused", "Template is Paused", 400, false,
     "The template is paused for low quality; edit it or use another approved template."},
    {E::template_disabled, 132016, 132016, "template_disabled", "Template is Disabled", 400, false,
     "The template was paused too often and is permanently disabled; create a new template or "
     "use another one."},
    {E::template_error, 132000, 132016, "template_error", "Template error", 400, false,
     "Meta rejected the template message; read Meta's details and check the template name, "
     "language and parameters."},
    {E::flow_blocked, 132068, 132068, "flow_blocked", "Flow is blocked", 400, false,
     "The WhatsApp Flow is blocked; fix the Flow before sending it again."},
    {E::flow_throttled, 132069, 132069, "flow_throttled", "Flow is throttled", 400, false,
     "The WhatsApp Flow is throttled (10 messages in the last hour); fix the Flow or wait an "
     "hour."},
    {E::incomplete_deregistration, 133000, 133000, "incomplete_deregistration",
     "Incomplete Deregistration", 500, false,
     "A previous deregistration failed; deregister the number again before registering it."},
    {E::registration_server_unavailable, 133004, 133004, "registration_server_unavailable",
     "Server Temporarily Unavailable", 503, true,
     "The registration server is temporarily unavailable; retry later and check Meta's details."},
    {E::two_step_pin_mismatch, 133005, 133005, "two_step_pin_mismatch",
     "Two step verification PIN Mismatch", 400, false,
     "The two-step verification PIN is wrong; use the correct PIN or reset it in WhatsApp "
     "Manager."},
    {E::reverification_needed, 133006, 133006, "reverification_needed",
     "Phone number re-verification needed", 400, false,
     "The phone number must be verified again before it can be registered; verify it, then "
     "register."},
    {E::too_many_pin_guesses, 133008, 133008, "too_many_pin_guesses",
     "Too Many two step verification PIN Guesses", 400, false,
     "Too many wrong two-step PIN attempts; wait the time Meta's details give before trying "
     "again."},
    {E::pin_guessed_too_fast, 133009, 133009, "pin_guessed_too_fast",
     "Two step verification PIN Guessed Too Fast", 400, false,
     "The two-step PIN was entered too quickly; wait as Meta's details say before trying again."},
    {E::number_not_registered, 133010, 133010, "number_not_registered",
     "Phone number Not Registered", 400, false,
     "The business phone number is not registered with the Cloud API; register it before "
     "sending."},
    {E::number_recently_deleted, 133015, 133015, "number_recently_deleted",
     "Please wait a few minutes before attempting to register this phone number", 400, true,
     "The number was recently deleted and deletion is not finished; wait 5 minutes and retry."},
    {E::registration_rate_limit, 133016, 133016, "registration_rate_limit",
     "Account register deregister rate limit exceeded", 400, false,
     "Too many registration attempts for this number; it is blocked for now, try again once "
     "Meta unblocks it."},
    {E::registration_error, 133000, 133016, "registration_error", "Phone number registration error",
     400, false,
     "Registering or deregistering the phone number failed; read Meta's details and check the "
     "number's status in WhatsApp Manager."},
    {E::payments_terms_not_accepted, 134011, 134011, "payments_terms_not_accepted",
     "WhatsApp Payments terms of service has not been accepted", 400, false,
     "The WhatsApp Payments terms of service are not accepted; accept them via the link in "
     "Meta's message, then send again."},
    {E::generic_user_error, 135000, 135000, "generic_user_error", "Generic user error", 400, false,
     "Meta rejected the request parameters for an unknown reason; check the request against the "
     "endpoint reference and contact Meta support with the fbtrace_id if it persists."},
    {E::server_unavailable, -1, -1, "server_unavailable", "Graph API server error", 0, true,
     "The Graph API answered with a server error and no Meta error details; retry with backoff "
     "in a few seconds to minutes."},
    {E::too_many_requests, -1, -1, "too_many_requests", "Too many requests", 429, true,
     "The Graph API answered 429 Too Many Requests; wait (honour Retry-After if given) and "
     "retry with backoff."},
    {E::unparseable_response, -1, -1, "unparseable_response", "Unreadable Graph API response", 0,
     false,
     "The Graph API answered with an error Pons could not read; check the Graph base URL and "
     "network path (proxy, firewall), then retry."},
    {E::template_limit_exceeded, 2388019, 2388019, "template_limit_exceeded",
     "Message template count limit exceeded", 400, false,
     "The WhatsApp Business Account has as many templates as Meta allows (250 until the business "
     "is verified); delete templates no longer used (delete_template) and create it again."},
    {E::template_language_deleting, 2388023, 2388023, "template_language_deleting",
     "Message template language is being deleted", 400, false,
     "A template of this name and language was deleted in the last 30 days and Meta keeps the "
     "name until then; create the template under a new name."},
    {E::template_language_exists, 2388024, 2388024, "template_language_exists",
     "Content in This Language Already Exists", 400, false,
     "A template with this name already exists in this language; choose another name (or "
     "another language), or delete the existing one first (delete_template)."},
    {E::template_character_limit, 2388040, 2388040, "template_character_limit",
     "Character limit exceeded", 400, false,
     "A component is longer than Meta allows (body 1024 characters, header and footer 60, "
     "button text 25); shorten the one Meta's details name and create it again."},
    {E::template_sample_missing, 2388043, 2388043, "template_sample_missing",
     "Missing sample values", 400, false,
     "A variable has no example value; add one per variable (example.body_text, "
     "body_text_named_params, header_text or header_text_named_params) and create it again."},
    {E::template_header_format, 2388047, 2388047, "template_header_format",
     "Message header format is incorrect", 400, false,
     "The header is not in a form Meta accepts (text at most 60 characters with at most one "
     "variable, no newlines, emojis or formatting; media with an example header_handle); fix it "
     "and create it again."},
    {E::template_body_format, 2388072, 2388072, "template_body_format",
     "Message body format is incorrect", 400, false,
     "The body is not in a form Meta accepts (variables {{1}}, {{2}}... in order with an example "
     "each, not next to each other); fix it and create it again."},
    {E::template_footer_format, 2388073, 2388073, "template_footer_format",
     "Message footer format is incorrect", 400, false,
     "The footer is not in a form Meta accepts (plain text, at most 60 characters, no variables); "
     "fix it and create it again."},
    {E::template_too_many_variables, 2388293, 2388293, "template_too_many_variables",
     "Parameters words ratio exceeds limit", 400, false,
     "The template has too many variables for its length; add words around them or use fewer "
     "variables, then create it again."},
    {E::template_variable_at_edge, 2388299, 2388299, "template_variable_at_edge",
     "Variables can't be at the start or end of the template", 400, false,
     "The body starts or ends with a variable; put words before the first and after the last "
     "one, then create it again."},
    {E::template_name_not_found, 2593002, 2593002, "template_name_not_found",
     "Message template not found", 400, false,
     "Meta has no template of this name (or id) in this account; check the name with "
     "sync_templates and list_templates (status all)."},
}};

static_assert(static_cast<int>(catalogue.back().code) == static_cast<int>(catalogue.size()),
              "catalogue rows must cover every enumerator, in order");

class meta_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.meta"; }
  std::string message(int ev) const override {
    const auto& info = meta_info(static_cast<meta_errc>(ev));
    return fmt::format("{}: {}", info.title, info.hint);
  }
};

// An integer from a JSON number or a numeric string (proxies and old Graph versions differ).
std::optional<std::int64_t> as_int(const boost::json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) {
    auto u = v->get_uint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (v->is_double()) {
    double d = v->get_double();
    if (d >= -2e9 && d <= 2e9) return static_cast<std::int64_t>(d);
    return std::nullopt;
  }
  if (v->is_string()) {
    const auto& s = v->get_string();
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc{} && p == s.data() + s.size()) return n;
  }
  return std::nullopt;
}

int clamp_int(std::int64_t n) {
  if (n > std::numeric_limits<int>::max()) return std::numeric_limits<int>::max();
  if (n < std::numeric_limits<int>::min()) return std::numeric_limits<int>::min();
  return static_cast<int>(n);
}

std::string as_string(const boost::json::value* v) {
  if (v == nullptr) return {};
  if (v->is_string()) return std::string(v->get_string());
  return {};
}

const boost::json::value* find(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

// A short, printable excerpt of a body that was not a Meta envelope (an HTML error page from a
// proxy, say), for the log and the assistant.
std::string excerpt(std::string_view body) {
  constexpr std::size_t max_len = 160;
  std::string out;
  bool space = false;
  for (char c : body) {
    if (out.size() >= max_len) {
      out += "...";
      break;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

// Meta's messages often end with a period; the explanation adds its own, so one is dropped
// ("Session has expired." would become "expired.."). An ellipsis stays.
std::string_view sentence_body(std::string_view s) {
  if (s.size() >= 2 && s.back() == '.' && s[s.size() - 2] != '.') s.remove_suffix(1);
  return s;
}

meta_errc classify_without_code(int http_status, bool had_envelope) {
  if (http_status == 429) return meta_errc::too_many_requests;
  if (http_status >= 500 && http_status <= 599) return meta_errc::server_unavailable;
  return had_envelope ? meta_errc::unknown : meta_errc::unparseable_response;
}

}  // namespace

std::span<const meta_code_info> meta_catalogue() noexcept {
  return catalogue;
}

const meta_code_info& meta_info(meta_errc code) noexcept {
  auto i = static_cast<std::size_t>(code);
  if (i < 1 || i > catalogue.size()) return catalogue[0];
  return catalogue[i - 1];
}

meta_errc meta_errc_from_code(int meta_code) noexcept {
  if (meta_code < 0) return meta_errc::unknown;
  // Exact codes first, so a documented template or registration code beats its range fallback.
  for (const auto& row : catalogue) {
    if (row.first == meta_code && row.last == meta_code) return row.code;
  }
  for (const auto& row : catalogue) {
    if (row.first <= meta_code && meta_code <= row.last) return row.code;
  }
  return meta_errc::unknown;
}

meta_errc meta_errc_from_codes(int meta_code, int subcode) noexcept {
  if (subcode >= first_meta_subcode) {
    if (auto by_subcode = meta_errc_from_code(subcode); by_subcode != meta_errc::unknown) {
      return by_subcode;
    }
  }
  return meta_errc_from_code(meta_code);
}

const boost::system::error_category& meta_category() noexcept {
  static const meta_category_impl category;
  return category;
}

boost::system::error_code make_error_code(meta_errc e) noexcept {
  return {static_cast<int>(e), meta_category()};
}

bool meta_error::retryable() const noexcept {
  if (code == meta_errc::unknown) {
    return http_status == 429 || (http_status >= 500 && http_status <= 599);
  }
  return meta_info(code).retryable;
}

std::string_view meta_error::title() const noexcept {
  if (code == meta_errc::unknown && !message.empty()) return message;
  return meta_info(code).title;
}

std::string_view meta_error::hint() const noexcept {
  return meta_info(code).hint;
}

std::string meta_error::explain() const {
  std::string out;
  if (meta_code >= 0 && subcode >= first_meta_subcode) {
    out = fmt::format("Meta error {} (subcode {})", meta_code, subcode);
  } else if (meta_code >= 0) {
    out = fmt::format("Meta error {}", meta_code);
  } else {
    out = "Graph API error";
  }
  if (http_status > 0) out += fmt::format(" (HTTP {})", http_status);
  out += ": ";
  out += sentence_body(message.empty() ? meta_info(code).title : std::string_view(message));
  if (!user_title.empty() && user_title != message) {
    out += fmt::format(": {}", sentence_body(user_title));
  }
  if (!details.empty() && details != message) out += fmt::format(" ({})", details);
  out += ". ";
  out += hint();
  if (retryable()) out += " This can be retried.";
  if (!fbtrace_id.empty()) out += fmt::format(" Meta trace id: {}.", fbtrace_id);
  return out;
}

meta_error parse_graph_error(std::string_view body, int http_status) {
  meta_error e;
  e.http_status = http_status;

  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 16;
  boost::json::value root = boost::json::parse(body, ec, {}, opts);
  const boost::json::object* envelope = nullptr;
  if (!ec && root.is_object()) {
    if (auto* err = find(root.get_object(), "error"); err != nullptr && err->is_object()) {
      envelope = &err->get_object();
    }
  }

  if (envelope == nullptr) {
    e.code = classify_without_code(http_status, false);
    e.message = std::string(meta_info(e.code).title);
    e.details = excerpt(body);
    return e;
  }

  e.message = as_string(find(*envelope, "message"));
  e.type = as_string(find(*envelope, "type"));
  e.fbtrace_id = as_string(find(*envelope, "fbtrace_id"));
  if (auto sub = as_int(find(*envelope, "error_subcode"))) e.subcode = clamp_int(*sub);
  if (auto* data = find(*envelope, "error_data")) {
    if (data->is_object()) {
      e.details = as_string(find(data->get_object(), "details"));
    } else if (data->is_string()) {
      // Older Graph versions send error_data as a JSON document inside a string.
      boost::system::error_code inner_ec;
      auto inner = boost::json::parse(data->get_string(), inner_ec, {}, opts);
      if (!inner_ec && inner.is_object()) {
        e.details = as_string(find(inner.get_object(), "details"));
      } else {
        e.details = std::string(data->get_string());
      }
    }
  }
  if (e.details.empty()) e.details = as_string(find(*envelope, "error_user_msg"));
  e.user_title = as_string(find(*envelope, "error_user_title"));

  if (auto code = as_int(find(*envelope, "code")); code && *code >= 0) {
    e.meta_code = clamp_int(*code);
    e.code = meta_errc_from_codes(e.meta_code, e.subcode);
  } else {
    e.code = classify_without_code(http_status, true);
  }
  return e;
}

meta_error meta_error_from_code(int meta_code, int http_status) {
  meta_error e;
  e.code = meta_errc_from_code(meta_code);
  e.meta_code = meta_code;
  e.http_status = http_status;
  if (e.code != meta_errc::unknown) e.message = std::string(meta_info(e.code).title);
  return e;
}

meta_error meta_error_from_detail(const meta_error_detail& detail) {
  meta_error e;
  e.code = meta_errc_from_code(detail.code);
  e.meta_code = detail.code;
  e.message = !detail.message.empty() ? detail.message : detail.title;
  e.details = detail.details;
  return e;
}

}  // namespace pons::domain
