#include "pons/meta/template_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <optional>
#include <string_view>

namespace pons::meta {

namespace json = boost::json;

namespace {

using E = template_rule_errc;

class template_rule_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.meta.template_rules"; }
  std::string message(int ev) const override {
    switch (static_cast<E>(ev)) {
      case E::invalid_name:
        return "the template name must be lowercase letters, digits and underscores, at most 512 "
               "characters";
      case E::invalid_category:
        return "the category must be MARKETING, UTILITY or AUTHENTICATION";
      case E::invalid_language:
        return "the language must be a language code such as en_US";
      case E::invalid_parameter_format:
        return "parameter_format must be positional or named";
      case E::invalid_component:
        return "a component is not one Meta accepts";
      case E::component_count:
        return "a template needs exactly one BODY and at most one HEADER, FOOTER and BUTTONS";
      case E::too_long:
        return "a text is longer than Meta allows";
      case E::header_format:
        return "the header is not in a form Meta accepts";
      case E::footer_format:
        return "the footer is not in a form Meta accepts";
      case E::button_count:
        return "there are more buttons than Meta allows";
      case E::button_format:
        return "a button lacks what its type needs";
      case E::buttons_not_grouped:
        return "quick reply buttons must be next to each other";
      case E::variable_format:
        return "variables must be {{1}}, {{2}}... in order, or unique lowercase names";
      case E::variable_at_edge:
        return "the body may not start or end with a variable";
      case E::missing_example:
        return "every variable and media header needs an example";
      case E::authentication_format:
        return "an AUTHENTICATION template holds only Meta's preset body, an optional expiry "
               "footer and one OTP button";
    }
    return "unknown template rule";
  }
};

// Meta's limits (Cloud API "Message templates" and "Components" reference).
constexpr std::size_t max_name = 512;
constexpr std::size_t max_body = 1024;
constexpr std::size_t max_header_text = 60;
constexpr std::size_t max_footer = 60;
constexpr std::size_t max_buttons = 10;
constexpr std::size_t max_quick_replies = 10;
constexpr std::size_t max_url_buttons = 2;
constexpr std::size_t max_phone_buttons = 1;
constexpr std::size_t max_copy_code_buttons = 1;
constexpr std::size_t max_button_text = 25;
constexpr std::size_t max_url = 2000;
constexpr std::size_t max_phone = 20;
constexpr std::size_t max_copy_code = 15;
constexpr std::int64_t max_code_expiration_minutes = 90;

// Characters as Meta counts them: code points, not bytes.
std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

class collector {
 public:
  void add(E rule, std::string component, std::string message) {
    if (out_.violations.size() >= max_template_violations) {
      ++out_.more;
      return;
    }
    out_.violations.push_back({rule, std::move(component), std::move(message)});
  }
  template_check take() { return std::move(out_); }

