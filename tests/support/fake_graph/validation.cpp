// Meta's request validation for messages, as documented for the Cloud API (limits from the
// text, media, interactive, reaction, location, contacts and template message pages).

#include <fmt/format.h>

#include "fake_graph.hpp"

namespace pons::fake_graph {

namespace json = boost::json;

namespace {

std::size_t chars(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

const json::object* object_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

const json::array* array_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}

std::optional<std::string_view> string_at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string_view(it->value().get_string());
}

validation_error missing(std::string_view param) {
  return {131008, "Required parameter is missing",
          fmt::format("The parameter {} is required.", param)};
}

validation_error invalid(std::string details) {
  return {131009, "Parameter value is not valid", std::move(details)};
}

validation_error too_long(std::string_view param, std::size_t max) {
  return {100, "Invalid parameter",
          fmt::format("Param {} must be at most {} characters long.", param, max)};
}

std::optional<validation_error> check_len(const json::object& o, std::string_view key,
                                          std::string_view param, std::size_t max, bool required) {
  auto s = string_at(o, key);
  if (!s) {
    if (required) return missing(param);
    return std::nullopt;
  }
  if (required && s->empty()) return missing(param);
  if (chars(*s) > max) return too_long(param, max);
  return std::nullopt;
}

std::optional<validation_error> check_media(const json::object& m, std::string_view type) {
  auto id = string_at(m, "id");
  auto link = string_at(m, "link");
  if (!id && !link) return missing(fmt::format("{}['id'] or {}['link']", type, type));
  if (id && link)
    return invalid(fmt::format("Use either {0}['id'] or {0}['link'], not both.", type));
  if (m.contains("caption")) {
    if (type == "audio" || type == "sticker") {
      return invalid(fmt::format("Param {}['caption'] is not supported for this type.", type));
    }
    if (auto e = check_len(m, "caption", fmt::format("{}['caption']", type), 1024, false)) return e;
  }
  if (m.contains("filename") && type != "document") {
    return invalid(fmt::format("Param {}['filename'] is only supported for documents.", type));
  }
  if (m.contains("voice") && type != "audio") {
    return invalid(fmt::format("Param {}['voice'] is only supported for audio.", type));
  }
  return std::nullopt;
}

std::optional<validation_error> check_interactive(const json::object& i) {
  auto type = string_at(i, "type");
  if (!type) return missing("interactive['type']");
  if (auto* header = object_at(i, "header")) {
    if (string_at(*header, "type") == std::optional<std::string_view>("text")) {
      if (auto e = check_len(*header, "text", "interactive['header']['text']", 60, true)) return e;
    }
  }
  if (auto* footer = object_at(i, "footer")) {
    if (auto e = check_len(*footer, "text", "interactive['footer']['text']", 60, true)) return e;
  }
  auto* body = object_at(i, "body");
  if (!body) return missing("interactive['body']");
  // Lists allow a longer body than reply buttons and CTA URL messages.
  const std::size_t body_max = *type == "list" ? 4096 : 1024;
  if (auto e = check_len(*body, "text", "interactive['body']['text']", body_max, true)) return e;
  auto* action = object_at(i, "action");
  if (!action) return missing("interactive['action']");

  if (*type == "button") {
    auto* buttons = array_at(*action, "buttons");
    if (!buttons || buttons->empty()) return missing("interactive['action']['buttons']");
    if (buttons->size() > 3) return invalid("At most 3 reply buttons are allowed.");
    std::vector<std::string_view> ids;
    for (const auto& b : *buttons) {
      if (!b.is_object()) return invalid("Each button must be an object.");
      const auto& bo = b.get_object();
      if (string_at(bo, "type") != std::optional<std::string_view>("reply")) {
        return invalid("Button type must be 'reply'.");
      }
      auto* reply = object_at(bo, "reply");
      if (!reply) return missing("interactive['action']['buttons'][]['reply']");
      if (auto e = check_len(*reply, "id", "button id", 256, true)) return e;
      if (auto e = check_len(*reply, "title", "button title", 20, true)) return e;
      auto id = *string_at(*reply, "id");
      for (auto seen : ids) {
        if (seen == id) return invalid("Button ids must be unique.");
      }
      ids.push_back(id);
    }
    return std::nullopt;
  }
  if (*type == "list") {
    if (auto e = check_len(*action, "button", "interactive['action']['button']", 20, true))
      return e;
    auto* sections = array_at(*action, "sections");
    if (!sections || sections->empty()) return missing("interactive['action']['sections']");
    if (sections->size() > 10) return invalid("At most 10 sections are allowed.");
    std::size_t rows_total = 0;
    std::vector<std::string_view> ids;
    for (const auto& s : *sections) {
      if (!s.is_object()) return invalid("Each section must be an object.");
      const auto& so = s.get_object();
      if (auto e = check_len(so, "title", "section title", 24, sections->size() > 1)) return e;
      auto* rows = array_at(so, "rows");
      if (!rows || rows->empty()) return missing("interactive['action']['sections'][]['rows']");
      for (const auto& r : *rows) {
        if (!r.is_object()) return invalid("Each row must be an object.");
        const auto& ro = r.get_object();
        if (auto e = check_len(ro, "id", "row id", 200, true)) return e;
        if (auto e = check_len(ro, "title", "row title", 24, true)) return e;
        if (auto e = check_len(ro, "description", "row description", 72, false)) return e;
        auto id = *string_at(ro, "id");
        for (auto seen : ids) {
          if (seen == id) return invalid("Row ids must be unique.");
        }
        ids.push_back(id);
        ++rows_total;
      }
    }
    if (rows_total > 10) return invalid("At most 10 rows are allowed across all sections.");
    return std::nullopt;
  }
  if (*type == "cta_url") {
    if (string_at(*action, "name") != std::optional<std::string_view>("cta_url")) {
      return invalid("interactive['action']['name'] must be 'cta_url'.");
    }
    auto* params = object_at(*action, "parameters");
    if (!params) return missing("interactive['action']['parameters']");
    if (auto e = check_len(*params, "display_text", "display_text", 20, true)) return e;
    if (auto e = check_len(*params, "url", "url", 2000, true)) return e;
    return std::nullopt;
  }
  return invalid(fmt::format("Interactive type '{}' is not supported by this fake.", *type));
}

}  // namespace

