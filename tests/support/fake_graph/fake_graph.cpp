#include "fake_graph.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <optional>

namespace pons::fake_graph {

namespace json = boost::json;
using clock = std::chrono::system_clock;

namespace {

constexpr std::chrono::seconds media_url_lifetime{300};

std::string hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0xF];
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return hex(digest, sizeof digest);
}

std::string sha256_base64(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, sizeof digest);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
}

std::string base64_decode(std::string_view in) {
  std::string out((in.size() / 4 + 1) * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n));
  // EVP_DecodeBlock counts padding bytes as data.
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) out.pop_back();
  return out;
}

std::string digits_only(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

std::string str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}

http_response json_response(int status, const json::value& body) {
  http_response r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

constexpr int newest_version_major = 26;

// The major number of a version segment ("v26.0" -> 26); nullopt when it is not vNN.N.
std::optional<int> version_major(const std::string& segment) {
  int major = 0;
  int minor = 0;
  const char* begin = segment.data() + 1;
  const char* end = segment.data() + segment.size();
  auto [dot, ec] = std::from_chars(begin, end, major);
  if (ec != std::errc() || dot == end || *dot != '.') return std::nullopt;
  auto [last, ec2] = std::from_chars(dot + 1, end, minor);
  if (ec2 != std::errc() || last != end) return std::nullopt;
  return major;
}

http_response meta_error(int code, const std::string& title, const std::string& details,
                         int status = 0) {
  return json_response(status ? status : http_status_for(code),
                       meta_error_body(code, title, details, "AFakeTrace" + std::to_string(code)));
}

std::string default_title(int code) {
  switch (code) {
    case 1:
      return "An unknown error occurred";
    case 2:
      return "Service temporarily unavailable";
    case 4:
      return "Application request limit reached";
    case 100:
      return "Invalid parameter";
    case 130429:
      return "Rate limit hit";
    case 131000:
      return "Something went wrong";
    case 131026:
      return "Message undeliverable";
    case 131047:
      return "Re-engagement message";
    case 131056:
      return "(Business Account, Consumer Account) pair rate limit hit";
    case 132001:
      return "Template name does not exist in the translation";
    case 190:
      return "Error validating access token: Session has expired.";
    default:
      return "Error";
  }
}

std::string default_details(int code) {
  switch (code) {
    case 130429:
      return "Cloud API message throughput has been reached.";
    case 131000:
      return "Message failed to send due to an unknown error.";
    case 131047:
      return "Message failed to send because more than 24 hours have passed since the customer "
             "last replied to this number.";
    case 131056:
      return "Too many messages sent from the sender phone number to the same recipient phone "
             "number in a short period of time.";
    default:
      return "";
  }
}

// A minimal multipart/form-data reader: enough for Meta's media upload form.
struct form_part {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string data;
};

std::optional<std::vector<form_part>> parse_multipart(std::string_view content_type,
                                                      std::string_view body) {
  auto b = content_type.find("boundary=");
  if (b == std::string_view::npos) return std::nullopt;
  std::string boundary(content_type.substr(b + 9));
  if (auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"')
    boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delimiter = "--" + boundary;
  std::vector<form_part> parts;
  auto pos = body.find(delimiter);
  if (pos == std::string_view::npos) return std::nullopt;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    auto header_end = body.find("\r\n\r\n", pos);
    if (header_end == std::string_view::npos) return std::nullopt;
    auto headers = body.substr(pos, header_end - pos);
    auto data_start = header_end + 4;
    auto next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) return std::nullopt;
    form_part part;
    part.data = std::string(body.substr(data_start, next - data_start));
    auto param = [&](std::string_view key) -> std::string {
      auto k = headers.find(std::string(key) + "=\"");
      if (k == std::string_view::npos) return {};
      auto start = k + key.size() + 2;
      auto end = headers.find('"', start);
      return std::string(headers.substr(start, end - start));
    };
    part.name = param(" name");
    part.filename = param("filename");
    std::string lower;
    for (char c : headers) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto ct = lower.find("content-type:"); ct != std::string::npos) {
      auto end = headers.find("\r\n", ct);
      auto value = headers.substr(ct + 13, end == std::string_view::npos ? end : end - ct - 13);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      part.content_type = std::string(value);
    }
    parts.push_back(std::move(part));
    pos = next + 2;
  }
  return parts;
}