 private:
  template_check out_;
};

// A string member: nullptr when absent; `wrong` is set when present but not a string.
const json::string* string_member(const json::object& o, std::string_view key, bool& wrong) {
  const json::value* v = o.if_contains(key);
  wrong = v != nullptr && !v->is_string();
  return v != nullptr ? v->if_string() : nullptr;
}

std::string_view text_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

bool is_positional(std::string_view v) {
  if (v.empty() || v.size() > 3 || v.front() == '0') return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_named(std::string_view v) {
  if (v.empty() || v.size() > 128 || (v.front() >= '0' && v.front() <= '9')) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string braces(std::string_view v) {
  return fmt::format("{{{{{}}}}}", v);
}

std::string list_of(const std::vector<std::string>& vars) {
  std::string out;
  for (const auto& v : vars) out += (out.empty() ? "" : ", ") + braces(v);
  return out;
}

// Checks the variables of one text and returns them, each once, in order of appearance.
std::vector<std::string> check_variables(collector& c, const std::string& component,
                                         std::string_view text, bool named) {
  std::vector<std::string> distinct;
  std::vector<std::string> repeated;
  bool bad_shape = false;
  for (const auto& v : template_variables(text)) {
    if (named ? !is_named(v) : !is_positional(v)) {
      bad_shape = true;
      c.add(E::variable_format, component,
            named ? fmt::format("{}: {} is not a named variable: with parameter_format named, "
                                "variables are unique lowercase names such as {{{{first_name}}}} "
                                "(letters a-z, digits, underscores)",
                                component, braces(v))
                  : fmt::format("{}: {} is not a positional variable: with parameter_format "
                                "positional (the default), variables are {{{{1}}}}, {{{{2}}}}... "
                                "(or set parameter_format to named)",
                                component, braces(v)));
      continue;
    }
    if (std::find(distinct.begin(), distinct.end(), v) == distinct.end()) {
      distinct.push_back(v);
    } else if (named && std::find(repeated.begin(), repeated.end(), v) == repeated.end()) {
      repeated.push_back(v);
    }
  }
  for (const auto& v : repeated) {
    c.add(E::variable_format, component,
          fmt::format("{}: the named variable {} appears more than once; each name is used once "
                      "(give the second one another name)",
                      component, braces(v)));
  }
  if (!named && !bad_shape) {
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      if (distinct[i] != std::to_string(i + 1)) {
        c.add(E::variable_format, component,
              fmt::format("{}: positional variables must be {{{{1}}}}, {{{{2}}}}... in order of "
                          "appearance without gaps; found {}. Renumber them",
                          component, list_of(distinct)));
        break;
      }
    }
  }
  return distinct;
}

// Whether an array holds only non-empty strings, exactly `count` of them.
bool strings_of(const json::value* v, std::size_t count) {
  if (v == nullptr || !v->is_array() || v->get_array().size() != count) return false;
  return std::all_of(v->get_array().begin(), v->get_array().end(),
                     [](const json::value& s) { return s.is_string() && !s.get_string().empty(); });
}

const json::object* example_of(const json::object& component) {
  const json::value* e = component.if_contains("example");
  return e != nullptr ? e->if_object() : nullptr;
}

// Named examples: [{param_name, example}], one per variable and no other.
void check_named_examples(collector& c, const std::string& component, const json::object* example,
                          std::string_view key, const std::vector<std::string>& vars) {
  const json::value* list = example != nullptr ? example->if_contains(key) : nullptr;
  std::vector<std::string> given;
  if (list != nullptr && list->is_array()) {
    for (const auto& item : list->get_array()) {
      const json::object* o = item.if_object();
      if (o == nullptr || text_of(*o, "param_name").empty() || text_of(*o, "example").empty()) {
        c.add(E::missing_example, component,
              fmt::format("{}: each entry of example.{} needs param_name and a non-empty example",
                          component, key));
        continue;
      }
      given.emplace_back(text_of(*o, "param_name"));
    }
  }
  for (const auto& v : vars) {
    if (std::find(given.begin(), given.end(), v) == given.end()) {
      c.add(
          E::missing_example, component,
          fmt::format("{}: {} has no example; add {{\"param_name\": \"{}\", \"example\": \"...\"}} "
                      "to example.{}",
                      component, braces(v), v, key));
    }
  }
  for (const auto& g : given) {
    if (std::find(vars.begin(), vars.end(), g) == vars.end()) {
      c.add(E::missing_example, component,
            fmt::format("{}: example.{} names {}, which is not a variable of the {}; remove it",
                        component, key, g, component));
    }
  }
}

// The body without leading or trailing spaces and punctuation: "{{3}}." still ends with {{3}}.
std::string_view core_of(std::string_view text) {
  constexpr std::string_view edge = " \t\r\n.,;:!?\"'()-";
  auto first = text.find_first_not_of(edge);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(edge);
  return text.substr(first, last - first + 1);
}

struct context {
  std::string category;  // upper case as given
  bool named = false;
  bool authentication = false;
};

void check_body(collector& c, const json::object& body, const context& ctx) {
  const std::string where = "BODY";
  bool wrong = false;
  const json::string* text = string_member(body, "text", wrong);
  if (wrong) c.add(E::invalid_component, where, "BODY: text must be a string");
  if (ctx.authentication) {
    if (text != nullptr) {
      c.add(E::authentication_format, where,
            "BODY: an AUTHENTICATION template has no body text of its own (Meta presets it: "
            "\"<code> is your verification code.\"); remove text, and set "
            "add_security_recommendation to true to add Meta's security advice");
    }
    if (const json::value* s = body.if_contains("add_security_recommendation");
        s != nullptr && !s->is_bool()) {
      c.add(E::invalid_component, where, "BODY: add_security_recommendation must be true or false");
    }
    return;
  }
  if (body.contains("add_security_recommendation")) {
    c.add(E::invalid_component, where,
          "BODY: add_security_recommendation is only for AUTHENTICATION templates; remove it");
  }
  if (text == nullptr || text->empty()) {
    if (!wrong) c.add(E::invalid_component, where, "BODY: text is required; write the message");
    return;
  }
  if (auto n = length(*text); n > max_body) {
    c.add(E::too_long, where,
          fmt::format("BODY: the text has {} characters; Meta allows at most {}. Shorten it", n,
                      max_body));
  }
  auto vars = check_variables(c, where, *text, ctx.named);
  if (vars.empty()) return;
  auto core = core_of(*text);
  if (core.starts_with("{{") || core.ends_with("}}")) {
    c.add(E::variable_at_edge, where,
          "BODY: the text starts or ends with a variable (trailing punctuation does not count); "
          "Meta refuses that (\"Variables can't be at the start or end of the template\"). Put "
          "words before the first variable and after the last one");
  }
  const json::object* example = example_of(body);
  if (ctx.named) {
    check_named_examples(c, where, example, "body_text_named_params", vars);
    return;
  }
  const json::value* rows = example != nullptr ? example->if_contains("body_text") : nullptr;
  const bool ok = rows != nullptr && rows->is_array() && rows->get_array().size() == 1 &&
                  strings_of(&rows->get_array()[0], vars.size());
  if (!ok) {
    c.add(E::missing_example, where,
          fmt::format("BODY: {} variable{} need{} example values: set example.body_text to one "
                      "array of {} string{}, e.g. [[{}]]",
                      vars.size(), vars.size() == 1 ? "" : "s", vars.size() == 1 ? "s" : "",
                      vars.size(), vars.size() == 1 ? "" : "s", [&] {
                        std::string s;
                        for (std::size_t i = 0; i < vars.size(); ++i)
                          s += fmt::format("{}\"example {}\"", i ? ", " : "", i + 1);
                        return s;
                      }()));
  }
}

void check_header(collector& c, const json::object& header, const context& ctx) {
  const std::string where = "HEADER";
  if (ctx.authentication) {
    c.add(E::authentication_format, where,
          "HEADER: an AUTHENTICATION template has no header (no text, media or location); "
          "remove it");
    return;
  }
  const std::string format = upper(text_of(header, "format"));
  if (format.empty()) {
    c.add(E::header_format, where,
          "HEADER: format is required: TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION");
    return;
  }
  if (format == "TEXT") {
    std::string_view text = text_of(header, "text");
    if (text.empty()) {
      c.add(E::header_format, where, "HEADER: a TEXT header needs text");
      return;
    }
    if (auto n = length(text); n > max_header_text) {
      c.add(E::too_long, where,
            fmt::format("HEADER: the text has {} characters; Meta allows at most {}. Shorten it", n,
                        max_header_text));
    }
    if (text.find('\n') != std::string_view::npos) {
      c.add(E::header_format, where, "HEADER: the text may not contain a line break; remove it");
    }
    auto vars = check_variables(c, where, text, ctx.named);
    if (vars.size() > 1) {
      c.add(E::header_format, where,
            fmt::format("HEADER: the text has {} variables ({}); a header may have at most one. "
                        "Move the others to the body",
                        vars.size(), list_of(vars)));
      return;
    }
    if (vars.empty()) return;
    const json::object* example = example_of(header);
    if (ctx.named) {
      check_named_examples(c, where, example, "header_text_named_params", vars);
    } else if (!strings_of(example != nullptr ? example->if_contains("header_text") : nullptr, 1)) {
      c.add(E::missing_example, where,
            fmt::format("HEADER: {} needs an example: set example.header_text to one string, "
                        "e.g. [\"Summer Sale\"]",
                        braces(vars.front())));
    }
    return;
  }
  if (format == "IMAGE" || format == "VIDEO" || format == "DOCUMENT") {
    if (header.contains("text")) {
      c.add(E::header_format, where,
            fmt::format("HEADER: a {} header has no text; remove text", format));
    }
    const json::object* example = example_of(header);
    const json::value* handles =
        example != nullptr ? example->if_contains("header_handle") : nullptr;
    const bool ok = handles != nullptr && handles->is_array() && !handles->get_array().empty() &&
                    strings_of(handles, handles->get_array().size());
    if (!ok) {
      c.add(E::missing_example, where,
            fmt::format("HEADER: a {} header needs a sample: set example.header_handle to [the "
                        "handle Meta's Resumable Upload API returned for a sample file]",
                        format));
    }
    return;
  }
  if (format == "LOCATION") {
    if (ctx.category != "UTILITY" && ctx.category != "MARKETING") {
      c.add(E::header_format, where,
            "HEADER: a LOCATION header is only for UTILITY and MARKETING templates");
    }
    return;
  }
  c.add(E::header_format, where,
        fmt::format("HEADER: format {} is not one of TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION",
                    format.size() > 32 ? format.substr(0, 32) + "..." : format));
}

void check_footer(collector& c, const json::object& footer, const context& ctx) {
  const std::string where = "FOOTER";
  if (ctx.authentication) {
    if (footer.contains("text")) {
      c.add(E::authentication_format, where,
            "FOOTER: an AUTHENTICATION footer has no text (Meta writes it); give only "
            "code_expiration_minutes (1 to 90) or leave the footer out");
    }
    if (const json::value* m = footer.if_contains("code_expiration_minutes")) {
      if (!m->is_int64() || m->get_int64() < 1 || m->get_int64() > max_code_expiration_minutes) {
        c.add(E::authentication_format, where,
              "FOOTER: code_expiration_minutes must be a whole number from 1 to 90");
      }
    }
    return;
  }
  if (footer.contains("code_expiration_minutes")) {
    c.add(E::footer_format, where,
          "FOOTER: code_expiration_minutes is only for AUTHENTICATION templates; remove it");
  }
  std::string_view text = text_of(footer, "text");
  if (text.empty()) {
    c.add(E::footer_format, where, "FOOTER: text is required (or leave the footer out)");
    return;
  }
  if (auto n = length(text); n > max_footer) {
    c.add(E::too_long, where,
          fmt::format("FOOTER: the text has {} characters; Meta allows at most {}. Shorten it", n,
                      max_footer));
  }
  if (!template_variables(text).empty()) {
    c.add(E::footer_format, where,
          "FOOTER: the footer may not have variables; write it as fixed text or move the "
          "variable to the body");
  }
}

void check_button_text(collector& c, const std::string& where, const json::object& b,
                       bool required) {
  std::string_view text = text_of(b, "text");
  if (text.empty()) {
    if (required) c.add(E::button_format, where, where + ": text (the button's label) is required");
    return;
  }
  if (auto n = length(text); n > max_button_text) {
    c.add(E::too_long, where,
          fmt::format("{}: the text has {} characters; Meta allows at most {}. Shorten it", where,
                      n, max_button_text));
  }
}

void check_url_button(collector& c, const std::string& where, const json::object& b) {
  check_button_text(c, where, b, true);
  std::string_view url = text_of(b, "url");
  if (url.empty()) {
    c.add(E::button_format, where, where + ": url is required");
    return;
  }
  if (auto n = length(url); n > max_url) {
    c.add(E::too_long, where,
          fmt::format("{}: the url has {} characters; Meta allows at most {}", where, n, max_url));
  }
  if (!url.starts_with("https://") && !url.starts_with("http://")) {
    c.add(E::button_format, where, where + ": url must start with https:// (or http://)");
  }
  auto vars = template_variables(url);
  if (vars.empty()) return;
  if (vars.size() > 1 || vars.front() != "1" || !url.ends_with("{{1}}")) {
    c.add(E::variable_format, where,
          where +
              ": a url may have one variable, {{1}}, and only at its end (e.g. "
              "https://example.com/track/{{1}})");
    return;
  }
  if (!strings_of(b.if_contains("example"), 1)) {
    c.add(E::missing_example, where,
          where +
              ": a url with {{1}} needs an example: set example to one full URL, e.g. "
              "[\"https://example.com/track/ABC123\"]");
  }
}

void check_otp_button(collector& c, const std::string& where, const json::object& b) {
  const std::string otp = upper(text_of(b, "otp_type"));
  check_button_text(c, where, b, false);
  if (otp == "COPY_CODE") return;
  if (otp != "ONE_TAP" && otp != "ZERO_TAP") {
    c.add(E::authentication_format, where,
          where + ": otp_type must be COPY_CODE, ONE_TAP or ZERO_TAP");
    return;
  }
  // One-tap and zero-tap autofill hand the code to the app named here.
  const json::value* apps = b.if_contains("supported_apps");
  bool ok = apps != nullptr && apps->is_array() && !apps->get_array().empty();
  if (ok) {
    for (const auto& a : apps->get_array()) {
      const json::object* o = a.if_object();
      ok = ok && o != nullptr && !text_of(*o, "package_name").empty() &&
           !text_of(*o, "signature_hash").empty();
    }
  } else {
    ok = !text_of(b, "package_name").empty() && !text_of(b, "signature_hash").empty();
  }
  if (!ok) {
    c.add(E::authentication_format, where,
          fmt::format("{}: a {} button needs supported_apps: [{{\"package_name\": \"...\", "
                      "\"signature_hash\": \"...\"}}] naming the Android app that receives the "
                      "code",
                      where, otp));
  }
  if (otp == "ZERO_TAP") {
    const json::value* terms = b.if_contains("zero_tap_terms_accepted");
    if (terms == nullptr || !terms->is_bool() || !terms->get_bool()) {
      c.add(E::authentication_format, where,
            where +
                ": a ZERO_TAP button needs zero_tap_terms_accepted: true (the business "
                "accepts Meta's zero-tap terms)");
    }
  }
}

void check_buttons(collector& c, const json::object& component, const context& ctx) {
  const json::value* list = component.if_contains("buttons");
  if (list == nullptr || !list->is_array() || list->get_array().empty()) {
    c.add(E::button_format, "BUTTONS", "BUTTONS: buttons must be a non-empty array");
    return;
  }
  const auto& buttons = list->get_array();
  if (ctx.authentication) {
    if (buttons.size() != 1) {
      c.add(E::authentication_format, "BUTTONS",
            "BUTTONS: an AUTHENTICATION template has exactly one button, {\"type\": \"OTP\", "
            "\"otp_type\": \"COPY_CODE\"} (or ONE_TAP / ZERO_TAP)");
    }
  } else if (buttons.size() > max_buttons) {
    c.add(E::button_count, "BUTTONS",
          fmt::format("BUTTONS: there are {} buttons; Meta allows at most {}. Remove some",
                      buttons.size(), max_buttons));
  }
  std::size_t quick = 0, url = 0, phone = 0, copy = 0;
  std::vector<std::string> types;
  for (std::size_t i = 0; i < buttons.size() && i < 2 * max_buttons; ++i) {
    const std::string where = fmt::format("BUTTONS[{}]", i);
    const json::object* b = buttons[i].if_object();
    if (b == nullptr) {
      c.add(E::button_format, where, where + ": a button must be an object");
      types.emplace_back();
      continue;
    }
    const std::string type = upper(text_of(*b, "type"));
    types.push_back(type);
    if (ctx.authentication) {
      if (type != "OTP") {
        c.add(E::authentication_format, where,
              fmt::format("{}: an AUTHENTICATION template's button is type OTP (not {}); no "
                          "URL, phone or quick reply buttons",
                          where, type.empty() ? "missing" : type.substr(0, 32)));
      } else {
        check_otp_button(c, where, *b);
      }
      continue;
    }
    if (type == "QUICK_REPLY") {
      ++quick;
      check_button_text(c, where, *b, true);
    } else if (type == "URL") {
      ++url;
      check_url_button(c, where, *b);
    } else if (type == "PHONE_NUMBER") {
      ++phone;
      check_button_text(c, where, *b, true);
      std::string_view number = text_of(*b, "phone_number");
      if (number.empty()) {
        c.add(E::button_format, where, where + ": phone_number is required");
      } else if (auto n = length(number); n > max_phone) {
        c.add(E::too_long, where,
              fmt::format("{}: phone_number has {} characters; Meta allows at most {}", where, n,
                          max_phone));
      }
    } else if (type == "COPY_CODE") {
      ++copy;
      std::string_view example = text_of(*b, "example");
      if (example.empty()) {
        c.add(E::missing_example, where,
              where + ": a COPY_CODE button needs example: the sample code, e.g. \"SUMMER25\"");
      } else if (auto n = length(example); n > max_copy_code) {
        c.add(E::too_long, where,
              fmt::format("{}: the example code has {} characters; Meta allows at most {}", where,
                          n, max_copy_code));
      }
    } else if (type == "OTP") {
      c.add(E::button_format, where, where + ": OTP buttons are only for AUTHENTICATION templates");
    } else {
      c.add(E::button_format, where,
            fmt::format("{}: type must be QUICK_REPLY, URL, PHONE_NUMBER or COPY_CODE (found "
                        "{}); other buttons (flows, catalogs) are made in WhatsApp Manager",
                        where, type.empty() ? "none" : type.substr(0, 32)));
    }
  }
  auto too_many = [&](std::size_t n, std::size_t max, std::string_view kind) {
    if (n > max) {
      c.add(E::button_count, "BUTTONS",
            fmt::format("BUTTONS: {} {} buttons; Meta allows at most {}. Remove {}", n, kind, max,
                        n - max));
    }
  };
  too_many(quick, max_quick_replies, "QUICK_REPLY");
  too_many(url, max_url_buttons, "URL");
  too_many(phone, max_phone_buttons, "PHONE_NUMBER");
  too_many(copy, max_copy_code_buttons, "COPY_CODE");
  // Quick replies form one group: no other button between the first and the last of them.
  auto first = std::find(types.begin(), types.end(), "QUICK_REPLY");
  auto last = std::find(types.rbegin(), types.rend(), "QUICK_REPLY");
  if (first != types.end() &&
      std::any_of(first, last.base(), [](const std::string& t) { return t != "QUICK_REPLY"; })) {
    c.add(E::buttons_not_grouped, "BUTTONS",
          "BUTTONS: quick reply buttons must be next to each other, not mixed with URL, phone or "
          "copy code buttons; put all QUICK_REPLY buttons first (or last)");
  }
}

bool valid_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
  });
}

