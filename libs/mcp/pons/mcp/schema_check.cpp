#include "pons/mcp/schema_check.hpp"

#include <fmt/core.h>

#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdint>

namespace pons::mcp {

namespace json = boost::json;

namespace {

bool is_type(const json::value& v, std::string_view type) {
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_bool();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  if (type == "integer") {
    if (v.is_int64() || v.is_uint64()) return true;
    return v.is_double() && std::isfinite(v.get_double()) &&
           v.get_double() == std::floor(v.get_double());
  }
  if (type == "number") return v.is_number();
  return true;  // unknown type names do not reject
}

std::optional<double> number_of(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return std::nullopt;
}

// Handlers read integers as int64; a larger whole number (1e300, 2^64 - 1) would not convert.
bool fits_int64(const json::value& v) {
  if (v.is_int64()) return true;
  if (v.is_uint64()) return v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX);
  // 2^63 is exactly representable; every double below it converts.
  return v.is_double() && v.get_double() >= -9223372036854775808.0 &&
         v.get_double() < 9223372036854775808.0;
}

bool wants_integer(const json::value& type) {
  if (type.is_string()) return type.get_string() == "integer";
  if (!type.is_array()) return false;
  for (const auto& t : type.get_array()) {
    if (t.is_string() && t.get_string() == "integer") return true;
  }
  return false;
}

std::string describe(const json::value& limit) {
  return json::serialize(limit);
}

}  // namespace

std::optional<schema_violation> check_schema(const json::object& schema, const json::value& value,
                                             const std::string& path) {
  if (const json::value* type = schema.if_contains("type")) {
    bool ok = true;
    std::string wanted;
    if (type->is_string()) {
      ok = is_type(value, type->get_string());
      wanted = type->get_string();
    } else if (type->is_array()) {
      ok = false;
      for (const auto& t : type->get_array()) {
        if (!t.is_string()) continue;
        if (!wanted.empty()) wanted += " or ";
        wanted += t.get_string();
        ok = ok || is_type(value, t.get_string());
      }
    }
    if (!ok) return schema_violation{path, fmt::format("must be {}", wanted)};
    if (wants_integer(*type) && value.is_number() && is_type(value, "integer") &&
        !fits_int64(value)) {
      return schema_violation{
          path, "must be an integer between -9223372036854775808 and 9223372036854775807"};
    }
  }
  if (const json::value* allowed = schema.if_contains("enum"); allowed && allowed->is_array()) {
    bool found = false;
    for (const auto& a : allowed->get_array()) found = found || a == value;
    if (!found) {
      return schema_violation{path, fmt::format("must be one of {}", describe(*allowed))};
    }
  }
  if (auto n = number_of(value)) {
    if (const json::value* min = schema.if_contains("minimum")) {
      if (auto m = number_of(*min); m && *n < *m) {
        return schema_violation{path, fmt::format("must be at least {}", describe(*min))};
      }
    }
    if (const json::value* max = schema.if_contains("maximum")) {
      if (auto m = number_of(*max); m && *n > *m) {
        return schema_violation{path, fmt::format("must be at most {}", describe(*max))};
      }
    }
  }
  if (value.is_string()) {
    // JSON allows "\u0000", but no argument of ours means it, and C strings, logs and SQLite
    // text functions would cut the value short there.
    if (value.get_string().find('\0') != json::string::npos) {
      return schema_violation{path, "must not contain a NUL character (\\u0000)"};
    }
    // Length in code points, as JSON Schema counts it.
    std::size_t length = 0;
    for (unsigned char c : value.get_string()) length += (c & 0xC0) != 0x80;
    if (const json::value* min = schema.if_contains("minLength")) {
      if (auto m = number_of(*min); m && static_cast<double>(length) < *m) {
        return schema_violation{path,
                                fmt::format("must have at least {} characters", describe(*min))};
      }
    }
    if (const json::value* max = schema.if_contains("maxLength")) {
      if (auto m = number_of(*max); m && static_cast<double>(length) > *m) {
        return schema_violation{path,
                                fmt::format("must have at most {} characters", describe(*max))};
      }
    }
  }
  if (value.is_array()) {
    const auto& arr = value.get_array();
    if (const json::value* min = schema.if_contains("minItems")) {
      if (auto m = number_of(*min); m && static_cast<double>(arr.size()) < *m) {
        return schema_violation{path, fmt::format("must have at least {} items", describe(*min))};
      }
    }
    if (const json::value* max = schema.if_contains("maxItems")) {
      if (auto m = number_of(*max); m && static_cast<double>(arr.size()) > *m) {
        return schema_violation{path, fmt::format("must have at most {} items", describe(*max))};
      }
    }
    if (const json::value* items = schema.if_contains("items"); items && items->is_object()) {
      for (std::size_t i = 0; i < arr.size(); ++i) {
        if (auto v = check_schema(items->get_object(), arr[i], fmt::format("{}[{}]", path, i))) {
          return v;
        }
      }
    }
  }
  if (value.is_object()) {
    const auto& obj = value.get_object();
    const json::object* props = nullptr;
    if (const json::value* p = schema.if_contains("properties"); p && p->is_object()) {
      props = &p->get_object();
    }
    if (const json::value* req = schema.if_contains("required"); req && req->is_array()) {
      for (const auto& r : req->get_array()) {
        if (r.is_string() && !obj.contains(r.get_string())) {
          return schema_violation{fmt::format("{}.{}", path, std::string_view(r.get_string())),
                                  "is required"};
        }
      }
    }
    const json::value* extra = schema.if_contains("additionalProperties");
    for (const auto& [key, member] : obj) {
      std::string member_path = fmt::format("{}.{}", path, std::string_view(key));
      if (props) {
        if (const json::value* sub = props->if_contains(key); sub && sub->is_object()) {
          if (auto v = check_schema(sub->get_object(), member, member_path)) return v;
          continue;
        }
      }
      if (extra && extra->is_bool() && !extra->get_bool()) {
        std::string known;
        if (props) {
          for (const auto& [name, unused] : *props) {
            (void)unused;
            if (!known.empty()) known += ", ";
            known += std::string_view(name);
          }
        }
        return schema_violation{member_path,
                                fmt::format("is not a known argument (known: {})", known)};
      }
      if (extra && extra->is_object()) {
        if (auto v = check_schema(extra->get_object(), member, member_path)) return v;
      }
    }
  }
  return std::nullopt;
}

}  // namespace pons::mcp