json::array default_templates() {
  return json::parse(R"([
    {"name":"hello_world","parameter_format":"POSITIONAL","components":[
      {"type":"HEADER","format":"TEXT","text":"Hello World"},
      {"type":"BODY","text":"Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta."},
      {"type":"FOOTER","text":"WhatsApp Business Platform sample message"}],
     "language":"en_US","status":"APPROVED","category":"UTILITY","id":"1192339204654487"},
    {"name":"order_confirmation","parameter_format":"NAMED","components":[
      {"type":"BODY","text":"Thank you, {{first_name}}! Your order number is {{order_number}}.",
       "example":{"body_text_named_params":[{"param_name":"first_name","example":"Pablo"},{"param_name":"order_number","example":"860198-230332"}]}}],
     "language":"en_US","status":"APPROVED","category":"UTILITY","id":"1077502813781932"},
    {"name":"2023_april_promo","parameter_format":"POSITIONAL","components":[
      {"type":"HEADER","format":"TEXT","text":"Fall Sale"},
      {"type":"BODY","text":"Hi {{1}}, our Fall Sale is on! Use promo code {{2}} Get an extra 25% off every order above $350!",
       "example":{"body_text":[["Mark","FALL25"]]}},
      {"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Stop promotions"}]}],
     "language":"en_US","status":"APPROVED","category":"MARKETING","id":"920070352646140"},
    {"name":"appointment_reminder","parameter_format":"POSITIONAL","components":[
      {"type":"BODY","text":"Reminder: your appointment is on {{1}} at {{2}}.",
       "example":{"body_text":[["Monday","10:00"]]}}],
     "language":"es_ES","status":"APPROVED","category":"UTILITY","id":"640271918432188"},
    {"name":"summer_launch","parameter_format":"POSITIONAL","components":[
      {"type":"BODY","text":"Our summer collection is here."}],
     "language":"en_US","status":"REJECTED","category":"MARKETING","id":"501849340932412"}
  ])")
      .as_array();
}

}  // namespace

fake_graph::fake_graph(options opts) : opts_(std::move(opts)), templates_(default_templates()) {}

std::string fake_graph::next_id() {
  return std::to_string(1000000000000000ULL + ++counter_ * 7919);
}

std::string fake_graph::next_wamid() {
  // Meta's wamids are opaque base64; tests only need them unique and recognisable.
  return fmt::format("wamid.HBgLRkFLRUdSQVBIFQIAERgS{:016X}AA==", ++counter_);
}

webhook_post fake_graph::sign(const json::value& payload) const {
  webhook_post post;
  post.body = json::serialize(payload);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), opts_.app_secret.data(), static_cast<int>(opts_.app_secret.size()),
       reinterpret_cast<const unsigned char*>(post.body.data()), post.body.size(), mac, &len);
  post.signature = "sha256=" + hex(mac, len);
  return post;
}

json::object fake_graph::webhook_envelope(const std::string& phone_number_id,
                                          json::object value) const {
  json::object metadata{{"display_phone_number", opts_.display_phone_number},
                        {"phone_number_id", phone_number_id}};
  json::object full{{"messaging_product", "whatsapp"}, {"metadata", std::move(metadata)}};
  for (auto& kv : value) full[kv.key()] = std::move(kv.value());
  json::object change{{"value", std::move(full)}, {"field", "messages"}};
  json::object entry{{"id", opts_.waba_id}, {"changes", json::array{std::move(change)}}};
  return json::object{{"object", "whatsapp_business_account"},
                      {"entry", json::array{std::move(entry)}}};
}

std::string fake_graph::media_url(const std::string& media_id, clock::time_point now) {
  auto key = fmt::format("{}-{}", media_id, ++counter_);
  media_urls_[key] = now;
  return fmt::format("{}/whatsapp_business/attachments/?mid={}&key={}", opts_.self_base_url,
                     media_id, key);
}

