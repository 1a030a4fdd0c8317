#include "pons/meta/graph_client.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "pons/http/client.hpp"
#include "pons/logging/log_field.hpp"

namespace pons::meta {

namespace json = boost::json;
using boost::system::error_code;

namespace {

class graph_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.meta.graph"; }
  std::string message(int ev) const override {
    switch (static_cast<graph_errc>(ev)) {
      case graph_errc::unexpected_response:
        return "the Graph API answered success without the documented fields";
      case graph_errc::integrity_mismatch:
        return "downloaded media does not match the sha256/size Meta announced";
      case graph_errc::file_unreadable:
        return "the file to upload could not be read";
      case graph_errc::media_too_large:
        return "the media is larger than Meta accepts";
      case graph_errc::invalid_phone_number_id:
        return "the phone number id is not a Meta id (Meta's ids are digits only), so nothing was "
               "sent; check WA_PHONE_NUMBER_ID or the account configuration";
      case graph_errc::invalid_media_id:
        return "the media id is not a Meta id (Meta's ids are digits only), so it was not looked "
               "up; use the id Meta gave for the media";
      case graph_errc::invalid_waba_id:
        return "the WhatsApp Business Account id is not a Meta id (Meta's ids are digits only), "
               "so nothing was asked; check WA_WABA_ID or the account configuration";
      case graph_errc::invalid_template_id:
        return "the template id is not a Meta id (Meta's ids are digits only), so nothing was "
               "deleted; take the id from list_templates or sync_templates";
    }
    return "unknown graph client error";
  }
};

graph_error make_graph_error(error_code code, int attempts) {
  graph_error e;
  e.code = code;
  e.attempts = attempts;
  return e;
}

std::string str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return {};
}

std::string random_boundary(std::mt19937_64& rng) {
  return fmt::format("pons-{:016x}{:016x}", rng(), rng());
}

// Quotes a multipart parameter value; quotes and line breaks cannot appear in it.
std::string form_quote(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"' || c == '\r' || c == '\n') continue;
    out += c;
  }
  return out;
}

bool is_success(int status) {
  return status >= 200 && status < 300;
}

// The refusal for an id that is not a Meta id; no request was made.
graph_error refuse_id(graph_errc which) {
  return make_graph_error(make_error_code(which), 0);
}

}  // namespace

bool is_graph_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id)
    if (c < '0' || c > '9') return false;
  return true;
}

const boost::system::error_category& graph_category() noexcept {
  static const graph_category_impl category;
  return category;
}

error_code make_error_code(graph_errc e) noexcept {
  return {static_cast<int>(e), graph_category()};
}

bool graph_error::retryable() const noexcept {
  if (meta) return meta->retryable();
  if (code.category() == http::client_category()) {
    auto e = static_cast<http::client_errc>(code.value());
    // A refused certificate or a bad configuration will not fix itself.
    return e != http::client_errc::bad_url && e != http::client_errc::insecure_scheme &&
           e != http::client_errc::tls_setup_failed && e != http::client_errc::tls_failed &&
           e != http::client_errc::body_too_large;
  }
  return false;
}

std::string graph_error::explain() const {
  std::string out;
  if (meta) {
    out = meta->explain();
  } else if (code.category() == http::client_category()) {
    out = fmt::format("The Graph API could not be reached: {}.", code.message());
    if (retryable()) out += " This can be retried.";
  } else if (code.category() == build_category()) {
    out = fmt::format("The message was not sent: {}.", code.message());
  } else {
    out = code.message();
  }
  if (attempts > 1) out += fmt::format(" ({} attempts)", attempts);
  return out;
}

void throw_exception_from_error(const graph_error& e, const boost::source_location&) {
  throw std::runtime_error(e.explain());
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : digest) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

graph_config graph_config_from_env(const std::function<const char*(const char*)>& getenv) {
  auto get = [&](const char* name) -> std::string {
    const char* v = getenv ? getenv(name) : std::getenv(name);
    return v ? std::string(v) : std::string();
  };
  graph_config c;
  if (auto v = get("WA_GRAPH_BASE_URL"); !v.empty()) {
    while (!v.empty() && v.back() == '/') v.pop_back();
    c.base_url = v;
  }
  if (auto v = get("WA_GRAPH_VERSION"); !v.empty()) {
    c.version = v.front() == 'v' ? v : "v" + v;
  }
  c.access_token = get("WA_ACCESS_TOKEN");
  c.ca_file = get("WA_GRAPH_CA_FILE");
  return c;
}

