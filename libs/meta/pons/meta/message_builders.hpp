#pragma once
// Request bodies for POST /{phone-number-id}/messages, built exactly as Meta documents them and
// validated against Meta's documented limits before anything is sent. Pure: no I/O.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace pons::meta {

/// Meta's documented limits (characters, counted as Unicode code points).
namespace limits {
inline constexpr std::size_t text_body = 4096;
inline constexpr std::size_t caption = 1024;
inline constexpr std::size_t interactive_header_text = 60;
inline constexpr std::size_t interactive_footer_text = 60;
inline constexpr std::size_t button_body_text = 1024;
inline constexpr std::size_t list_body_text = 4096;
inline constexpr std::size_t cta_body_text = 1024;
inline constexpr std::size_t reply_buttons = 3;
inline constexpr std::size_t reply_button_title = 20;
inline constexpr std::size_t reply_button_id = 256;
inline constexpr std::size_t list_button_text = 20;
inline constexpr std::size_t list_sections = 10;
inline constexpr std::size_t list_rows_total = 10;
inline constexpr std::size_t list_section_title = 24;
inline constexpr std::size_t list_row_title = 24;
inline constexpr std::size_t list_row_id = 200;
inline constexpr std::size_t list_row_description = 72;
inline constexpr std::size_t cta_display_text = 20;
}  // namespace limits

/// Why a message cannot be built; each message names the limit.
enum class build_errc {
  missing_recipient = 1,
  empty_text,
  text_too_long,
  media_source,  // exactly one of id and link
  caption_too_long,
  caption_not_allowed,
  filename_not_allowed,
  invalid_coordinates,
  no_contacts,
  missing_reaction_target,
  empty_body,
  body_too_long,
  header_too_long,
  footer_too_long,
  no_buttons,
  too_many_buttons,
  button_title_invalid,
  button_id_invalid,
  duplicate_id,
  list_button_invalid,
  no_rows,
  too_many_sections,
  too_many_rows,
  section_title_invalid,
  row_title_invalid,
  row_id_invalid,
  row_description_too_long,
  cta_display_text_invalid,
  cta_url_invalid,
  missing_template_name,
  missing_template_language,
  mixed_parameter_formats,
  invalid_header,
};

/// The error category of build_errc ("pons.meta.build").
const boost::system::error_category& build_category() noexcept;
/// Makes build_errc usable as an error_code.
boost::system::error_code make_error_code(build_errc e) noexcept;

/// Who receives a message: a phone number (wa_id, sent as `to`) or a business-scoped user id
/// (sent as `recipient`; Meta lets `to` win when both are present, so only one is sent).
struct recipient {
  std::string wa_id;
  std::string user_id;
};

/// Plain text; `preview_url` asks WhatsApp to render a link preview.
struct text_message {
  std::string body;
  bool preview_url = false;
};

/// Which media message type.
enum class media_kind { image, video, audio, document, sticker };

/// Media by uploaded id or by public link (exactly one).
struct media_message {
  media_kind kind = media_kind::image;
  std::string id;
  std::string link;
  std::string caption;   // image, video, document
  std::string filename;  // document
  bool voice = false;    // audio: a voice note
};

/// A place on the map.
struct location_message {
  double latitude = 0;
  double longitude = 0;
  std::string name;
  std::string address;
};

/// Contact cards, as Meta's contact objects (name.formatted_name required in each).
struct contacts_message {
  boost::json::array contacts;
};

/// A reaction to a message; an empty emoji removes the earlier reaction.
struct reaction_message {
  std::string message_id;
  std::string emoji;
};

/// The optional header of an interactive message: text, or media by id or link.
struct interactive_header {
  std::string type;  // "" (none), text, image, video, document
  std::string text;
  std::string media_id;
  std::string media_link;
  std::string filename;  // document headers
};

/// One quick-reply button.
struct reply_button {
  std::string id;
  std::string title;
};

/// Interactive reply buttons (1 to 3).
struct buttons_message {
  interactive_header header;
  std::string body;
  std::string footer;
  std::vector<reply_button> buttons;
};

/// One row of a list message.
struct list_row {
  std::string id;
  std::string title;
  std::string description;
};

/// One section of a list message (title required when there are several).
struct list_section {
  std::string title;
  std::vector<list_row> rows;
};

/// Interactive list: a button that opens up to 10 rows in up to 10 sections.
struct list_message {
  std::string header_text;
  std::string body;
  std::string footer;
  std::string button;
  std::vector<list_section> sections;
};

/// Interactive call-to-action URL button.
struct cta_url_message {
  interactive_header header;
  std::string body;
  std::string footer;
  std::string display_text;
  std::string url;
};

/// One template parameter. Text parameters use `text` (and `name` for named templates);
/// any other type (currency, date_time, image, payload, ...) is given as Meta's object in `raw`,
/// e.g. type "currency" with raw {"fallback_value":..,"code":..,"amount_1000":..}.
struct template_parameter {
  std::string type = "text";
  std::string name;  // parameter_name: set for templates with named parameters
  std::string text;
  boost::json::value raw;
};

/// One template component: header, body or button (button needs sub_type and index).
struct template_component {
  std::string type;
  std::string sub_type;
  int index = -1;
  std::vector<template_parameter> parameters;
};

/// A template message.
struct template_message {
  std::string name;
  std::string language;
  std::vector<template_component> components;
};

/// Any message content Pons can send.
using message_content =
    std::variant<text_message, media_message, location_message, contacts_message, reaction_message,
                 buttons_message, list_message, cta_url_message, template_message>;

/// A complete outgoing message.
struct outgoing_message {
  recipient to;
  message_content content;
  std::string reply_to;  // context.message_id: the wamid this message replies to
};

/// Meta's `type` value for the content ("text", "image", "interactive", ...).
std::string_view message_type(const message_content& content);

/// Meta's name of a media kind ("image", ...).
std::string_view media_kind_name(media_kind kind);

/// A short text for previews and search (body, caption, template name...).
std::string preview_text(const message_content& content);

/// True for content that Meta only delivers inside the 24-hour window (everything but templates).
bool is_free_form(const message_content& content);

/// Validates and builds the request body of a send.
boost::system::result<boost::json::object> build_message(const outgoing_message& message);

/// The body that marks an inbound message read, optionally showing a typing indicator.
boost::json::object build_mark_read(std::string_view wamid, bool typing_indicator);

/// Number of Unicode code points in UTF-8 text (how Meta counts characters).
std::size_t utf8_length(std::string_view text) noexcept;

}  // namespace pons::meta

namespace boost::system {
template <>
struct is_error_code_enum<pons::meta::build_errc> : std::true_type {};
}  // namespace boost::system
