#include "pons/meta/message_builders.hpp"

#include <fmt/format.h>

#include <cmath>

namespace pons::meta {

namespace json = boost::json;
using boost::system::error_code;

namespace {

class build_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.meta.build"; }
  std::string message(int ev) const override {
    using namespace limits;
    switch (static_cast<build_errc>(ev)) {
      case build_errc::missing_recipient:
        return "a recipient is required: a phone number (wa_id) or a business-scoped user id";
      case build_errc::empty_text:
        return "the text body is empty";
      case build_errc::text_too_long:
        return fmt::format("the text body exceeds Meta's limit of {} characters", text_body);
      case build_errc::media_source:
        return "media needs exactly one of a media id (from an upload) or a public https link";
      case build_errc::caption_too_long:
        return fmt::format("the caption exceeds Meta's limit of {} characters", caption);
      case build_errc::caption_not_allowed:
        return "audio and sticker messages cannot have a caption";
      case build_errc::filename_not_allowed:
        return "only document messages can have a filename";
      case build_errc::invalid_coordinates:
        return "latitude must be within -90..90 and longitude within -180..180";
      case build_errc::no_contacts:
        return "a contacts message needs at least one contact with name.formatted_name";
      case build_errc::missing_reaction_target:
        return "a reaction needs the wamid of the message it reacts to";
      case build_errc::empty_body:
        return "interactive messages need a body text";
      case build_errc::body_too_long:
        return fmt::format(
            "the body text exceeds Meta's limit ({} characters for reply "
            "buttons and CTA URL, {} for lists)",
            button_body_text, list_body_text);
      case build_errc::header_too_long:
        return fmt::format("the header text exceeds Meta's limit of {} characters",
                           interactive_header_text);
      case build_errc::footer_too_long:
        return fmt::format("the footer text exceeds Meta's limit of {} characters",
                           interactive_footer_text);
      case build_errc::no_buttons:
        return "reply buttons need at least one button";
      case build_errc::too_many_buttons:
        return fmt::format("at most {} reply buttons are allowed", reply_buttons);
      case build_errc::button_title_invalid:
        return fmt::format("each button title must be 1 to {} characters", reply_button_title);
      case build_errc::button_id_invalid:
        return fmt::format("each button id must be 1 to {} characters", reply_button_id);
      case build_errc::duplicate_id:
        return "button and row ids must be unique within a message";
      case build_errc::list_button_invalid:
        return fmt::format("the list button text must be 1 to {} characters", list_button_text);
      case build_errc::no_rows:
        return "a list needs at least one section with at least one row";
      case build_errc::too_many_sections:
        return fmt::format("at most {} sections are allowed", list_sections);
      case build_errc::too_many_rows:
        return fmt::format("at most {} rows are allowed across all sections", list_rows_total);
      case build_errc::section_title_invalid:
        return fmt::format(
            "section titles are required when there are several sections, at most {} characters",
            list_section_title);
      case build_errc::row_title_invalid:
        return fmt::format("each row title must be 1 to {} characters", list_row_title);
      case build_errc::row_id_invalid:
        return fmt::format("each row id must be 1 to {} characters", list_row_id);
      case build_errc::row_description_too_long:
        return fmt::format("row descriptions are at most {} characters", list_row_description);
      case build_errc::cta_display_text_invalid:
        return fmt::format("the CTA button text must be 1 to {} characters", cta_display_text);
      case build_errc::cta_url_invalid:
        return "the CTA URL must be an http:// or https:// URL";
      case build_errc::missing_template_name:
        return "a template message needs the template name";
      case build_errc::missing_template_language:
        return "a template message needs the language code (e.g. en_US)";
      case build_errc::mixed_parameter_formats:
        return "template parameters must be all named or all positional";
      case build_errc::invalid_header:
        return "the header type must be text, image, video or document, with its text or media";
    }
    return "unknown message build error";
  }
};

error_code err(build_errc e) {
  return make_error_code(e);
}

std::string format_coordinate(double v) {
  return fmt::format("{}", v);
}

json::object media_object(std::string_view id, std::string_view link) {
  json::object o;
  if (!id.empty()) {
    o["id"] = id;
  } else {
    o["link"] = link;
  }
  return o;
}

boost::system::result<json::object> build_media(const media_message& m) {
  if (m.id.empty() == m.link.empty()) return err(build_errc::media_source);
  const bool captions =
      m.kind == media_kind::image || m.kind == media_kind::video || m.kind == media_kind::document;
  if (!m.caption.empty() && !captions) return err(build_errc::caption_not_allowed);
  if (utf8_length(m.caption) > limits::caption) return err(build_errc::caption_too_long);
  if (!m.filename.empty() && m.kind != media_kind::document) {
    return err(build_errc::filename_not_allowed);
  }
  auto o = media_object(m.id, m.link);
  if (!m.caption.empty()) o["caption"] = m.caption;
  if (!m.filename.empty()) o["filename"] = m.filename;
  if (m.kind == media_kind::audio && m.voice) o["voice"] = true;
  return o;
}

boost::system::result<json::object> build_header(const interactive_header& h) {
  json::object o;
  if (h.type == "text") {
    if (h.text.empty()) return err(build_errc::invalid_header);
    if (utf8_length(h.text) > limits::interactive_header_text) {
      return err(build_errc::header_too_long);
    }
    o["type"] = "text";
    o["text"] = h.text;
    return o;
  }
  if (h.type == "image" || h.type == "video" || h.type == "document") {
    if (h.media_id.empty() == h.media_link.empty()) return err(build_errc::invalid_header);
    auto media = media_object(h.media_id, h.media_link);
    if (h.type == "document" && !h.filename.empty()) media["filename"] = h.filename;
    o["type"] = h.type;
    o[h.type] = std::move(media);
    return o;
  }
  return err(build_errc::invalid_header);
}

// Body/footer/header shared by all interactive types.
boost::system::result<json::object> interactive_frame(const std::string& type,
                                                      const interactive_header& header,
                                                      const std::string& body,
                                                      const std::string& footer,
                                                      std::size_t body_limit) {
  if (body.empty()) return err(build_errc::empty_body);
  if (utf8_length(body) > body_limit) return err(build_errc::body_too_long);
  if (utf8_length(footer) > limits::interactive_footer_text) {
    return err(build_errc::footer_too_long);
  }
  json::object o;
  o["type"] = type;
  if (!header.type.empty()) {
    auto h = build_header(header);
    if (!h) return h.error();
    o["header"] = std::move(*h);
  }
  o["body"] = json::object{{"text", body}};
  if (!footer.empty()) o["footer"] = json::object{{"text", footer}};
  return o;
}

boost::system::result<json::object> build_buttons(const buttons_message& m) {
  auto frame = interactive_frame("button", m.header, m.body, m.footer, limits::button_body_text);
  if (!frame) return frame;
  if (m.buttons.empty()) return err(build_errc::no_buttons);
  if (m.buttons.size() > limits::reply_buttons) return err(build_errc::too_many_buttons);
  json::array buttons;
  for (std::size_t i = 0; i < m.buttons.size(); ++i) {
    const auto& b = m.buttons[i];
    auto title = utf8_length(b.title);
    if (title == 0 || title > limits::reply_button_title) {
      return err(build_errc::button_title_invalid);
    }
    auto id = utf8_length(b.id);
    if (id == 0 || id > limits::reply_button_id) return err(build_errc::button_id_invalid);
    for (std::size_t j = 0; j < i; ++j) {
      if (m.buttons[j].id == b.id) return err(build_errc::duplicate_id);
    }
    buttons.push_back(
        json::object{{"type", "reply"}, {"reply", json::object{{"id", b.id}, {"title", b.title}}}});
  }
  (*frame)["action"] = json::object{{"buttons", std::move(buttons)}};
  return frame;
}

boost::system::result<json::object> build_list(const list_message& m) {
  interactive_header header;
  if (!m.header_text.empty()) {
    header.type = "text";
    header.text = m.header_text;
  }
  auto frame = interactive_frame("list", header, m.body, m.footer, limits::list_body_text);
  if (!frame) return frame;
  auto button = utf8_length(m.button);
  if (button == 0 || button > limits::list_button_text) {
    return err(build_errc::list_button_invalid);
  }
  if (m.sections.empty()) return err(build_errc::no_rows);
  if (m.sections.size() > limits::list_sections) return err(build_errc::too_many_sections);
  std::size_t rows_total = 0;
  std::vector<std::string_view> ids;
  json::array sections;
  for (const auto& s : m.sections) {
    auto title = utf8_length(s.title);
    if ((m.sections.size() > 1 && title == 0) || title > limits::list_section_title) {
      return err(build_errc::section_title_invalid);
    }
    if (s.rows.empty()) return err(build_errc::no_rows);
    json::array rows;
    for (const auto& r : s.rows) {
      auto rt = utf8_length(r.title);
      if (rt == 0 || rt > limits::list_row_title) return err(build_errc::row_title_invalid);
      auto rid = utf8_length(r.id);
      if (rid == 0 || rid > limits::list_row_id) return err(build_errc::row_id_invalid);
      if (utf8_length(r.description) > limits::list_row_description) {
        return err(build_errc::row_description_too_long);
      }
      for (auto seen : ids) {
        if (seen == r.id) return err(build_errc::duplicate_id);
      }
      ids.push_back(r.id);
      json::object row{{"id", r.id}, {"title", r.title}};
      if (!r.description.empty()) row["description"] = r.description;
      rows.push_back(std::move(row));
      ++rows_total;
    }
    json::object section;
    if (!s.title.empty()) section["title"] = s.title;
    section["rows"] = std::move(rows);
    sections.push_back(std::move(section));
  }
  if (rows_total > limits::list_rows_total) return err(build_errc::too_many_rows);
  (*frame)["action"] = json::object{{"button", m.button}, {"sections", std::move(sections)}};
  return frame;
}

boost::system::result<json::object> build_cta(const cta_url_message& m) {
  auto frame = interactive_frame("cta_url", m.header, m.body, m.footer, limits::cta_body_text);
  if (!frame) return frame;
  auto display = utf8_length(m.display_text);
  if (display == 0 || display > limits::cta_display_text) {
    return err(build_errc::cta_display_text_invalid);
  }
  if (m.url.rfind("https://", 0) != 0 && m.url.rfind("http://", 0) != 0) {
    return err(build_errc::cta_url_invalid);
  }
  (*frame)["action"] =
      json::object{{"name", "cta_url"},
                   {"parameters", json::object{{"display_text", m.display_text}, {"url", m.url}}}};
  return frame;
}

boost::system::result<json::object> build_template(const template_message& m) {
  if (m.name.empty()) return err(build_errc::missing_template_name);
  if (m.language.empty()) return err(build_errc::missing_template_language);
  json::object t{{"name", m.name}, {"language", json::object{{"code", m.language}}}};
  bool named = false, positional = false;
  if (!m.components.empty()) {
    json::array components;
    for (const auto& c : m.components) {
      json::object comp{{"type", c.type}};
      if (!c.sub_type.empty()) comp["sub_type"] = c.sub_type;
      // Meta documents the button index as a string ("0").
      if (c.index >= 0) comp["index"] = std::to_string(c.index);
      json::array params;
      for (const auto& p : c.parameters) {
        json::object param{{"type", p.type}};
        if (p.type == "text") {
          (p.name.empty() ? positional : named) = true;
          if (!p.name.empty()) param["parameter_name"] = p.name;
          param["text"] = p.text;
        } else if (!p.raw.is_null()) {
          param[p.type] = p.raw;
        } else {
          param[p.type] = p.text;  // e.g. payload, coupon_code
        }
        params.push_back(std::move(param));
      }
      if (!params.empty()) comp["parameters"] = std::move(params);
      components.push_back(std::move(comp));
    }
    t["components"] = std::move(components);
  }
  if (named && positional) return err(build_errc::mixed_parameter_formats);
  return t;
}

struct content_builder {
  boost::system::result<json::object> operator()(const text_message& m) const {
    if (m.body.empty()) return err(build_errc::empty_text);
    if (utf8_length(m.body) > limits::text_body) return err(build_errc::text_too_long);
    json::object o;
    if (m.preview_url) o["preview_url"] = true;
    o["body"] = m.body;
    return o;
  }
  boost::system::result<json::object> operator()(const media_message& m) const {
    return build_media(m);
  }
  boost::system::result<json::object> operator()(const location_message& m) const {
    if (!std::isfinite(m.latitude) || !std::isfinite(m.longitude) || std::fabs(m.latitude) > 90 ||
        std::fabs(m.longitude) > 180) {
      return err(build_errc::invalid_coordinates);
    }
    // Meta's documented example sends coordinates as strings.
    json::object o{{"latitude", format_coordinate(m.latitude)},
                   {"longitude", format_coordinate(m.longitude)}};
    if (!m.name.empty()) o["name"] = m.name;
    if (!m.address.empty()) o["address"] = m.address;
    return o;
  }
  boost::system::result<json::object> operator()(const contacts_message&) const {
    return json::object{};  // contacts go at the top level, see build_message
  }
  boost::system::result<json::object> operator()(const reaction_message& m) const {
    if (m.message_id.empty()) return err(build_errc::missing_reaction_target);
    return json::object{{"message_id", m.message_id}, {"emoji", m.emoji}};
  }
  boost::system::result<json::object> operator()(const buttons_message& m) const {
    return build_buttons(m);
  }
  boost::system::result<json::object> operator()(const list_message& m) const {
    return build_list(m);
  }
  boost::system::result<json::object> operator()(const cta_url_message& m) const {
    return build_cta(m);
  }
  boost::system::result<json::object> operator()(const template_message& m) const {
    return build_template(m);
  }
};

}  // namespace