void fake_graph::record(const http_request& req, const std::string& path, const std::string& query,
                        const std::string& auth, clock::time_point now, json::value parsed) {
  json::object r;
  r["method"] = req.method;
  r["path"] = path;
  r["query"] = query;
  r["auth"] = auth;
  r["content_type"] = req.content_type;
  r["at_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (!parsed.is_null()) {
    r["json"] = std::move(parsed);
  } else if (req.content_type.find("multipart/") == std::string::npos) {
    r["body"] = req.body;
  }
  // Bounded, so a long demo session cannot grow without limit.
  if (requests_.size() >= 10000) requests_.erase(requests_.begin());
  requests_.push_back(std::move(r));
}

std::optional<fault> fake_graph::take_fault(const std::string& path, const std::string& recipient) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->path.empty() && path.find(it->path) == std::string::npos) continue;
    if (!it->recipient.empty() && digits_only(it->recipient) != digits_only(recipient) &&
        it->recipient != recipient) {
      continue;
    }
    fault f = *it;
    if (it->times > 0 && --it->times == 0) faults_.erase(it);
    return f;
  }
  return std::nullopt;
}

bool fake_graph::known_token(const std::string& authorization) const {
  if (authorization == "Bearer " + opts_.token) return true;
  for (const auto& [number, token] : number_tokens_)
    if (authorization == "Bearer " + token) return true;
  return false;
}

http_response fake_graph::handle(const http_request& req, clock::time_point now) {
  auto parsed = boost::urls::parse_origin_form(req.target);
  if (!parsed) return meta_error(100, "Invalid parameter", "Malformed request target.");
  std::string path = parsed->path();
  std::string query_text(parsed->encoded_query());
  std::map<std::string, std::string> query;
  for (auto p : parsed->params()) query[p.key] = p.value;

  if (path.rfind("/_fake/", 0) == 0) return control(req, path, now);

  std::vector<std::string> segments;
  for (auto s : parsed->segments()) segments.push_back(s);

  if (path == "/whatsapp_business/attachments/") {
    record(req, path, query_text, known_token(req.authorization) ? "ok" : "wrong", now, nullptr);
    return download_media(req, query, now);
  }

  json::value body_json;
  if (req.content_type.find("application/json") != std::string::npos && !req.body.empty()) {
    boost::system::error_code ec;
    body_json = json::parse(req.body, ec);
    if (ec) body_json = nullptr;
  }
  std::string auth = req.authorization.empty()        ? "missing"
                     : known_token(req.authorization) ? "ok"
                                                      : "wrong";
  // A valid token of another account: Meta refuses the number's endpoints with a permission
  // error (code 200, HTTP 403).
  if (auth == "ok" && segments.size() == 3 && number_tokens_.count(segments[1]) &&
      req.authorization != "Bearer " + number_tokens_.at(segments[1])) {
    auth = "other_account";
  }
  record(req, path, query_text, auth, now, body_json);

  std::string recipient;
  if (body_json.is_object()) {
    recipient = str(body_json.get_object(), "to");
    if (recipient.empty()) recipient = str(body_json.get_object(), "recipient");
  }
  auto injected = take_fault(path, recipient);
  std::chrono::milliseconds delay{injected ? injected->delay_ms : 0};
  http_response out;
  if (injected && (injected->code || injected->http_status)) {
    int code = injected->code ? injected->code : 131000;
    out = meta_error(code, default_title(code), default_details(code), injected->http_status);
  } else if (auth == "missing") {
    out = meta_error(190, "An active access token must be used to query information.", "", 401);
  } else if (auth == "wrong") {
    out = meta_error(190, "Invalid OAuth access token - Cannot parse access token", "", 401);
  } else if (auth == "other_account") {
    out = meta_error(
        200, "Permissions error",
        fmt::format("The access token has no permission for phone number {}.", segments[1]), 403);
  } else {
    out = api(req, segments, query, now);
  }
  out.delay = delay;
  return out;
}

