#pragma once
// The fake Graph API's behaviour, independent of the transport: it takes a parsed HTTP request
// and answers the way Meta documents (request validation, response and error shapes), records
// every request, applies injected faults and prepares signed webhooks for the other side.

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace pons::fake_graph {

/// Command-line settings.
struct options {
  std::string token = "fake-token";  // the only access token accepted
  std::string app_secret = "fake-app-secret";
  std::string webhook_url;  // where /_fake/inbound and /_fake/deliver-statuses POST
  std::string waba_id = "102290129340398";
  std::string display_phone_number = "15550783881";
  double time_scale = 1.0;  // >1 makes media URLs expire sooner (tests)
  // When > 0, every message accepted is reported sent, delivered and read by itself, one
  // status webhook each this far apart (the sandbox turns it on; 0 = only on request).
  std::chrono::milliseconds auto_status_delay{0};
  std::string self_base_url;  // scheme://host:port of this server, for media URLs
};

/// A request as the transport parsed it.
struct http_request {
  std::string method;
  std::string target;  // path?query as sent
  std::string content_type;
  std::string authorization;
  std::string body;
};

/// A webhook the transport must sign-and-POST (already signed here).
struct webhook_post {
  std::string body;
  std::string signature;  // X-Hub-Signature-256 value
};

/// A webhook to deliver some time after the answer.
struct delayed_webhook {
  std::chrono::milliseconds after{0};  // counted from the answer
  webhook_post post;
};

/// What to answer, after an optional delay, and which webhooks to deliver first.
struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::chrono::milliseconds delay{0};
  std::vector<webhook_post> webhooks;  // delivered in order; results added to the JSON body
  std::string webhook_url;
  std::vector<delayed_webhook> later;  // delivered in order after the answer, to webhook_url
};

/// One injected fault (POST /_fake/inject).
struct fault {
  std::string path;       // applies when the request path contains this ("" = any API call)
  std::string recipient;  // applies when the message's to/recipient matches ("" = any)
  int code = 0;           // Meta error code to answer with (0 = none)
  int http_status = 0;    // HTTP status (0 = Meta's usual for the code)
  int times = -1;         // how many requests it applies to (-1 = until cleared)
  int delay_ms = 0;       // answer this much later
};

/// The fake's state and request handling. Not thread-safe: the server calls it from one thread.
class fake_graph {
 public:
  explicit fake_graph(options opts);

  /// Answers one request; `now` is the wall clock.
  http_response handle(const http_request& req, std::chrono::system_clock::time_point now);

  /// The current settings (the webhook URL can change at run time).
  const options& settings() const { return opts_; }

 private:
  struct media_item {
    std::string id;
    std::string bytes;
    std::string mime_type;
    std::string sha256_hex;
    std::string filename;
  };
  struct sent_message {
    std::string wamid;
    std::string to;
    std::string recipient;
    std::string phone_number_id;
    std::string type;
  };

  http_response control(const http_request& req, const std::string& path,
                        std::chrono::system_clock::time_point now);
  http_response api(const http_request& req, const std::vector<std::string>& segments,
                    const std::map<std::string, std::string>& query,
                    std::chrono::system_clock::time_point now);
  http_response send_message(const std::string& phone_number_id, const http_request& req,
                             std::chrono::system_clock::time_point now);
  http_response upload_media(const http_request& req);
  http_response get_media(const std::string& media_id, std::chrono::system_clock::time_point now);
  http_response get_phone_number(const std::string& phone_number_id,
                                 const std::map<std::string, std::string>& query) const;
  http_response download_media(const http_request& req,
                               const std::map<std::string, std::string>& query,
                               std::chrono::system_clock::time_point now);
  http_response list_templates(const std::string& version, const std::string& waba_id,
                               const std::map<std::string, std::string>& query);
  // Template management (template_management.cpp).
  http_response create_template(const http_request& req);
  http_response delete_template(const std::map<std::string, std::string>& query);
  http_response review_template(const boost::json::object& in);
  http_response inbound(const boost::json::object& in, std::chrono::system_clock::time_point now);
  http_response preferences(const boost::json::object& in,
                            std::chrono::system_clock::time_point now);
  http_response change_number(const boost::json::object& in,
                              std::chrono::system_clock::time_point now);
  http_response account_update(const boost::json::object& in,
                               std::chrono::system_clock::time_point now);
  webhook_post account_webhook(const std::string& field, boost::json::object value,
                               std::chrono::system_clock::time_point now) const;
  http_response deliver_statuses(const boost::json::object& in,
                                 std::chrono::system_clock::time_point now);
  std::optional<fault> take_fault(const std::string& path, const std::string& recipient);
  bool known_token(const std::string& authorization) const;
  void record(const http_request& req, const std::string& path, const std::string& query,
              const std::string& auth, std::chrono::system_clock::time_point now,
              boost::json::value parsed);
  std::string media_url(const std::string& media_id, std::chrono::system_clock::time_point now);
  std::string next_id();
  std::string next_wamid();
  webhook_post sign(const boost::json::value& payload) const;
  webhook_post status_webhook(const sent_message& m, const std::string& status, int error_code,
                              std::chrono::system_clock::time_point at) const;
  boost::json::object webhook_envelope(const std::string& phone_number_id,
                                       boost::json::object value) const;

  options opts_;
  std::vector<fault> faults_;
  boost::json::array requests_;
  std::map<std::string, media_item> media_;
  std::map<std::string, std::chrono::system_clock::time_point> media_urls_;  // key -> issued
  std::map<std::string, sent_message> sent_;
  std::vector<std::string> read_marks_;
  boost::json::array templates_;
  // (name, language) of templates deleted: Meta keeps those names for 30 days.
  std::set<std::pair<std::string, std::string>> deleted_templates_;
  // What GET /{phone-number-id} answers about a number's standing (POST /_fake/number sets it).
  boost::json::object number_health_{{"quality_rating", "GREEN"},
                                     {"messaging_limit_tier", "TIER_1K"},
                                     {"name_status", "APPROVED"},
                                     {"status", "CONNECTED"},
                                     {"throughput", boost::json::object{{"level", "STANDARD"}}}};
  // POST /_fake/tokens: numbers that accept only their own account's token (any token listed
  // here is valid for the requests that name no such number).
  std::map<std::string, std::string> number_tokens_;
  std::uint64_t counter_ = 0;
  std::string last_phone_number_id_ = "106540352242922";
};

/// Meta's documented request validation for POST /{phone-number-id}/messages. Returns the error
/// (code, details) when the body is not a message Meta would accept; pure.
struct validation_error {
  int code = 100;
  std::string title;
  std::string details;
};
std::optional<validation_error> validate_message(const boost::json::object& body);

/// The Meta error object for a code, the way the Graph API returns it.
boost::json::object meta_error_body(int code, const std::string& title, const std::string& details,
                                    const std::string& trace_id);

/// Meta's error object for a template management refusal: code 100 with `subcode` and the
/// words Meta shows a person (error_user_title, error_user_msg).
boost::json::object meta_template_error_body(int subcode, const std::string& user_title,
                                             const std::string& user_msg,
                                             const std::string& trace_id);

/// HTTP status Meta uses for an error code.
int http_status_for(int code);

}  // namespace pons::fake_graph
