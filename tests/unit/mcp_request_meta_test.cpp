#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "pons/mcp/request_meta.hpp"

namespace json = boost::json;
using namespace pons::mcp;

namespace {

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

json::object modern_params(json::object extra = {}) {
  json::object meta{
      {std::string(meta_protocol_version), "2026-07-28"},
      {std::string(meta_client_capabilities), json::object{}},
      {std::string(meta_client_info), json::object{{"name", "probe"}, {"version", "1"}}}};
  for (auto& [k, v] : extra) meta[k] = v;
  return json::object{{"_meta", std::move(meta)}};
}

const rpc_error& error_of(const std::variant<request_meta, rpc_error>& r) {
  REQUIRE(std::holds_alternative<rpc_error>(r));
  return std::get<rpc_error>(r);
}

}  // namespace

TEST_CASE("request_era: the per-request _meta fields or a modern-only method make it modern",
          "[mcp]") {
  for (std::string_view key :
       {meta_protocol_version, meta_client_capabilities, meta_client_info, meta_log_level}) {
    INFO(key);
    json::object params{{"_meta", json::object{{key, "x"}}}};
    CHECK(request_era("tools/list", params) == protocol_era::modern);
  }
  CHECK(request_era("server/discover", {}) == protocol_era::modern);
  CHECK(request_era("subscriptions/listen", {}) == protocol_era::modern);
  // Legacy: no _meta, a progress token only, or another MCP key of the legacy era.
  CHECK(request_era("tools/list", {}) == protocol_era::legacy);
  CHECK(request_era("tools/call", obj(R"({"_meta":{"progressToken":1}})")) == protocol_era::legacy);
  CHECK(request_era("tools/call",
                    obj(R"({"_meta":{"io.modelcontextprotocol/related-task":{"taskId":"t"}}})")) ==
        protocol_era::legacy);
  CHECK(request_era("tools/list", obj(R"({"_meta":"not an object"})")) == protocol_era::legacy);
  // initialize naming params.protocolVersion is the handshake, whatever else it carries.
  json::object handshake = modern_params();
  handshake["protocolVersion"] = "2025-11-25";
  CHECK(request_era("initialize", handshake) == protocol_era::legacy);
  CHECK(request_era("initialize", obj(R"({"protocolVersion":"2025-11-25"})")) ==
        protocol_era::legacy);
  CHECK(request_era("initialize", modern_params()) == protocol_era::modern);
}

TEST_CASE("is_modern_method: the methods of 2026-07-28, without the removed ones", "[mcp]") {
  for (const char* m : {"server/discover", "subscriptions/listen", "tools/list", "tools/call",
                        "resources/list", "resources/templates/list", "resources/read",
                        "prompts/list", "prompts/get", "completion/complete"}) {
    CHECK(is_modern_method(m));
  }
  for (const char* m : {"initialize", "ping", "logging/setLevel", "resources/subscribe",
                        "resources/unsubscribe", "notifications/initialized", "tools/List", ""}) {
    CHECK_FALSE(is_modern_method(m));
  }
}

TEST_CASE("read_request_meta reads the revision, capabilities, client and log level", "[mcp]") {
  auto r = read_request_meta(modern_params({{std::string(meta_log_level), "warning"}}));
  REQUIRE(std::holds_alternative<request_meta>(r));
  const auto& m = std::get<request_meta>(r);
  CHECK(m.version == protocol_version::v2026_07_28);
  CHECK(m.client_capabilities.empty());
  CHECK(m.client_name == "probe");
  CHECK(m.level == log_level::warning);

  // clientInfo and logLevel are optional.
  auto bare = read_request_meta(obj(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":
      "2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}})"));
  REQUIRE(std::holds_alternative<request_meta>(bare));
  CHECK(std::get<request_meta>(bare).client_name == "unknown");
  CHECK_FALSE(std::get<request_meta>(bare).level);
  CHECK(std::get<request_meta>(bare).client_capabilities.contains("elicitation"));
  CHECK(requested_version(modern_params()) == "2026-07-28");
  CHECK_FALSE(requested_version({}));
}