http_response fake_graph::api(const http_request& req, const std::vector<std::string>& segments,
                              const std::map<std::string, std::string>& query,
                              clock::time_point now) {
  const bool versioned = !segments.empty() && segments[0].size() > 1 && segments[0][0] == 'v';
  if (!versioned) {
    return meta_error(100, "Unknown path components", "Requests need a version: /vNN.N/...");
  }
  // The versions Meta serves at the end of 2026 are v23.0 to v26.0. A call to an older one is
  // answered as by the oldest still usable (Meta's versioning guide); a newer one does not exist.
  if (auto major = version_major(segments[0]); !major || *major > newest_version_major) {
    return meta_error(100, "Unknown path components",
                      "/" + segments[0] + " is not a Graph API version (the newest is v26.0)");
  }
  if (segments.size() == 3 && segments[2] == "messages" && req.method == "POST") {
    return send_message(segments[1], req, now);
  }
  if (segments.size() == 3 && segments[2] == "media" && req.method == "POST") {
    return upload_media(req);
  }
  if (segments.size() == 3 && segments[2] == "message_templates" && req.method == "GET") {
    return list_templates(segments[0], segments[1], query);
  }
  if (segments.size() == 3 && segments[2] == "message_templates" && req.method == "POST") {
    return create_template(req);
  }
  if (segments.size() == 3 && segments[2] == "message_templates" && req.method == "DELETE") {
    return delete_template(query);
  }
  // GET /{id}: a media object when the fake stored one under that id, else (asked for fields)
  // the phone number, as Meta answers both on the same path.
  if (segments.size() == 2 && req.method == "GET" && !media_.count(segments[1]) &&
      query.count("fields")) {
    return get_phone_number(segments[1], query);
  }
  if (segments.size() == 2 && req.method == "GET") return get_media(segments[1], now);
  if (segments.size() == 2 && req.method == "DELETE") {
    if (media_.erase(segments[1]) == 0) {
      return meta_error(100, "Invalid parameter", "Unknown media id.");
    }
    return json_response(200, json::object{{"success", true}});
  }
  return meta_error(100, "Unsupported request",
                    fmt::format("Unsupported {} request on this path.", req.method));
}

http_response fake_graph::send_message(const std::string& phone_number_id, const http_request& req,
                                       clock::time_point now) {
  (void)now;
  if (req.content_type.find("application/json") == std::string::npos) {
    return meta_error(100, "Invalid parameter", "Content-Type must be application/json.");
  }
  boost::system::error_code ec;
  auto parsed = json::parse(req.body, ec);
  if (ec || !parsed.is_object()) {
    return meta_error(100, "Invalid parameter", "The request body is not a JSON object.");
  }
  const auto& body = parsed.get_object();
  last_phone_number_id_ = phone_number_id;

  // Mark as read (optionally with a typing indicator) shares the messages endpoint.
  if (body.contains("status")) {
    if (str(body, "messaging_product") != "whatsapp") {
      return meta_error(131008, "Required parameter is missing",
                        "The parameter messaging_product is required.");
    }
    if (str(body, "status") != "read") {
      return meta_error(131009, "Parameter value is not valid", "status must be 'read'.");
    }
    auto message_id = str(body, "message_id");
    if (message_id.empty()) {
      return meta_error(131008, "Required parameter is missing",
                        "The parameter message_id is required.");
    }
    if (auto it = body.find("typing_indicator"); it != body.end()) {
      const auto* ti = it->value().if_object();
      if (!ti || str(*ti, "type") != "text") {
        return meta_error(131009, "Parameter value is not valid",
                          "typing_indicator['type'] must be 'text'.");
      }
    }
    read_marks_.push_back(message_id);
    return json_response(200, json::object{{"success", true}});
  }

  if (auto err = validate_message(body)) return meta_error(err->code, err->title, err->details);

  auto type = body.contains("type") ? str(body, "type") : std::string("text");
  if (type == "template") {
    const auto& t = body.at("template").get_object();
    auto name = str(t, "name");
    auto language = str(t.at("language").get_object(), "code");
    auto found = std::find_if(templates_.begin(), templates_.end(), [&](const json::value& v) {
      const auto& o = v.get_object();
      return str(o, "name") == name && str(o, "language") == language &&
             str(o, "status") == "APPROVED";
    });
    if (found == templates_.end()) {
      return meta_error(132001, default_title(132001),
                        fmt::format("template name ({}) does not exist in {}", name, language));
    }
    // Authentication templates go only to phone numbers (Meta's BSUID rules).
    if (str(found->get_object(), "category") == "AUTHENTICATION" && str(body, "to").empty()) {
      return meta_error(131062,
                        "Business-scoped User ID (BSUID) recipients are not supported for this "
                        "message.",
                        "Authentication templates require the user's phone number.");
    }
  }

  sent_message m;
  m.wamid = next_wamid();
  m.to = str(body, "to");
  m.recipient = str(body, "recipient");
  m.phone_number_id = phone_number_id;
  m.type = type;
  sent_[m.wamid] = m;

  // `to` wins when both are present (Meta's BSUID rules); a BSUID send returns user_id.
  json::object contact;
  if (!m.to.empty()) {
    contact = {{"input", m.to}, {"wa_id", digits_only(m.to)}};
  } else {
    contact = {{"input", m.recipient}, {"user_id", m.recipient}};
  }
  json::object message{{"id", m.wamid}};
  if (type == "template") message["message_status"] = "accepted";
  auto out = json_response(200, json::object{{"messaging_product", "whatsapp"},
                                             {"contacts", json::array{std::move(contact)}},
                                             {"messages", json::array{std::move(message)}}});
  // Meta reports each accepted message's progress by itself: sent, then delivered, then read
  // (the recipient opened it).
  if (opts_.auto_status_delay.count() > 0) {
    int step = 0;
    for (const char* status : {"sent", "delivered", "read"}) {
      auto after = opts_.auto_status_delay * ++step;
      out.later.push_back({after, status_webhook(m, status, 0, now + after)});
    }
    out.webhook_url = opts_.webhook_url;
  }
  return out;
}