// Meta's language codes: "en", "en_US", "zh_CN", "fil", "es_MX"...
bool valid_language(std::string_view code) {
  auto letters = [](std::string_view s, std::size_t lo, std::size_t hi, bool lower) {
    return s.size() >= lo && s.size() <= hi && std::all_of(s.begin(), s.end(), [&](char ch) {
             return lower ? (ch >= 'a' && ch <= 'z')
                          : ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'));
           });
  };
  auto underscore = code.find('_');
  if (underscore == std::string_view::npos) return letters(code, 2, 3, true);
  return letters(code.substr(0, underscore), 2, 3, true) &&
         letters(code.substr(underscore + 1), 2, 4, false);
}

}  // namespace

std::string_view template_rule_name(template_rule_errc e) noexcept {
  switch (e) {
    case E::invalid_name:
      return "invalid_name";
    case E::invalid_category:
      return "invalid_category";
    case E::invalid_language:
      return "invalid_language";
    case E::invalid_parameter_format:
      return "invalid_parameter_format";
    case E::invalid_component:
      return "invalid_component";
    case E::component_count:
      return "component_count";
    case E::too_long:
      return "too_long";
    case E::header_format:
      return "header_format";
    case E::footer_format:
      return "footer_format";
    case E::button_count:
      return "button_count";
    case E::button_format:
      return "button_format";
    case E::buttons_not_grouped:
      return "buttons_not_grouped";
    case E::variable_format:
      return "variable_format";
    case E::variable_at_edge:
      return "variable_at_edge";
    case E::missing_example:
      return "missing_example";
    case E::authentication_format:
      return "authentication_format";
  }
  return "unknown";
}

