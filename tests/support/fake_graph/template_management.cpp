// The fake's template management: POST and DELETE /{waba-id}/message_templates as Meta answers
// them (a new template waits in PENDING; duplicates, names being deleted, missing examples and
// too many variables refused with Meta's subcodes and words), and POST /_fake/template-review,
// which plays Meta's review and sends its message_template_status_update webhook.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>

#include "control_answer.hpp"
#include "fake_graph.hpp"

namespace pons::fake_graph {

namespace json = boost::json;

namespace {

http_response invalid_parameter(const std::string& details) {
  return pons::fake_graph::invalid_parameter(details, "AFakeTraceTemplates");
}

http_response refuse(int subcode, const std::string& title, const std::string& message) {
  return answer(400, meta_template_error_body(subcode, title, message,
                                              "AFakeTrace" + std::to_string(subcode)));
}

// The language's name as Meta's messages write it ("There is already English content").
std::string language_name(const std::string& code) {
  static const std::map<std::string, std::string> names{{"en", "English"},
                                                        {"en_US", "English"},
                                                        {"en_GB", "English (UK)"},
                                                        {"es", "Spanish"},
                                                        {"es_ES", "Spanish (SPA)"},
                                                        {"es_MX", "Spanish (MEX)"},
                                                        {"pt_BR", "Portuguese (BR)"},
                                                        {"de", "German"},
                                                        {"fr", "French"},
                                                        {"it", "Italian"}};
  auto it = names.find(code);
  return it != names.end() ? it->second : code;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 512 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The body's variables and its words outside them.
struct body_counts {
  std::size_t variables = 0;
  std::size_t words = 0;
};

body_counts count_body(const std::string& text) {
  body_counts out;
  std::string rest;
  std::size_t pos = 0;
  for (;;) {
    auto open = text.find("{{", pos);
    auto close = open == std::string::npos ? open : text.find("}}", open);
    if (close == std::string::npos) {
      rest += text.substr(pos);
      break;
    }
    ++out.variables;
    rest += text.substr(pos, open - pos) + " ";
    pos = close + 2;
  }
  bool in_word = false;
  for (char c : rest) {
    const bool letter = std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                        (static_cast<unsigned char>(c) & 0x80) != 0;
    if (letter && !in_word) ++out.words;
    in_word = letter;
  }
  return out;
}

// The fake's stand-in for Meta's unpublished words-per-variable limit: at least 3 words outside
// the variables for each variable.
constexpr std::size_t words_per_variable = 3;

}  // namespace

http_response fake_graph::create_template(const http_request& req) {
  if (req.content_type.find("application/json") == std::string::npos) {
    return invalid_parameter("Content-Type must be application/json.");
  }
  boost::system::error_code ec;
  auto parsed = json::parse(req.body, ec);
  if (ec || !parsed.is_object()) return invalid_parameter("The request body is not a JSON object.");
  const auto& in = parsed.get_object();
  const std::string name = text_of(in, "name");
  const std::string language = text_of(in, "language");
  const std::string category = text_of(in, "category");
  if (!valid_name(name)) {
    return invalid_parameter(
        "Param name must be at most 512 characters of lowercase letters, digits and underscores.");
  }
  if (language.empty()) return invalid_parameter("The parameter language is required.");
  if (category != "MARKETING" && category != "UTILITY" && category != "AUTHENTICATION") {
    return invalid_parameter("Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}.");
  }
  const auto* components = in.if_contains("components");
  if (!components || !components->is_array() || components->get_array().empty()) {
    return invalid_parameter("The parameter components is required.");
  }

  const auto same = [&](const json::value& v) {
    const auto& o = v.get_object();
    return text_of(o, "name") == name && text_of(o, "language") == language;
  };
  if (std::any_of(templates_.begin(), templates_.end(), same)) {
    return refuse(2388024, "Content in This Language Already Exists",
                  fmt::format("There is already {} content for this template. You can create a "
                              "new template and try again.",
                              language_name(language)));
  }
  if (deleted_templates_.count({name, language})) {
    return refuse(2388023, "Message template language is being deleted",
                  fmt::format("{} content for this template is being deleted and can't be added "
                              "again yet. Try again in 4 weeks or create a new message template.",
                              language_name(language)));
  }
  for (const auto& c : components->get_array()) {
    const auto* o = c.if_object();
    if (!o || text_of(*o, "type") != "BODY") continue;
    const auto counts = count_body(text_of(*o, "text"));
    if (counts.variables == 0) continue;
    const auto* example = o->if_contains("example");
    if (!example || !example->is_object() ||
        (!example->get_object().contains("body_text") &&
         !example->get_object().contains("body_text_named_params"))) {
      return refuse(2388043, "Missing sample values",
                    "Add sample text for each variable in the body of your template.");
    }
    if (counts.words < words_per_variable * counts.variables) {
      return refuse(2388293, "Parameters words ratio exceeds limit",
                    "This template contains too many variable parameters relative to the "
                    "message length. You need to decrease the number of variable parameters or "
                    "increase the message length.");
    }
  }

  const std::string id = next_id();
  std::string format = text_of(in, "parameter_format");
  std::transform(format.begin(), format.end(), format.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  templates_.push_back(json::object{{"name", name},
                                    {"parameter_format", format.empty() ? "POSITIONAL" : format},
                                    {"components", *components},
                                    {"language", language},
                                    {"status", "PENDING"},
                                    {"category", category},
                                    {"id", id}});
  return answer(200, json::object{{"id", id}, {"status", "PENDING"}, {"category", category}});
}

http_response fake_graph::delete_template(const std::map<std::string, std::string>& query) {
  auto name = query.find("name");
  if (name == query.end() || name->second.empty()) {
    return invalid_parameter("The parameter name is required.");
  }
  auto hsm = query.find("hsm_id");
  std::size_t removed = 0;
  for (auto it = templates_.begin(); it != templates_.end();) {
    const auto& o = it->get_object();
    if (text_of(o, "name") == name->second &&
        (hsm == query.end() || text_of(o, "id") == hsm->second)) {
      deleted_templates_.insert({text_of(o, "name"), text_of(o, "language")});
      it = templates_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  if (removed == 0) {
    return refuse(2593002, "Message template not found",
                  "The message template you are trying to delete does not exist.");
  }
  return answer(200, json::object{{"success", true}});
}

http_response fake_graph::review_template(const json::object& in) {
  const std::string name = text_of(in, "name");
  const std::string language = text_of(in, "language");
  const std::string status = text_of(in, "status");
  if (status != "APPROVED" && status != "REJECTED") {
    return invalid_parameter("template-review: status must be APPROVED or REJECTED.");
  }
  auto it = std::find_if(templates_.begin(), templates_.end(), [&](const json::value& v) {
    const auto& o = v.get_object();
    return text_of(o, "name") == name && text_of(o, "language") == language;
  });
  if (it == templates_.end()) {
    return invalid_parameter("template-review: no template " + name + " in " + language + ".");
  }
  auto& stored = it->get_object();
  stored["status"] = status;
  std::string reason = text_of(in, "reason");
  if (reason.empty()) reason = status == "REJECTED" ? "INVALID_FORMAT" : "NONE";
  if (status == "REJECTED") stored["rejected_reason"] = reason;
  const std::string id = text_of(stored, "id");

  // Meta's message_template_status_update webhook, as documented (the id is a JSON number).
  json::object value{{"event", status},
                     {"message_template_id", std::strtoull(id.c_str(), nullptr, 10)},
                     {"message_template_name", name},
                     {"message_template_language", language},
                     {"reason", reason},
                     {"message_template_category", text_of(stored, "category")}};
  json::object change{{"value", std::move(value)}, {"field", "message_template_status_update"}};
  json::object entry{
      {"id", opts_.waba_id}, {"time", 1751247548}, {"changes", json::array{std::move(change)}}};
  http_response out = answer(200, json::object{{"id", id}, {"status", status}});
  out.webhooks.push_back(sign(json::object{{"entry", json::array{std::move(entry)}},
                                           {"object", "whatsapp_business_account"}}));
  out.webhook_url = opts_.webhook_url;
  return out;
}

}  // namespace pons::fake_graph