http_response fake_graph::upload_media(const http_request& req) {
  auto parts = parse_multipart(req.content_type, req.body);
  if (!parts) {
    return meta_error(100, "Invalid parameter", "Media upload needs multipart/form-data.");
  }
  std::string product, type;
  const form_part* file = nullptr;
  for (const auto& p : *parts) {
    if (p.name == "messaging_product") product = p.data;
    if (p.name == "type") type = p.data;
    if (p.name == "file") file = &p;
  }
  if (product != "whatsapp") {
    return meta_error(131008, "Required parameter is missing",
                      "The parameter messaging_product is required.");
  }
  if (!file || file->data.empty()) {
    return meta_error(131008, "Required parameter is missing", "The parameter file is required.");
  }
  media_item item;
  item.id = next_id();
  item.bytes = file->data;
  item.mime_type = !type.empty() ? type : file->content_type;
  item.sha256_hex = sha256_hex(item.bytes);
  item.filename = file->filename;
  auto id = item.id;
  media_[id] = std::move(item);
  return json_response(200, json::object{{"id", id}});
}

http_response fake_graph::get_phone_number(const std::string& phone_number_id,
                                           const std::map<std::string, std::string>& query) const {
  if (phone_number_id.empty() ||
      phone_number_id.find_first_not_of("0123456789") != std::string::npos) {
    return meta_error(100, "Invalid parameter",
                      fmt::format("Unsupported get request. Object with ID '{}' does not exist.",
                                  phone_number_id));
  }
  // Only the fields asked for, plus the id, as Meta answers a fields query.
  json::object all = number_health_;
  all["display_phone_number"] = opts_.display_phone_number;
  all["verified_name"] = "Pons Test";
  json::object out{{"id", phone_number_id}};
  std::string_view fields = query.at("fields");
  while (!fields.empty()) {
    auto comma = fields.find(',');
    std::string field(fields.substr(0, comma));
    if (auto it = all.find(field); it != all.end()) out[field] = it->value();
    fields = comma == std::string_view::npos ? std::string_view() : fields.substr(comma + 1);
  }
  return json_response(200, std::move(out));
}

http_response fake_graph::get_media(const std::string& media_id, clock::time_point now) {
  auto it = media_.find(media_id);
  if (it == media_.end()) {
    return meta_error(
        100, "Invalid parameter",
        fmt::format("Unsupported get request. Object with ID '{}' does not exist.", media_id));
  }
  const auto& m = it->second;
  return json_response(200, json::object{{"messaging_product", "whatsapp"},
                                         {"url", media_url(m.id, now)},
                                         {"mime_type", m.mime_type},
                                         {"sha256", m.sha256_hex},
                                         {"file_size", std::to_string(m.bytes.size())},
                                         {"id", m.id}});
}

