#include "pons/meta/json_reader.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <cmath>
#include <string>

namespace pons::meta {
namespace {

class json_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.json"; }
  std::string message(int ev) const override {
    switch (static_cast<json_errc>(ev)) {
      case json_errc::too_large:
        return "JSON document is larger than the allowed size; send a smaller body";
      case json_errc::too_deep:
        return "JSON document nests arrays/objects deeper than allowed; flatten it";
      case json_errc::invalid:
        return "body is not one well-formed JSON value (strict JSON, valid UTF-8)";
    }
    return "unknown JSON error";
  }
};

// Boost.JSON reads an out-of-range literal such as 1e999 as infinity and would write it back as
// "Infinity", which is not JSON: such a document is refused like any other malformed number.
// Recursion is bounded by the depth limit the parser already enforced.
bool all_numbers_finite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& item : v.get_array())
        if (!all_numbers_finite(item)) return false;
      return true;
    case boost::json::kind::object:
      for (const auto& member : v.get_object())
        if (!all_numbers_finite(member.value())) return false;
      return true;
    default:
      return true;
  }
}

}  // namespace

const boost::system::error_category& json_category() noexcept {
  static const json_category_impl category;
  return category;
}

boost::system::error_code make_error_code(json_errc e) noexcept {
  return {static_cast<int>(e), json_category()};
}

boost::system::result<boost::json::value> read_json(std::string_view text,
                                                    const json_limits& limits) {
  return read_json(text, {}, limits);
}

boost::system::result<boost::json::value> read_json(std::string_view text,
                                                    boost::json::storage_ptr storage,
                                                    const json_limits& limits) {
  // Check the size before parsing so an oversized body costs nothing.
  if (text.size() > limits.max_bytes) return make_error_code(json_errc::too_large);

  boost::json::parse_options options;
  options.max_depth = limits.max_depth;
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;

  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, std::move(storage), options);
  if (ec == boost::json::error::too_deep) return make_error_code(json_errc::too_deep);
  if (ec || !all_numbers_finite(value)) return make_error_code(json_errc::invalid);
  return value;
}

}  // namespace pons::meta