const boost::system::error_category& template_rule_category() noexcept {
  static const template_rule_category_impl category;
  return category;
}

boost::system::error_code make_error_code(template_rule_errc e) noexcept {
  return {static_cast<int>(e), template_rule_category()};
}

std::vector<std::string> template_variables(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    auto close = text.find("}}", pos + 2);
    if (close == std::string_view::npos) break;
    out.emplace_back(text.substr(pos + 2, close - pos - 2));
    pos = close + 2;
  }
  return out;
}

template_check check_template(const json::object& request) {
  collector c;
  context ctx;

  bool wrong = false;
  const json::string* name = string_member(request, "name", wrong);
  if (name == nullptr || !valid_name(*name) || name->size() > max_name) {
    c.add(E::invalid_name, "name",
          name != nullptr && name->size() > max_name
              ? fmt::format("name: {} characters; Meta allows at most {}", name->size(), max_name)
              : std::string("name: required, and only lowercase letters a-z, digits and "
                            "underscores (e.g. seasonal_promotion): no spaces, capitals or "
                            "hyphens"));
  }
  ctx.category = std::string(text_of(request, "category"));
  if (ctx.category != "MARKETING" && ctx.category != "UTILITY" &&
      ctx.category != "AUTHENTICATION") {
    c.add(E::invalid_category, "category",
          "category: must be MARKETING, UTILITY or AUTHENTICATION (Meta may move a template to "
          "another category when it reviews it)");
  }
  ctx.authentication = ctx.category == "AUTHENTICATION";
  if (!valid_language(text_of(request, "language"))) {
    c.add(E::invalid_language, "language",
          "language: required, a language code Meta supports such as en_US, en, pt_BR or es_MX");
  }
  if (const json::value* f = request.if_contains("parameter_format")) {
    const std::string format = f->is_string() ? upper(f->get_string()) : std::string();
    if (format == "NAMED") {
      ctx.named = true;
    } else if (format != "POSITIONAL") {
      c.add(E::invalid_parameter_format, "parameter_format",
            "parameter_format: must be positional ({{1}}, {{2}}..., the default) or named "
            "({{first_name}})");
    }
  }

  const json::value* components = request.if_contains("components");
  if (components == nullptr || !components->is_array() || components->get_array().empty()) {
    c.add(E::invalid_component, "components",
          "components: required, an array with at least a BODY component");
    return c.take();
  }
  std::array<std::size_t, 4> seen{};  // HEADER, BODY, FOOTER, BUTTONS
  constexpr std::array<std::string_view, 4> kinds{"HEADER", "BODY", "FOOTER", "BUTTONS"};
  std::size_t index = 0;
  for (const auto& item : components->get_array()) {
    const std::string where = fmt::format("components[{}]", index++);
    const json::object* o = item.if_object();
    if (o == nullptr) {
      c.add(E::invalid_component, where, where + ": a component must be an object");
      continue;
    }
    const std::string type = upper(text_of(*o, "type"));
    auto kind = std::find(kinds.begin(), kinds.end(), type);
    if (kind == kinds.end()) {
      c.add(E::invalid_component, where,
            fmt::format("{}: type must be HEADER, BODY, FOOTER or BUTTONS (found {}); carousels "
                        "and limited-time offers are made in WhatsApp Manager",
                        where, type.empty() ? "none" : type.substr(0, 32)));
      continue;
    }
    if (++seen[static_cast<std::size_t>(kind - kinds.begin())] > 1) continue;  // counted below
    if (type == "HEADER") check_header(c, *o, ctx);
    if (type == "BODY") check_body(c, *o, ctx);
    if (type == "FOOTER") check_footer(c, *o, ctx);
    if (type == "BUTTONS") check_buttons(c, *o, ctx);
  }
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    if (seen[k] > 1) {
      c.add(E::component_count, std::string(kinds[k]),
            fmt::format("{}: {} {} components; a template has at most one. Merge them", kinds[k],
                        seen[k], kinds[k]));
    }
  }
  if (seen[1] == 0) {
    c.add(E::component_count, "BODY",
          ctx.authentication
              ? std::string("BODY: required; for AUTHENTICATION give {\"type\": \"BODY\", "
                            "\"add_security_recommendation\": true} (or false)")
              : std::string("BODY: required; add {\"type\": \"BODY\", \"text\": \"...\"}"));
  }
  if (ctx.authentication && seen[3] == 0) {
    c.add(E::authentication_format, "BUTTONS",
          "BUTTONS: an AUTHENTICATION template needs one button, {\"type\": \"OTP\", "
          "\"otp_type\": \"COPY_CODE\"} (or ONE_TAP / ZERO_TAP)");
  }
  return c.take();
}

}  // namespace pons::meta