http_response fake_graph::download_media(const http_request& req,
                                         const std::map<std::string, std::string>& query,
                                         clock::time_point now) {
  http_response out;
  out.content_type = "text/plain";
  if (!known_token(req.authorization)) {
    out.status = 401;
    out.body = "missing or wrong access token";
    return out;
  }
  auto key = query.find("key");
  auto issued = key == query.end() ? media_urls_.end() : media_urls_.find(key->second);
  auto media = media_.find(query.count("mid") ? query.at("mid") : "");
  if (issued == media_urls_.end() || media == media_.end()) {
    out.status = 404;
    out.body = "unknown media URL";
    return out;
  }
  auto age = std::chrono::duration<double>(now - issued->second).count() * opts_.time_scale;
  if (age > static_cast<double>(media_url_lifetime.count())) {
    out.status = 404;
    out.body = "media URL expired; request a new one with GET /{media-id}";
    return out;
  }
  out.status = 200;
  out.content_type = media->second.mime_type;
  out.body = media->second.bytes;
  return out;
}

http_response fake_graph::list_templates(const std::string& version, const std::string& waba_id,
                                         const std::map<std::string, std::string>& query) {
  std::size_t limit = 25;
  if (auto it = query.find("limit"); it != query.end()) {
    limit = std::clamp<std::size_t>(std::strtoul(it->second.c_str(), nullptr, 10), 1, 100);
  }
  std::size_t start = 0;
  if (auto it = query.find("after"); it != query.end()) {
    auto decoded = base64_decode(it->second);
    if (decoded.rfind("idx:", 0) != 0) {
      return meta_error(100, "Invalid parameter", "Invalid cursor.");
    }
    start = std::strtoul(decoded.c_str() + 4, nullptr, 10);
  }
  json::array page;
  for (std::size_t i = start; i < templates_.size() && page.size() < limit; ++i) {
    page.push_back(templates_[i]);
  }
  auto cursor = [](std::size_t idx) {
    auto plain = "idx:" + std::to_string(idx);
    unsigned char out[64];
    int n = EVP_EncodeBlock(out, reinterpret_cast<const unsigned char*>(plain.data()),
                            static_cast<int>(plain.size()));
    return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  };
  std::size_t end = start + page.size();
  json::object paging{{"cursors", json::object{{"before", cursor(start)}, {"after", cursor(end)}}}};
  if (end < templates_.size()) {
    // Meta includes `next` only when there is another page.
    paging["next"] = fmt::format("{}/{}/{}/message_templates?limit={}&after={}",
                                 opts_.self_base_url, version, waba_id, limit, cursor(end));
  }
  return json_response(200, json::object{{"data", std::move(page)}, {"paging", std::move(paging)}});
}