std::optional<validation_error> validate_message(const json::object& body) {
  if (string_at(body, "messaging_product") != std::optional<std::string_view>("whatsapp")) {
    return missing("messaging_product");
  }
  if (auto rt = string_at(body, "recipient_type"); rt && *rt != "individual" && *rt != "group") {
    return invalid("recipient_type must be 'individual' or 'group'.");
  }
  auto to = string_at(body, "to");
  auto recipient = string_at(body, "recipient");
  if ((!to || to->empty()) && (!recipient || recipient->empty())) return missing("to");
  if (auto* context = object_at(body, "context")) {
    if (auto e = check_len(*context, "message_id", "context['message_id']", 512, true)) return e;
  }

  std::string_view type = "text";  // Meta's default when type is absent
  if (body.contains("type")) {
    auto t = string_at(body, "type");
    if (!t) return invalid("Param type must be a string.");
    type = *t;
  }
  auto* payload = object_at(body, type);
  if (type == "contacts") {
    auto* list = array_at(body, "contacts");
    if (!list || list->empty()) return missing("contacts");
    for (const auto& c : *list) {
      const json::object* name = c.is_object() ? object_at(c.get_object(), "name") : nullptr;
      if (!name || !string_at(*name, "formatted_name")) {
        return missing("contacts[]['name']['formatted_name']");
      }
    }
    return std::nullopt;
  }
  if (!payload) return missing(type);

  if (type == "text") return check_len(*payload, "body", "text['body']", 4096, true);
  if (type == "image" || type == "video" || type == "audio" || type == "document" ||
      type == "sticker") {
    return check_media(*payload, type);
  }
  if (type == "reaction") {
    if (auto e = check_len(*payload, "message_id", "reaction['message_id']", 512, true)) return e;
    if (!string_at(*payload, "emoji")) return missing("reaction['emoji']");
    return std::nullopt;
  }
  if (type == "location") {
    for (auto key : {"latitude", "longitude"}) {
      auto it = payload->find(key);
      if (it == payload->end() || !(it->value().is_number() || it->value().is_string())) {
        return missing(fmt::format("location['{}']", key));
      }
    }
    return std::nullopt;
  }
  if (type == "interactive") return check_interactive(*payload);
  if (type == "template") {
    if (auto e = check_len(*payload, "name", "template['name']", 512, true)) return e;
    auto* language = object_at(*payload, "language");
    if (!language || !string_at(*language, "code")) return missing("template['language']['code']");
    if (payload->contains("components") && !array_at(*payload, "components")) {
      return invalid("template['components'] must be an array.");
    }
    return std::nullopt;
  }
  return validation_error{131051, "Unsupported message type",
                          fmt::format("Message type '{}' is not supported.", type)};
}

// The Graph API answers OAuthException errors, throttling included, with 400; an invalid or
// expired token with 401; its own failures with 500.
int http_status_for(int code) {
  switch (code) {
    case 190:
      return 401;
    case 131000:
    case 1:
    case 2:
      return 500;
    default:
      return 400;
  }
}

json::object meta_error_body(int code, const std::string& title, const std::string& details,
                             const std::string& trace_id) {
  json::object error;
  error["message"] = fmt::format("(#{}) {}", code, title);
  error["type"] = "OAuthException";
  error["code"] = code;
  if (!details.empty()) {
    error["error_data"] = json::object{{"messaging_product", "whatsapp"}, {"details", details}};
  }
  if (code == 190) {
    error["message"] = title;
    error["error_subcode"] = 463;
    error.erase("error_data");
  }
  error["fbtrace_id"] = trace_id;
  return json::object{{"error", std::move(error)}};
}

json::object meta_template_error_body(int subcode, const std::string& user_title,
                                      const std::string& user_msg, const std::string& trace_id) {
  json::object error;
  error["message"] = "Invalid parameter";
  error["type"] = "OAuthException";
  error["code"] = 100;
  error["error_subcode"] = subcode;
  error["is_transient"] = false;
  error["error_user_title"] = user_title;
  error["error_user_msg"] = user_msg;
  error["fbtrace_id"] = trace_id;
  return json::object{{"error", std::move(error)}};
}

}  // namespace pons::fake_graph