const boost::system::error_category& build_category() noexcept {
  static const build_category_impl category;
  return category;
}

error_code make_error_code(build_errc e) noexcept {
  return {static_cast<int>(e), build_category()};
}

std::size_t utf8_length(std::string_view text) noexcept {
  std::size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

std::string_view media_kind_name(media_kind kind) {
  switch (kind) {
    case media_kind::image:
      return "image";
    case media_kind::video:
      return "video";
    case media_kind::audio:
      return "audio";
    case media_kind::document:
      return "document";
    case media_kind::sticker:
      return "sticker";
  }
  return "image";
}

std::string_view message_type(const message_content& content) {
  struct visitor {
    std::string_view operator()(const text_message&) const { return "text"; }
    std::string_view operator()(const media_message& m) const { return media_kind_name(m.kind); }
    std::string_view operator()(const location_message&) const { return "location"; }
    std::string_view operator()(const contacts_message&) const { return "contacts"; }
    std::string_view operator()(const reaction_message&) const { return "reaction"; }
    std::string_view operator()(const buttons_message&) const { return "interactive"; }
    std::string_view operator()(const list_message&) const { return "interactive"; }
    std::string_view operator()(const cta_url_message&) const { return "interactive"; }
    std::string_view operator()(const template_message&) const { return "template"; }
  };
  return std::visit(visitor{}, content);
}

std::string preview_text(const message_content& content) {
  struct visitor {
    std::string operator()(const text_message& m) const { return m.body; }
    std::string operator()(const media_message& m) const {
      return !m.caption.empty() ? m.caption : m.filename;
    }
    std::string operator()(const location_message& m) const {
      return !m.name.empty() ? m.name : m.address;
    }
    std::string operator()(const contacts_message& m) const {
      std::string out;
      for (const auto& c : m.contacts) {
        const auto* o = c.if_object();
        const auto* name = o ? o->if_contains("name") : nullptr;
        const auto* formatted =
            name && name->is_object() ? name->get_object().if_contains("formatted_name") : nullptr;
        if (formatted && formatted->is_string()) {
          if (!out.empty()) out += ", ";
          out += formatted->get_string();
        }
      }
      return out;
    }
    std::string operator()(const reaction_message& m) const { return m.emoji; }
    std::string operator()(const buttons_message& m) const { return m.body; }
    std::string operator()(const list_message& m) const { return m.body; }
    std::string operator()(const cta_url_message& m) const { return m.body; }
    std::string operator()(const template_message& m) const {
      std::string out = "template " + m.name;
      for (const auto& c : m.components) {
        for (const auto& p : c.parameters) {
          if (p.type == "text" && !p.text.empty()) out += " " + p.text;
        }
      }
      return out;
    }
  };
  return std::visit(visitor{}, content);
}

bool is_free_form(const message_content& content) {
  return !std::holds_alternative<template_message>(content);
}

boost::system::result<json::object> build_message(const outgoing_message& message) {
  if (message.to.wa_id.empty() && message.to.user_id.empty()) {
    return err(build_errc::missing_recipient);
  }
  auto payload = std::visit(content_builder{}, message.content);
  if (!payload) return payload.error();

  auto type = message_type(message.content);
  json::object body;
  body["messaging_product"] = "whatsapp";
  body["recipient_type"] = "individual";
  if (!message.to.wa_id.empty()) {
    body["to"] = message.to.wa_id;
  } else {
    body["recipient"] = message.to.user_id;
  }
  if (!message.reply_to.empty()) {
    body["context"] = json::object{{"message_id", message.reply_to}};
  }
  body["type"] = type;
  if (const auto* contacts = std::get_if<contacts_message>(&message.content)) {
    if (contacts->contacts.empty()) return err(build_errc::no_contacts);
    for (const auto& c : contacts->contacts) {
      const auto* o = c.if_object();
      const auto* name = o ? o->if_contains("name") : nullptr;
      if (!name || !name->is_object() || !name->get_object().contains("formatted_name")) {
        return err(build_errc::no_contacts);
      }
    }
    body["contacts"] = contacts->contacts;
  } else {
    body[type] = std::move(*payload);
  }
  return body;
}

json::object build_mark_read(std::string_view wamid, bool typing_indicator) {
  json::object body{{"messaging_product", "whatsapp"}, {"status", "read"}, {"message_id", wamid}};
  if (typing_indicator) body["typing_indicator"] = json::object{{"type", "text"}};
  return body;
}

}  // namespace pons::meta