TEST_CASE("read_request_meta: a missing or malformed required field is -32602", "[mcp]") {
  auto missing_meta = error_of(read_request_meta({}));
  CHECK(missing_meta.code == rpc_code::invalid_params);
  CHECK(missing_meta.data.at("field") == "params._meta");
  CHECK_THAT(missing_meta.message, Catch::Contains("initialize"));
  CHECK(error_of(read_request_meta(obj(R"({"_meta":[]})"))).code == rpc_code::invalid_params);

  auto no_version = error_of(
      read_request_meta(obj(R"({"_meta":{"io.modelcontextprotocol/clientCapabilities":{}}})")));
  CHECK(no_version.code == rpc_code::invalid_params);
  CHECK(no_version.data.at("field") ==
        R"(params._meta["io.modelcontextprotocol/protocolVersion"])");
  auto no_caps = error_of(read_request_meta(
      obj(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}})")));
  CHECK(no_caps.code == rpc_code::invalid_params);
  CHECK(no_caps.data.at("field") ==
        R"(params._meta["io.modelcontextprotocol/clientCapabilities"])");
  auto caps_not_object = error_of(read_request_meta(obj(
      R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",
                   "io.modelcontextprotocol/clientCapabilities":[]}})")));
  CHECK(caps_not_object.code == rpc_code::invalid_params);
  auto version_not_string = error_of(
      read_request_meta(obj(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":20260728,
                       "io.modelcontextprotocol/clientCapabilities":{}}})")));
  CHECK(version_not_string.code == rpc_code::invalid_params);
  auto bad_level =
      error_of(read_request_meta(modern_params({{std::string(meta_log_level), "loud"}})));
  CHECK(bad_level.code == rpc_code::invalid_params);
  CHECK(bad_level.data.at("field") == R"(params._meta["io.modelcontextprotocol/logLevel"])");
}

TEST_CASE("read_request_meta: a revision not served per request is -32022", "[mcp]") {
  for (std::string requested : {"1900-01-01", "v999.0.0", "2025-11-25"}) {
    INFO(requested);
    auto params = modern_params({{std::string(meta_protocol_version), requested}});
    auto err = error_of(read_request_meta(params));
    CHECK(err.code == rpc_code::unsupported_protocol_version);
    CHECK(static_cast<int>(err.code) == -32022);
    CHECK(err.data.at("supported") == json::array{"2026-07-28"});
    CHECK(err.data.at("requested") == requested.c_str());
  }
  // A legacy revision named per request: the message says how it is served instead.
  CHECK_THAT(unsupported_version_error("2025-11-25").message, Catch::Contains("initialize"));
  CHECK_THAT(unsupported_version_error("1900-01-01").message,
             !Catch::Contains("initialize") && Catch::Contains("2026-07-28"));
  // Presence is checked before the revision: a request missing a field is malformed whatever
  // revision it names.
  auto malformed = error_of(read_request_meta(
      obj(R"({"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01"}})")));
  CHECK(malformed.code == rpc_code::invalid_params);
}

TEST_CASE("missing_capabilities compares declared capabilities key by key", "[mcp]") {
  auto required = obj(R"({"sampling":{},"elicitation":{"url":{}}})");
  CHECK(missing_capabilities(required, obj(R"({"sampling":{},"elicitation":{"url":{}}})")).empty());
  CHECK(missing_capabilities(required, obj(R"({"sampling":{"tools":{}},"elicitation":{"form":{},
      "url":{}},"roots":{}})"))
            .empty());
  CHECK(missing_capabilities(required, {}) == required);
  CHECK(missing_capabilities(required, obj(R"({"sampling":{},"elicitation":{}})")) ==
        obj(R"({"elicitation":{"url":{}}})"));
  CHECK(missing_capabilities(required, obj(R"({"sampling":null,"elicitation":{"url":false}})")) ==
        required);
  CHECK(missing_capabilities({}, {}).empty());

  auto err = missing_capability_error("tool ask", obj(R"({"sampling":{}})"));
  CHECK(static_cast<int>(err.code) == -32021);
  CHECK(err.data.at("requiredCapabilities") == obj(R"({"sampling":{}})"));
  CHECK_THAT(err.message, Catch::Contains("tool ask") && Catch::Contains("sampling") &&
                              Catch::Contains("clientCapabilities"));
}
