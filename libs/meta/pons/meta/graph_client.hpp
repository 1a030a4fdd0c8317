#pragma once
// The WhatsApp Cloud API client: sends messages, marks them read, uploads and downloads media,
// lists templates. Blocking; one instance per thread (it owns an HTTP client and its
// connections). Retries 5xx, 429, network errors and Meta's retryable codes with exponential
// backoff and jitter; final errors (100, 131047, 190, ...) come back at once, typed. The access
// token is only ever put in the Authorization header: never in URLs, logs or errors.

#include <boost/json/object.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pons/domain/meta_error.hpp"
#include "pons/meta/message_builders.hpp"

namespace pons::http {
class client;
}

namespace pons::meta {

/// Graph API version used when WA_GRAPH_VERSION is not set.
inline constexpr std::string_view default_graph_version = "v26.0";
/// Meta's Graph API host.
inline constexpr std::string_view default_graph_base_url = "https://graph.facebook.com";

/// How to reach the Graph API and how hard to try.
struct graph_config {
  std::string base_url = std::string(default_graph_base_url);  // WA_GRAPH_BASE_URL
  std::string version = std::string(default_graph_version);    // WA_GRAPH_VERSION
  std::string access_token;                                    // WA_ACCESS_TOKEN
  std::string ca_file;                                         // WA_GRAPH_CA_FILE
  std::chrono::milliseconds timeout{30000};                    // per HTTP request
  int max_retries = 3;                                         // retries after the first try
  std::chrono::milliseconds backoff_base{1000};                // first retry waits ~this
  std::chrono::milliseconds backoff_cap{20000};                // no wait is longer
  std::size_t template_page_size = 100;                        // `limit` when listing
  std::size_t max_media_bytes = 100 * 1024 * 1024;             // Meta's largest media (docs)
};

/// Reads WA_GRAPH_BASE_URL, WA_GRAPH_VERSION, WA_ACCESS_TOKEN and WA_GRAPH_CA_FILE through
/// `getenv` (std::getenv when empty); unset variables keep the defaults.
graph_config graph_config_from_env(const std::function<const char*(const char*)>& getenv = nullptr);

/// Failures that are neither Meta's answer nor the transport's.
enum class graph_errc {
  unexpected_response = 1,  // a 2xx whose body lacks what Meta documents
  integrity_mismatch,       // downloaded media does not match Meta's sha256 / size
  file_unreadable,          // a local file to upload could not be read
  media_too_large,          // larger than max_media_bytes
  invalid_phone_number_id,  // not a Meta id: refused before it could become part of a URL
  invalid_media_id,         // idem
  invalid_waba_id,          // idem
  invalid_template_id,      // idem
};

/// True for what Meta's ids (phone number, WhatsApp Business Account, media) look like: 1 to 32
/// ASCII digits. Anything else is refused before it becomes part of a Graph API URL path, where
/// "../" or "?" would send the bearer token somewhere else.
bool is_graph_id(std::string_view id) noexcept;

/// The error category of graph_errc ("pons.meta.graph").
const boost::system::error_category& graph_category() noexcept;
/// Makes graph_errc usable as an error_code.
boost::system::error_code make_error_code(graph_errc e) noexcept;

/// Why a Graph API call failed. `code` is a domain::meta_errc when Meta answered with an
/// error (then `meta` holds everything Meta said), an http::client_errc when no answer came,
/// a build_errc when the message was refused before sending, or a graph_errc.
struct graph_error {
  boost::system::error_code code;
  std::optional<domain::meta_error> meta;
  int attempts = 0;  // HTTP requests made, retries included