graph_client::graph_client(graph_config config, graph_logger logger, graph_sleeper sleeper)
    : config_(std::move(config)),
      logger_(std::move(logger)),
      sleeper_(std::move(sleeper)),
      rng_(std::random_device{}()) {
  while (!config_.base_url.empty() && config_.base_url.back() == '/') config_.base_url.pop_back();
  http::client_options options;
  options.timeout = config_.timeout;
  options.ca_file = config_.ca_file;
  options.body_limit = config_.max_media_bytes + 1024 * 1024;
  http_ = std::make_unique<http::client>(options);
  if (!sleeper_) sleeper_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

graph_client::~graph_client() = default;

std::string graph_client::api_url(
    std::initializer_list<std::string_view> segments,
    std::initializer_list<std::pair<std::string_view, std::string_view>> params) const {
  // Each segment is percent-encoded as one path segment ('/', '?', '#' cannot add a segment or
  // start a query; ".." is still "..", which is why ids are checked before they get here). Query
  // values keep only unreserved characters: Boost.URL would leave '+' as it is, which Meta reads
  // as a space, and cursors are base64.
  auto base = boost::urls::parse_absolute_uri(config_.base_url);
  if (!base) return config_.base_url;  // the HTTP client refuses it as a bad URL
  boost::urls::url u(*base);
  u.segments().push_back(config_.version);
  for (auto s : segments) u.segments().push_back(s);
  for (const auto& [key, value] : params)
    u.encoded_params().append({boost::urls::encode(key, boost::urls::unreserved_chars),
                               boost::urls::encode(value, boost::urls::unreserved_chars)});
  return std::string(u.buffer());
}

std::string graph_client::redact(std::string text) const {
  const auto& token = config_.access_token;
  if (token.empty()) return text;
  for (auto pos = text.find(token); pos != std::string::npos; pos = text.find(token, pos)) {
    text.replace(pos, token.size(), "[redacted]");
  }
  return text;
}

void graph_client::log(std::string_view line) const {
  if (logger_) logger_(redact(std::string(line)));
}

std::chrono::milliseconds graph_client::backoff(int retry) {
  // Exponential with "equal jitter": half fixed, half random, so waits never collapse to 0.
  auto base = std::max<std::int64_t>(config_.backoff_base.count(), 1);
  auto cap = std::max<std::int64_t>(config_.backoff_cap.count(), base);
  auto exp = std::min<std::int64_t>(cap, base << std::min(retry, 20));
  std::uniform_int_distribution<std::int64_t> jitter(0, exp / 2);
  return std::chrono::milliseconds(exp - exp / 2 + jitter(rng_));
}

graph_result<std::string> graph_client::call(std::string_view method, const std::string& url,
                                             std::string content_type, std::string body,
                                             bool retry) {
  http::request req;
  req.method = std::string(method);
  req.url = url;
  req.headers.push_back({"Authorization", "Bearer " + config_.access_token});
  if (!content_type.empty()) req.headers.push_back({"Content-Type", std::move(content_type)});
  req.body = std::move(body);

  // Only the path goes to the log: media URLs carry signed query strings.
  auto path = logging::log_value(url.substr(0, url.find('?')));
  graph_error last;
  for (int attempt = 1; attempt <= config_.max_retries + 1; ++attempt) {
    auto started = std::chrono::steady_clock::now();
    auto res = http_->send(req);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    if (res && is_success(res->status)) {
      log(fmt::format("event=graph_call method={} url={} status={} attempt={} ms={}", method, path,
                      res->status, attempt, ms));
      return std::move(res->body);
    }
    if (res) {
      auto meta = domain::parse_graph_error(res->body, res->status);
      meta.message = redact(std::move(meta.message));
      meta.details = redact(std::move(meta.details));
      last = make_graph_error(meta.error_code(), attempt);
      last.meta = std::move(meta);
      log(fmt::format(
          "event=graph_call method={} url={} status={} meta_code={} retryable={} "
          "attempt={} ms={}",
          method, path, res->status, last.meta->meta_code, last.retryable(), attempt, ms));
    } else {
      last = make_graph_error(res.error(), attempt);
      log(fmt::format("event=graph_call method={} url={} error={} attempt={} ms={}", method, path,
                      logging::log_quoted(res.error().message()), attempt, ms));
    }
    if (!retry || !last.retryable() || attempt > config_.max_retries) break;
    auto wait = backoff(attempt - 1);
    log(fmt::format("event=graph_retry url={} in_ms={}", path, wait.count()));
    sleeper_(wait);
  }
  return last;
}

graph_result<send_result> graph_client::send(std::string_view phone_number_id,
                                             const outgoing_message& message) {
  auto body = build_message(message);
  if (!body) return make_graph_error(body.error(), 0);
  return send_body(phone_number_id, *body);
}

graph_result<send_result> graph_client::send_body(std::string_view phone_number_id,
                                                  const json::object& body) {
  if (!is_graph_id(phone_number_id)) return refuse_id(graph_errc::invalid_phone_number_id);
  auto res = call("POST", api_url({phone_number_id, "messages"}), "application/json",
                  json::serialize(body));
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  const json::object* o = !ec ? parsed.if_object() : nullptr;
  const json::value* messages = o ? o->if_contains("messages") : nullptr;
  if (!messages || !messages->is_array() || messages->get_array().empty() ||
      !messages->get_array()[0].is_object()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  send_result out;
  const auto& first = messages->get_array()[0].get_object();
  out.wamid = str(first, "id");
  out.message_status = str(first, "message_status");
  if (const auto* contacts = o->if_contains("contacts"); contacts && contacts->is_array() &&
                                                         !contacts->get_array().empty() &&
                                                         contacts->get_array()[0].is_object()) {
    const auto& c = contacts->get_array()[0].get_object();
    out.input = str(c, "input");
    out.wa_id = str(c, "wa_id");
    out.user_id = str(c, "user_id");
  }
  if (out.wamid.empty()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  return out;
}

graph_result<void> graph_client::mark_read(std::string_view phone_number_id, std::string_view wamid,
                                           bool typing) {
  if (!is_graph_id(phone_number_id)) return refuse_id(graph_errc::invalid_phone_number_id);
  auto res = call("POST", api_url({phone_number_id, "messages"}), "application/json",
                  json::serialize(build_mark_read(wamid, typing)));
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  const auto* o = !ec ? parsed.if_object() : nullptr;
  const auto* success = o ? o->if_contains("success") : nullptr;
  if (!success || !success->is_bool() || !success->get_bool()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  return {};
}

graph_result<std::string> graph_client::upload_media(std::string_view phone_number_id,
                                                     std::string_view bytes,
                                                     std::string_view mime_type,
                                                     std::string_view filename) {
  if (!is_graph_id(phone_number_id)) return refuse_id(graph_errc::invalid_phone_number_id);
  if (bytes.size() > config_.max_media_bytes) {
    return make_graph_error(make_error_code(graph_errc::media_too_large), 0);
  }
  auto boundary = random_boundary(rng_);
  std::string body;
  body.reserve(bytes.size() + 512);
  auto field = [&](std::string_view name, std::string_view value) {
    body += fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n",
                        boundary, name, value);
  };
  field("messaging_product", "whatsapp");
  field("type", mime_type);
  body += fmt::format(
      "--{}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n"
      "Content-Type: {}\r\n\r\n",
      boundary, form_quote(filename.empty() ? "upload" : filename), mime_type);
  body.append(bytes);
  body += fmt::format("\r\n--{}--\r\n", boundary);

  auto res = call("POST", api_url({phone_number_id, "media"}),
                  "multipart/form-data; boundary=" + boundary, std::move(body));
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  auto id = !ec && parsed.is_object() ? str(parsed.get_object(), "id") : std::string();
  if (id.empty()) return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  return id;
}

graph_result<std::string> graph_client::upload_media_file(std::string_view phone_number_id,
                                                          const std::string& path,
                                                          std::string_view mime_type) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_graph_error(make_error_code(graph_errc::file_unreadable), 0);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) return make_graph_error(make_error_code(graph_errc::file_unreadable), 0);
  auto slash = path.find_last_of('/');
  auto name = slash == std::string::npos ? path : path.substr(slash + 1);
  return upload_media(phone_number_id, ss.str(), mime_type, name);
}

graph_result<media_info> graph_client::get_media(std::string_view media_id) {
  if (!is_graph_id(media_id)) return refuse_id(graph_errc::invalid_media_id);
  auto res = call("GET", api_url({media_id}), "", "");
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  if (ec || !parsed.is_object()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  const auto& o = parsed.get_object();
  media_info info;
  info.id = str(o, "id");
  info.url = str(o, "url");
  info.mime_type = str(o, "mime_type");
  info.sha256 = str(o, "sha256");
  // Meta's examples show file_size both as a number and as a string.
  info.file_size = std::strtoull(str(o, "file_size").c_str(), nullptr, 10);
  if (info.url.empty()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  return info;
}

graph_result<std::string> graph_client::download_media(const media_info& info) {
  auto res = call("GET", info.url, "", "");
  if (!res) return res.error();
  if (info.file_size && res->size() != info.file_size) {
    return make_graph_error(make_error_code(graph_errc::integrity_mismatch), 1);
  }
  if (info.sha256.size() == 64) {
    auto expected = info.sha256;
    std::transform(expected.begin(), expected.end(), expected.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (sha256_hex(*res) != expected) {
      return make_graph_error(make_error_code(graph_errc::integrity_mismatch), 1);
    }
  }
  return res;
}

graph_result<phone_number_info> graph_client::get_phone_number(std::string_view phone_number_id) {
  if (!is_graph_id(phone_number_id)) return refuse_id(graph_errc::invalid_phone_number_id);
  auto res =
      call("GET",
           api_url({phone_number_id}, {{"fields",
                                        "display_phone_number,verified_name,quality_rating,"
                                        "messaging_limit_tier,name_status,throughput,status"}}),
           "", "");
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  const auto* o = !ec ? parsed.if_object() : nullptr;
  if (!o) return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  phone_number_info info;
  info.display_phone_number = str(*o, "display_phone_number");
  info.verified_name = str(*o, "verified_name");
  info.quality_rating = str(*o, "quality_rating");
  info.messaging_limit_tier = str(*o, "messaging_limit_tier");
  info.name_status = str(*o, "name_status");
  info.status = str(*o, "status");
  if (const auto* t = o->if_contains("throughput"); t && t->is_object()) {
    info.throughput_level = str(t->get_object(), "level");
  }
  return info;
}

graph_result<template_page> graph_client::list_templates(std::string_view waba_id,
                                                         std::string_view after) {
  if (!is_graph_id(waba_id)) return refuse_id(graph_errc::invalid_waba_id);
  const auto limit = std::to_string(config_.template_page_size);
  // Cursors are base64 (may hold '+', '/' or '='): api_url percent-encodes them.
  auto url = after.empty()
                 ? api_url({waba_id, "message_templates"}, {{"limit", limit}})
                 : api_url({waba_id, "message_templates"}, {{"limit", limit}, {"after", after}});
  auto res = call("GET", url, "", "");
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  const auto* o = !ec ? parsed.if_object() : nullptr;
  const auto* data = o ? o->if_contains("data") : nullptr;
  if (!data || !data->is_array()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  template_page page;
  for (const auto& item : data->get_array()) {
    if (!item.is_object()) continue;
    const auto& t = item.get_object();
    template_info info;
    info.id = str(t, "id");
    info.name = str(t, "name");
    info.language = str(t, "language");
    info.status = str(t, "status");
    info.category = str(t, "category");
    info.parameter_format = str(t, "parameter_format");
    info.rejected_reason = str(t, "rejected_reason");
    const auto* components = t.if_contains("components");
    info.components_json = components ? json::serialize(*components) : "[]";
    page.templates.push_back(std::move(info));
  }
  // Meta keeps cursors on the last page too; only `next` says another page exists.
  if (const auto* paging = o->if_contains("paging"); paging && paging->is_object()) {
    const auto& p = paging->get_object();
    const auto* cursors = p.if_contains("cursors");
    if (p.contains("next") && cursors && cursors->is_object()) {
      page.after = str(cursors->get_object(), "after");
    }
  }
  return page;
}

graph_result<created_template> graph_client::create_message_template(std::string_view waba_id,
                                                                     const json::object& body) {
  if (!is_graph_id(waba_id)) return refuse_id(graph_errc::invalid_waba_id);
  auto res = call("POST", api_url({waba_id, "message_templates"}), "application/json",
                  json::serialize(body), false);
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  const auto* o = !ec ? parsed.if_object() : nullptr;
  created_template out;
  if (o) {
    out.id = str(*o, "id");
    out.status = str(*o, "status");
    out.category = str(*o, "category");
  }
  if (out.id.empty()) return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  return out;
}

graph_result<void> graph_client::delete_message_template(std::string_view waba_id,
                                                         std::string_view name,
                                                         std::string_view hsm_id) {
  if (!is_graph_id(waba_id)) return refuse_id(graph_errc::invalid_waba_id);
  if (!hsm_id.empty() && !is_graph_id(hsm_id)) return refuse_id(graph_errc::invalid_template_id);
  // The name is the caller's text: api_url percent-encodes it as one query value.
  auto url = hsm_id.empty()
                 ? api_url({waba_id, "message_templates"}, {{"name", name}})
                 : api_url({waba_id, "message_templates"}, {{"name", name}, {"hsm_id", hsm_id}});
  auto res = call("DELETE", url, "", "");
  if (!res) return res.error();
  error_code ec;
  auto parsed = json::parse(*res, ec);
  const auto* o = !ec ? parsed.if_object() : nullptr;
  const auto* success = o ? o->if_contains("success") : nullptr;
  if (!success || !success->is_bool() || !success->get_bool()) {
    return make_graph_error(make_error_code(graph_errc::unexpected_response), 1);
  }
  return {};
}

graph_result<std::vector<template_info>> graph_client::list_all_templates(std::string_view waba_id,
                                                                          std::size_t max_pages) {
  std::vector<template_info> all;
  std::string after;
  for (std::size_t i = 0; i < max_pages; ++i) {
    auto page = list_templates(waba_id, after);
    if (!page) return page.error();
    for (auto& t : page->templates) all.push_back(std::move(t));
    if (page->after.empty() || page->after == after) break;
    after = page->after;
  }
  return all;
}

}  // namespace pons::meta
