#pragma once
// The domain records Pons keeps: what the webhook normaliser produces, what storage writes and
// what the MCP tools read. Plain data, no I/O. Ids and Meta timestamps stay strings as Meta sent
// them; `*_unix` fields are the parsed seconds (0 when Meta sent none or garbage).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pons::domain {

/// Which way a message travelled, seen from the business.
enum class direction { inbound, outbound };

/// Delivery state of a message. Order matters: statuses never move backwards (see status_rank).
enum class message_status { pending, sent, delivered, read, played, failed, received };

/// A WhatsApp user as Meta identifies them. `wa_id` may be empty for username (BSUID) users,
/// who are then addressed by `user_id`.
struct contact {
  std::string wa_id;
  std::string user_id;
  std::string username;  // without a leading '@'
  std::string profile_name;
  std::string parent_user_id;  // Meta's parent BSUID, when the business enrolled for one
};

/// One error object from Meta (`errors[]` in messages, statuses and value-level errors).
struct meta_error_detail {
  int code = 0;
  std::string title;
  std::string message;
  std::string details;  // error_data.details
  std::string href;
};

/// Media attached to a message (image, video, audio, document, sticker).
struct media_ref {
  std::string media_id;
  std::string mime_type;
  std::string sha256;
  std::string caption;
  std::string filename;
  std::string url;  // present in newer payloads; expires after 5 minutes and needs the token
  bool voice = false;
  bool animated = false;
};

/// A shared place. (0, 0) is a valid place; name and address may be absent.
struct location {
  double latitude = 0;
  double longitude = 0;
  std::string name;
  std::string address;
  std::string url;
};

/// A reaction to another message; an empty emoji removes an earlier reaction.
struct reaction {
  std::string message_id;
  std::string emoji;
};

/// The reply/forward context of a message.
struct message_context {
  std::string message_id;  // the message this one replies to
  std::string from;
  bool forwarded = false;
  bool frequently_forwarded = false;
  std::string referred_product_catalog_id;
  std::string referred_product_retailer_id;
};

/// Interactive replies (button_reply, list_reply, nfm_reply) and template quick-reply buttons.
struct interactive_reply {
  std::string kind;  // button_reply | list_reply | nfm_reply | button
  std::string id;    // reply id, or button payload
  std::string title;
  std::string description;
  std::string response_json;  // nfm_reply.response_json, kept verbatim
};

/// What a message says about its sender's own ids: a system message for a changed phone number
/// (Meta then regenerates the BSUID) or a changed BSUID, or the user's own phone number shared
/// through a request-contact-info button (a contacts message with origin "contact_request").
struct identity_notice {
  enum class what { number_changed, user_id_changed, phone_shared };
  what change = what::number_changed;
  std::string wa_id;  // the new (or shared) phone-based id
  std::string user_id;
  std::string parent_user_id;
  std::string previous_user_id;
};

/// A message Meta delivered to us, normalised.
struct inbound_message {
  std::string phone_number_id;  // our number that received it
  std::string display_phone_number;
  std::string waba_id;  // entry[].id
  std::string wamid;
  std::string from;                 // wa_id of the sender; may be empty (username users)
  std::string from_user_id;         // business-scoped user id, when present
  std::string from_parent_user_id;  // parent BSUID, when Meta sends one
  contact sender;                   // from contacts[] of the same change
  std::string timestamp;            // as Meta sent it (seconds, string)
  std::int64_t timestamp_unix = 0;
  std::string type;  // Meta's type string, kept even when unknown to us
  std::string text;  // body, caption or a short rendering for search and previews
  std::optional<media_ref> media;
  std::optional<location> place;
  std::optional<reaction> reacted;
  std::optional<interactive_reply> reply;
  std::optional<message_context> context;
  std::string contacts_json;                // shared contacts[] (type "contacts"), verbatim JSON
  std::string order_json;                   // order object, verbatim JSON
  std::string referral_json;                // click-to-WhatsApp referral, verbatim JSON
  std::string system_json;                  // system message body, verbatim JSON
  std::optional<identity_notice> identity;  // the sender's ids changed or were shared
  std::vector<meta_error_detail> errors;    // unsupported/unknown messages carry these
  std::string raw_json;                     // the message object, redacted, compact
};

/// Pricing/conversation data a status may carry (all optional in Meta's payloads).
struct status_pricing {
  std::string conversation_id;
  std::string conversation_origin;  // conversation.origin.type
  std::string conversation_expiration;
  bool billable = false;
  std::string pricing_model;
  std::string pricing_category;
  std::string pricing_type;
};

/// A delivery status for a message we sent (sent, delivered, read, played, failed).
struct status_update {
  std::string phone_number_id;
  std::string waba_id;
  std::string wamid;   // statuses[].id
  std::string status;  // Meta's string, kept even when unknown
  std::string timestamp;
  std::int64_t timestamp_unix = 0;
  std::string recipient_id;       // may be empty for username users
  std::string recipient_user_id;  // business-scoped user id, when present
  std::optional<status_pricing> pricing;
  std::vector<meta_error_detail> errors;
  std::string biz_opaque_callback_data;
  std::string raw_json;  // the status object, redacted, compact
};

/// Anything else Meta tells us (template status, account, quality, user preferences...).
struct account_event {
  std::string field;  // changes[].field
  std::string waba_id;
  std::string phone_number_id;  // when the change carries metadata
  std::string event;            // e.g. value.event, or the field name again when none
  std::string subject;          // e.g. template name or id, when the event is about one
  std::string value_json;       // changes[].value, redacted, compact
};

/// At most this many parts a webhook_batch could not use are described one by one.
inline constexpr std::size_t max_skip_notes = 16;

/// Everything one webhook POST contained, in payload order.
struct webhook_batch {
  std::string object;  // "whatsapp_business_account" for the payloads we handle
  std::vector<inbound_message> messages;
  std::vector<status_update> statuses;
  std::vector<contact> contacts;  // every contact seen, with the number that saw it
  std::vector<std::string> contact_phone_number_ids;  // parallel to contacts
  std::vector<account_event> events;
  std::vector<meta_error_detail> value_errors;  // value-level errors[] (e.g. 130429)
  std::vector<std::string> phone_number_ids;    // distinct metadata.phone_number_id, in order
  std::vector<std::string> waba_ids;            // distinct entry[].id (WABA ids), in order
  /// Parts of the payload that became no record, each with where and why ("entry[0].changes[1]:
  /// metadata.phone_number_id is missing or not a digit string; change skipped"): at most
  /// max_skip_notes of them, skipped_total counts them all.
  std::vector<std::string> skipped;
  std::size_t skipped_total = 0;
};

}  // namespace pons::domain