  /// Meta's numeric code, or -1 when Meta did not answer with one.
  int meta_code() const noexcept { return meta ? meta->meta_code : -1; }
  /// True when trying again later may succeed.
  bool retryable() const noexcept;
  /// What failed and what to do next, for a person or an assistant (never holds the token).
  std::string explain() const;
};

/// Lets boost::system::result<T, graph_error>::value() throw.
[[noreturn]] void throw_exception_from_error(const graph_error& e,
                                             const boost::source_location& loc);

/// Result of a Graph API call.
template <class T>
using graph_result = boost::system::result<T, graph_error>;

/// What Meta answered to an accepted send.
struct send_result {
  std::string wamid;
  std::string input;           // contacts[].input (what we sent as to/recipient)
  std::string wa_id;           // contacts[].wa_id (absent for BSUID sends)
  std::string user_id;         // contacts[].user_id (BSUID sends)
  std::string message_status;  // "accepted" / "held_for_quality_assessment" / "paused" (templates)
  int attempts = 0;
};

/// GET /{media-id}: where to download a media item from (the URL lives 5 minutes).
struct media_info {
  std::string id;
  std::string url;
  std::string mime_type;
  std::string sha256;  // hex, as the media endpoint returns it
  std::uint64_t file_size = 0;
};

/// A phone number's standing as GET /{phone-number-id}?fields=... answers it.
struct phone_number_info {
  std::string display_phone_number;
  std::string verified_name;
  std::string quality_rating;        // GREEN, YELLOW, RED, UNKNOWN
  std::string messaging_limit_tier;  // TIER_250 ... TIER_UNLIMITED
  std::string name_status;           // APPROVED, PENDING_REVIEW, DECLINED, ...
  std::string throughput_level;      // throughput.level: STANDARD, HIGH, ...
  std::string status;                // CONNECTED, FLAGGED, RESTRICTED, ...
};

/// One message template as listed by GET /{waba-id}/message_templates.
struct template_info {
  std::string id;
  std::string name;
  std::string language;
  std::string status;
  std::string category;
  std::string parameter_format;  // NAMED / POSITIONAL ("" when Meta omits it)
  std::string rejected_reason;
  std::string components_json;  // components[] verbatim
};

/// What Meta answers to a template it accepted for review.
struct created_template {
  std::string id;        // Meta's template id (the hsm_id of a later delete)
  std::string status;    // PENDING, or APPROVED / REJECTED when Meta decided at once
  std::string category;  // Meta's: it may differ from the category asked for
};

/// One page of templates and the cursor of the next one ("" on the last page).
struct template_page {
  std::vector<template_info> templates;
  std::string after;
};

/// One log event: a single key=value line without secrets.
using graph_logger = std::function<void(std::string_view line)>;
/// How the client waits between retries (tests pass a recorder instead of sleeping).
using graph_sleeper = std::function<void(std::chrono::milliseconds)>;

/// Blocking Graph API client.
class graph_client {
 public:
  /// `sleeper` defaults to std::this_thread::sleep_for, `logger` to no logging.
  explicit graph_client(graph_config config, graph_logger logger = nullptr,
                        graph_sleeper sleeper = nullptr);
  ~graph_client();
  graph_client(const graph_client&) = delete;
  graph_client& operator=(const graph_client&) = delete;

  /// Validates, builds and sends a message from `phone_number_id`.
  graph_result<send_result> send(std::string_view phone_number_id, const outgoing_message& message);
  /// Sends an already built request body (see build_message).
  graph_result<send_result> send_body(std::string_view phone_number_id,
                                      const boost::json::object& body);
  /// Marks an inbound message read; `typing` also shows the typing indicator (up to 25 s).
  graph_result<void> mark_read(std::string_view phone_number_id, std::string_view wamid,
                               bool typing = false);
  /// Uploads media bytes (multipart/form-data); returns Meta's media id.
  graph_result<std::string> upload_media(std::string_view phone_number_id, std::string_view bytes,
                                         std::string_view mime_type, std::string_view filename);
  /// Uploads a local file; returns Meta's media id.
  graph_result<std::string> upload_media_file(std::string_view phone_number_id,
                                              const std::string& path, std::string_view mime_type);
  /// GET /{media-id}: a fresh download URL and the media's hash, type and size.
  graph_result<media_info> get_media(std::string_view media_id);
  /// Downloads media from its URL with the token; checks sha256 and size when `info` has them.
  graph_result<std::string> download_media(const media_info& info);
  /// One page of the WABA's templates, starting after `after` ("" = first page).
  graph_result<template_page> list_templates(std::string_view waba_id, std::string_view after = "");
  /// The number's quality rating, messaging limit tier, name status, throughput and status.
  graph_result<phone_number_info> get_phone_number(std::string_view phone_number_id);
  /// POST /{waba-id}/message_templates: submits a template (Meta's body) for review. Not
  /// retried: a retry after a lost answer would meet its own template as a duplicate.
  graph_result<created_template> create_message_template(std::string_view waba_id,
                                                         const boost::json::object& body);
  /// DELETE /{waba-id}/message_templates?name=..: every language of the template, or only the
  /// one whose template id is `hsm_id` (empty: all).
  graph_result<void> delete_message_template(std::string_view waba_id, std::string_view name,
                                             std::string_view hsm_id = {});
  /// Every template of the WABA, following cursors (at most `max_pages` pages).
  graph_result<std::vector<template_info>> list_all_templates(std::string_view waba_id,
                                                              std::size_t max_pages = 100);

  /// The configuration in use (the token included: never log it).
  const graph_config& config() const noexcept { return config_; }

 private:
  struct call_result;
  graph_result<std::string> call(std::string_view method, const std::string& url,
                                 std::string content_type, std::string body, bool retry = true);
  std::string api_url(
      std::initializer_list<std::string_view> segments,
      std::initializer_list<std::pair<std::string_view, std::string_view>> params = {}) const;
  std::chrono::milliseconds backoff(int retry);
  std::string redact(std::string text) const;
  void log(std::string_view line) const;

  graph_config config_;
  graph_logger logger_;
  graph_sleeper sleeper_;
  std::unique_ptr<http::client> http_;
  std::mt19937_64 rng_;
};

/// Lowercase hex SHA-256 of bytes (to compare with media_info::sha256).
std::string sha256_hex(std::string_view bytes);

}  // namespace pons::meta

namespace boost::system {
template <>
struct is_error_code_enum<pons::meta::graph_errc> : std::true_type {};
}  // namespace boost::system