http_response fake_graph::inbound(const json::object& in, clock::time_point now) {
  auto from = str(in, "from");
  const auto user_id = str(in, "user_id");
  if (from.empty() && user_id.empty()) {
    return meta_error(100, "Invalid parameter", "inbound needs 'from' or 'user_id'.");
  }
  auto phone_number_id = str(in, "phone_number_id");
  if (phone_number_id.empty()) phone_number_id = last_phone_number_id_;
  auto name = str(in, "name");
  if (name.empty()) name = "Test User";
  auto ts = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();

  json::object message{{"from", from}, {"id", next_wamid()}, {"timestamp", std::to_string(ts)}};
  json::object result{{"wamid", message["id"]}};
  if (auto it = in.find("image"); it != in.end() && it->value().is_object()) {
    const auto& image = it->value().get_object();
    media_item item;
    item.id = next_id();
    item.mime_type = str(image, "mime_type");
    if (item.mime_type.empty()) item.mime_type = "image/jpeg";
    item.bytes = base64_decode(str(image, "data_base64"));
    if (item.bytes.empty()) item.bytes = "fake image bytes " + item.id;
    item.sha256_hex = sha256_hex(item.bytes);
    json::object media{{"mime_type", item.mime_type},
                       {"sha256", sha256_base64(item.bytes)},
                       {"id", item.id},
                       {"url", media_url(item.id, now)}};
    if (auto caption = str(image, "caption"); !caption.empty()) media["caption"] = caption;
    message["type"] = "image";
    message["image"] = std::move(media);
    result["media_id"] = item.id;
    result["sha256"] = item.sha256_hex;
    result["size"] = item.bytes.size();
    media_[item.id] = std::move(item);
  } else if (auto sys = in.find("system"); sys != in.end() && sys->value().is_object()) {
    // Meta's system message: the user changed their number (user_changed_number) or BSUID.
    json::object system = sys->value().get_object();
    if (!system.contains("body")) {
      system["body"] =
          fmt::format("User {} changed from {} to {}", name, from, str(system, "wa_id"));
    }
    message["type"] = "system";
    message["system"] = std::move(system);
  } else {
    message["type"] = "text";
    message["text"] = json::object{{"body", str(in, "text")}};
  }
  // A username user: Meta names them by BSUID, with `from` and `wa_id` empty when no phone
  // number can be shared.
  if (!user_id.empty()) message["from_user_id"] = user_id;
  if (auto parent = str(in, "parent_user_id"); !parent.empty()) {
    message["from_parent_user_id"] = parent;
  }
  if (auto ctx = str(in, "context_message_id"); !ctx.empty()) {
    message["context"] = json::object{{"from", opts_.display_phone_number}, {"id", ctx}};
  }
  json::object profile{{"name", name}};
  if (auto username = str(in, "username"); !username.empty()) profile["username"] = username;
  json::object contact{{"profile", std::move(profile)}, {"wa_id", from}};
  if (!user_id.empty()) contact["user_id"] = user_id;
  if (auto parent = str(in, "parent_user_id"); !parent.empty()) contact["parent_user_id"] = parent;
  json::object value{{"contacts", json::array{std::move(contact)}},
                     {"messages", json::array{std::move(message)}}};
  auto out = json_response(200, result);
  out.webhooks.push_back(sign(webhook_envelope(phone_number_id, std::move(value))));
  out.webhook_url = opts_.webhook_url;
  return out;
}

http_response fake_graph::deliver_statuses(const json::object& in, clock::time_point now) {
  auto wamid = str(in, "wamid");
  auto it = sent_.find(wamid);
  if (it == sent_.end()) {
    return meta_error(100, "Invalid parameter", "deliver-statuses: unknown wamid " + wamid);
  }
  const auto& m = it->second;
  json::array statuses;
  if (auto s = in.find("statuses"); s != in.end() && s->value().is_array()) {
    statuses = s->value().get_array();
  } else {
    statuses = {"sent", "delivered", "read"};
  }
  int code = 131026;
  if (auto c = in.find("error_code"); c != in.end() && c->value().is_int64()) {
    code = static_cast<int>(c->value().get_int64());
  }
  http_response out = json_response(200, json::object{{"wamid", wamid}});
  for (const auto& s : statuses) {
    if (!s.is_string()) continue;
    out.webhooks.push_back(status_webhook(m, std::string(s.get_string()), code, now));
  }
  out.webhook_url = opts_.webhook_url;
  return out;
}

