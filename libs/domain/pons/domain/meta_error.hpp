#pragma once
// Errors from Meta's Graph / WhatsApp Cloud API as typed values. Meta documents a catalogue of
// codes (docs/errors.md lists the one implemented here); each carries a title, whether the same
// request may succeed if retried later, and a one-sentence hint an assistant can act on.
// Unknown codes pass through with Meta's original text.

#include <boost/system/error_code.hpp>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "pons/domain/message.hpp"

namespace pons::domain {

/// The Cloud API error catalogue. Values are ours (zero means success in error_code); the Meta
/// code of each is in meta_catalogue(). Synthetic entries (no Meta code) describe responses that
/// carried no usable error envelope.
enum class meta_errc {
  unknown = 1,                      ///< a Meta code not in the catalogue
  auth_exception,                   ///< 0
  api_unknown,                      ///< 1
  api_service,                      ///< 2
  api_method,                       ///< 3
  api_too_many_calls,               ///< 4
  permission_denied,                ///< 10
  phone_number_deleted,             ///< 33
  invalid_parameter,                ///< 100
  access_token_expired,             ///< 190
  api_permission,                   ///< 200-299
  temporarily_blocked,              ///< 368
  waba_rate_limit,                  ///< 80007
  rate_limit_hit,                   ///< 130429
  user_in_experiment,               ///< 130472
  country_restricted,               ///< 130497
  something_went_wrong,             ///< 131000
  access_denied,                    ///< 131005
  required_parameter_missing,       ///< 131008
  parameter_value_invalid,          ///< 131009
  service_unavailable,              ///< 131016
  recipient_is_sender,              ///< 131021
  message_undeliverable,            ///< 131026
  account_locked,                   ///< 131031
  display_name_not_approved,        ///< 131037
  payment_issue,                    ///< 131042
  incorrect_certificate,            ///< 131045
  reengagement_required,            ///< 131047
  spam_rate_limit,                  ///< 131048
  meta_chose_not_to_deliver,        ///< 131049
  marketing_opted_out,              ///< 131050
  unsupported_message_type,         ///< 131051
  media_download_error,             ///< 131052
  media_upload_error,               ///< 131053
  pair_rate_limit,                  ///< 131056
  account_in_maintenance,           ///< 131057
  bsuid_recipient_not_supported,    ///< 131062
  template_param_count_mismatch,    ///< 132000
  template_not_found,               ///< 132001
  template_text_too_long,           ///< 132005
  template_policy_violation,        ///< 132007
  template_param_format_mismatch,   ///< 132012
  template_paused,                  ///< 132015
  template_disabled,                ///< 132016
  template_error,                   ///< other codes in 132000-132016
  flow_blocked,                     ///< 132068
  flow_throttled,                   ///< 132069
  incomplete_deregistration,        ///< 133000
  registration_server_unavailable,  ///< 133004
  two_step_pin_mismatch,            ///< 133005
  reverification_needed,            ///< 133006
  too_many_pin_guesses,             ///< 133008
  pin_guessed_too_fast,             ///< 133009
  number_not_registered,            ///< 133010
  number_recently_deleted,          ///< 133015
  registration_rate_limit,          ///< 133016
  registration_error,               ///< other codes in 133000-133016
  payments_terms_not_accepted,      ///< 134011
  generic_user_error,               ///< 135000
  server_unavailable,               ///< synthetic: HTTP 5xx without a Meta error envelope
  too_many_requests,                ///< synthetic: HTTP 429 without a Meta error envelope
  unparseable_response,             ///< synthetic: any other response without an envelope
  // Template management: Meta answers these as code 100 with this `error_subcode`.
  template_limit_exceeded,      ///< 2388019
  template_language_deleting,   ///< 2388023
  template_language_exists,     ///< 2388024
  template_character_limit,     ///< 2388040
  template_sample_missing,      ///< 2388043
  template_header_format,       ///< 2388047
  template_body_format,         ///< 2388072
  template_footer_format,       ///< 2388073
  template_too_many_variables,  ///< 2388293
  template_variable_at_edge,    ///< 2388299
  template_name_not_found,      ///< 2593002
};

/// Catalogue rows from this number up are Meta `error_subcode`s (template management), not codes.
inline constexpr int first_meta_subcode = 1000000;

/// One catalogue row: which Meta codes map to an enumerator and what to tell the caller.
struct meta_code_info {
  meta_errc code;
  int first;               ///< first Meta code covered (-1 for synthetic entries)
  int last;                ///< last Meta code covered (== first unless a range such as 200-299)
  std::string_view name;   ///< the enumerator's name, e.g. "reengagement_required"
  std::string_view title;  ///< Meta's title, e.g. "Re-engagement message"
  int http_status;         ///< the HTTP status Meta documents for it (0 when none)
  bool retryable;          ///< the same request may succeed later without changes
  std::string_view hint;   ///< one sentence: what happened and what to do next
};

/// Every catalogue row, one per enumerator, in enumerator order.
std::span<const meta_code_info> meta_catalogue() noexcept;

/// The catalogue row of an enumerator (the `unknown` row for values out of range).
const meta_code_info& meta_info(meta_errc code) noexcept;

/// Maps a Meta error code to its enumerator; `unknown` when the catalogue lacks it.
meta_errc meta_errc_from_code(int meta_code) noexcept;

/// Maps Meta's code and subcode: a subcode the catalogue lists (template management) wins over
/// the code it came with (100).
meta_errc meta_errc_from_codes(int meta_code, int subcode) noexcept;

/// The error category of meta_errc ("pons.meta"); messages are "<title>: <hint>".
const boost::system::error_category& meta_category() noexcept;

/// Makes meta_errc usable as a boost::system::error_code.
boost::system::error_code make_error_code(meta_errc e) noexcept;

/// A Meta error as received: the typed code plus everything Meta said about it.
struct meta_error {
  meta_errc code = meta_errc::unknown;
  int meta_code = -1;      ///< Meta's `code` as received; -1 when the response had none
  int subcode = 0;         ///< `error_subcode` (deprecated by Meta, still sent sometimes)
  int http_status = 0;     ///< HTTP status of the response; 0 for webhook errors
  std::string type;        ///< e.g. "OAuthException"
  std::string message;     ///< Meta's message, e.g. "(#130429) Rate limit hit"
  std::string details;     ///< error_data.details: the most specific explanation Meta gives
  std::string user_title;  ///< error_user_title: Meta's heading for a person (templates)
  std::string fbtrace_id;

  /// True when the same request may succeed later (rate limits, outages, HTTP 5xx/429).
  bool retryable() const noexcept;
  /// Meta's title for the code (the catalogue's, or Meta's message for unknown codes).
  std::string_view title() const noexcept;
  /// One sentence saying what to do next.
  std::string_view hint() const noexcept;
  /// A short paragraph for a person or an assistant: what failed, Meta's words, what to do.
  std::string explain() const;
  /// The typed code as an error_code.
  boost::system::error_code error_code() const noexcept { return make_error_code(code); }
};

/// Parses a Graph API error response body (`{"error":{...}}`). Never fails: garbage, an HTML
/// 502 page or missing fields still give a meta_error classified by `http_status`.
meta_error parse_graph_error(std::string_view body, int http_status);

/// A meta_error for a bare Meta code (message = the catalogue title).
meta_error meta_error_from_code(int meta_code, int http_status = 0);

/// A meta_error from an `errors[]` entry of a webhook (failed status, unsupported message...).
meta_error meta_error_from_detail(const meta_error_detail& detail);

}  // namespace pons::domain

namespace boost::system {
template <>
struct is_error_code_enum<pons::domain::meta_errc> : std::true_type {};
}  // namespace boost::system
