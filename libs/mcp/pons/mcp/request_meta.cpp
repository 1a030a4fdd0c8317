#include "pons/mcp/request_meta.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <vector>

namespace pons::mcp {

namespace {

constexpr std::array<std::string_view, 4> per_request_keys{
    meta_protocol_version, meta_client_capabilities, meta_client_info, meta_log_level};

const json::object* meta_of(const json::object& params) {
  const json::value* meta = params.if_contains("_meta");
  return meta && meta->is_object() ? &meta->get_object() : nullptr;
}

std::string meta_field(std::string_view key) {
  return fmt::format("params._meta[\"{}\"]", key);
}

std::string modern_list() {
  std::vector<std::string_view> names;
  for (protocol_version v : modern_versions) names.push_back(to_string(v));
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

protocol_era request_era(std::string_view method, const json::object& params) {
  if (method == "server/discover" || method == "subscriptions/listen") return protocol_era::modern;
  // A handshake that names its revision is the legacy era's, even from a client that stamps
  // the modern fields on every request.
  if (method == "initialize" && params.contains("protocolVersion")) return protocol_era::legacy;
  if (const json::object* meta = meta_of(params)) {
    for (std::string_view key : per_request_keys) {
      if (meta->contains(key)) return protocol_era::modern;
    }
  }
  return protocol_era::legacy;
}

bool is_modern_method(std::string_view method) {
  static constexpr std::array<std::string_view, 10> methods{
      "server/discover", "subscriptions/listen",     "tools/list",     "tools/call",
      "resources/list",  "resources/templates/list", "resources/read", "prompts/list",
      "prompts/get",     "completion/complete"};
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::optional<std::string_view> requested_version(const json::object& params) {
  const json::object* meta = meta_of(params);
  if (!meta) return std::nullopt;
  const json::value* v = meta->if_contains(meta_protocol_version);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

std::variant<request_meta, rpc_error> read_request_meta(const json::object& params) {
  const json::value* raw = params.if_contains("_meta");
  if (!raw) {
    return invalid_params(
        "params._meta",
        fmt::format("is required: in protocol {} every request carries {} and {} in params._meta "
                    "(or send initialize first to use protocol 2025-11-25)",
                    modern_list(), meta_protocol_version, meta_client_capabilities));
  }
  if (!raw->is_object()) return invalid_params("params._meta", "must be an object");
  const json::object& meta = raw->get_object();
  const json::value* version = meta.if_contains(meta_protocol_version);
  if (!version || !version->is_string()) {
    return invalid_params(meta_field(meta_protocol_version),
                          fmt::format("is required and must be a protocol revision string, e.g. "
                                      "\"{}\"",
                                      to_string(latest_modern_version)));
  }
  const json::value* caps = meta.if_contains(meta_client_capabilities);
  if (!caps || !caps->is_object()) {
    return invalid_params(meta_field(meta_client_capabilities),
                          "is required and must be an object ({} when the client declares no "
                          "optional capability)");
  }
  auto parsed = parse_modern_version(version->get_string());
  if (!parsed) return unsupported_version_error(version->get_string());
  request_meta out;
  out.version = *parsed;
  out.client_capabilities = caps->get_object();
  if (const json::value* info = meta.if_contains(meta_client_info); info && info->is_object()) {
    if (const json::value* name = info->get_object().if_contains("name");
        name && name->is_string() && !name->get_string().empty()) {
      out.client_name = name->get_string();
    }
  }
  if (const json::value* level = meta.if_contains(meta_log_level)) {
    if (level->is_string()) out.level = parse_log_level(level->get_string());
    if (!out.level) {
      return invalid_params(meta_field(meta_log_level),
                            "must be one of debug, info, notice, warning, error, critical, alert, "
                            "emergency");
    }
  }
  return out;
}

rpc_error unsupported_version_error(std::string_view requested) {
  json::array supported;
  for (protocol_version v : modern_versions) supported.emplace_back(to_string(v));
  bool legacy = parse_protocol_version(requested).has_value();
  return {rpc_code::unsupported_protocol_version,
          fmt::format("Unsupported protocol version: {}; requests may name {}{}", requested,
                      modern_list(),
                      legacy ? fmt::format(" (protocol {} is served after an initialize handshake, "
                                           "not per request)",
                                           requested)
                             : std::string()),
          json::object{{"supported", std::move(supported)}, {"requested", requested}}};
}

json::object missing_capabilities(const json::object& required, const json::object& declared) {
  json::object missing;
  for (const auto& [key, need] : required) {
    const json::value* have = declared.if_contains(key);
    if (!have || have->is_null() || (have->is_bool() && !have->get_bool())) {
      missing[key] = need;
      continue;
    }
    if (need.is_object() && have->is_object()) {
      json::object sub = missing_capabilities(need.get_object(), have->get_object());
      if (!sub.empty()) missing[key] = std::move(sub);
    }
  }
  return missing;
}

rpc_error missing_capability_error(std::string_view what, json::object missing) {
  std::vector<std::string> names;
  for (const auto& [key, value] : missing) names.emplace_back(key);
  std::string text = fmt::format(
      "Missing required client capability: {} needs {} ({}); declare {} in "
      "params._meta[\"{}\"] if the client supports it",
      what, fmt::join(names, ", "), json::serialize(missing), names.size() == 1 ? "it" : "them",
      meta_client_capabilities);
  return {rpc_code::missing_client_capability, std::move(text),
          json::object{{"requiredCapabilities", std::move(missing)}}};
}

}  // namespace pons::mcp