webhook_post fake_graph::status_webhook(const sent_message& m, const std::string& status,
                                        int error_code, clock::time_point at) const {
  auto ts = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
  json::object st{{"id", m.wamid}, {"status", status}, {"timestamp", std::to_string(ts)}};
  st["recipient_id"] = m.to.empty() ? "" : digits_only(m.to);
  if (m.to.empty()) st["recipient_user_id"] = m.recipient;
  if (status == "failed") {
    st["errors"] = json::array{json::object{
        {"code", error_code},
        {"title", default_title(error_code)},
        {"message", default_title(error_code)},
        {"error_data", json::object{{"details", default_details(error_code)}}},
        {"href", "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}}};
  } else if (status != "read") {
    // Per-message pricing: a template is billed (the fake calls every template utility); a
    // free-form message can only be sent inside the customer service window, where it is free.
    const bool template_message = m.type == "template";
    st["pricing"] = json::object{{"billable", template_message},
                                 {"pricing_model", "PMP"},
                                 {"type", template_message ? "regular" : "free_customer_service"},
                                 {"category", template_message ? "utility" : "service"}};
  }
  json::object value{{"statuses", json::array{std::move(st)}}};
  return sign(webhook_envelope(m.phone_number_id, std::move(value)));
}

http_response fake_graph::control(const http_request& req, const std::string& path,
                                  clock::time_point now) {
  json::object in;
  if (!req.body.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) return meta_error(100, "Invalid parameter", "Body must be JSON.");
    in = v.get_object();
  }
  if (path == "/_fake/requests") {
    if (req.method == "DELETE") {
      requests_.clear();
      return json_response(200, json::object{{"cleared", true}});
    }
    return json_response(200, json::object{{"requests", requests_}});
  }
  if (path == "/_fake/inject") {
    if (req.method == "DELETE") {
      faults_.clear();
      return json_response(200, json::object{{"cleared", true}});
    }
    fault f;
    f.path = str(in, "path");
    f.recipient = str(in, "recipient");
    auto num = [&](std::string_view key, int fallback) {
      auto it = in.find(key);
      return it != in.end() && it->value().is_int64() ? static_cast<int>(it->value().get_int64())
                                                      : fallback;
    };
    f.code = num("code", 0);
    f.http_status = num("http_status", 0);
    f.times = num("times", -1);
    f.delay_ms = num("delay_ms", 0);
    faults_.push_back(f);
    return json_response(200, json::object{{"faults", faults_.size()}});
  }
  if (path == "/_fake/config" && (req.method == "POST" || req.method == "GET")) {
    if (auto url = str(in, "webhook_url"); !url.empty()) opts_.webhook_url = url;
    if (auto it = in.find("time_scale"); it != in.end() && it->value().is_number()) {
      opts_.time_scale = it->value().to_number<double>();
    }
    if (auto it = in.find("auto_status_ms"); it != in.end()) {
      if (!it->value().is_int64() || it->value().get_int64() < 0) {
        return meta_error(100, "Invalid parameter", "auto_status_ms must be a whole number >= 0.");
      }
      opts_.auto_status_delay = std::chrono::milliseconds(it->value().get_int64());
    }
    return json_response(200, json::object{{"webhook_url", opts_.webhook_url},
                                           {"time_scale", opts_.time_scale},
                                           {"auto_status_ms", opts_.auto_status_delay.count()}});
  }
  if (path == "/_fake/number") {
    if (req.method == "POST") return change_number(in, now);
    return json_response(200, number_health_);
  }
  if (path == "/_fake/preferences" && req.method == "POST") return preferences(in, now);
  if (path == "/_fake/account-update" && req.method == "POST") return account_update(in, now);
  if (path == "/_fake/templates") {
    if (req.method == "POST") {
      auto it = in.find("data");
      if (it == in.end() || !it->value().is_array()) {
        return meta_error(100, "Invalid parameter", "templates need a 'data' array.");
      }
      templates_ = it->value().get_array();
    }
    return json_response(200, json::object{{"data", templates_}});
  }
  if (path == "/_fake/tokens") {
    if (req.method == "POST") {
      auto it = in.find("numbers");
      if (it == in.end() || !it->value().is_object()) {
        return meta_error(100, "Invalid parameter", "tokens need a 'numbers' object.");
      }
      number_tokens_.clear();
      for (const auto& [number, token] : it->value().get_object()) {
        if (token.is_string())
          number_tokens_[std::string(number)] = std::string(token.get_string());
      }
    }
    json::object numbers;
    for (const auto& [number, token] : number_tokens_) numbers[number] = token;
    return json_response(200, json::object{{"numbers", std::move(numbers)}});
  }
  if (path == "/_fake/template-review" && req.method == "POST") return review_template(in);
  if (path == "/_fake/read-marks") {
    json::array marks;
    for (const auto& m : read_marks_) marks.push_back(json::string(m));
    return json_response(200, json::object{{"message_ids", std::move(marks)}});
  }
  if (path == "/_fake/inbound" && req.method == "POST") return inbound(in, now);
  if (path == "/_fake/deliver-statuses" && req.method == "POST") return deliver_statuses(in, now);
  if (path == "/_fake/health") return json_response(200, json::object{{"ok", true}});
  return json_response(404, json::object{{"error", "unknown control endpoint " + path}});
}

}  // namespace pons::fake_graph
