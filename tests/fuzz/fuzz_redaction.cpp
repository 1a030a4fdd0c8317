// Fuzzes redaction on text as it arrives (valid JSON or not): redact_keep_invalid must never
// crash; for valid JSON its result is valid JSON again and a second pass finds every secret
// already masked (the result changes no more, also inside JSON held in strings); and
// may_hold_secret is false only when redact() replaces nothing.
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pons/meta/json_reader.hpp"
#include "pons/meta/redaction.hpp"

namespace {

// Equal values; strings that differ are equal when both hold equal JSON documents (a document
// in a string is re-serialised when redacted, and Boost 1.81 may move a long double's last bit
// on the way: doubles compare within rounding, as in fuzz_json_reader).
bool same(const boost::json::value& a, const boost::json::value& b, int depth = 0) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number()) return false;
    const double x = a.to_number<double>();
    const double y = b.to_number<double>();
    return x == y || std::fabs(x - y) <= 1e-12 * std::fmax(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same(x[i], y[i], depth)) return false;
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
      if (i->key() != j->key() || !same(i->value(), j->value(), depth)) return false;
    return true;
  }
  if (a.is_string() && a != b && depth < 16) {
    auto x = pons::meta::read_json(a.get_string());
    auto y = pons::meta::read_json(b.get_string());
    return x && y && same(*x, *y, depth + 1);
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string kept = pons::meta::redact_keep_invalid(text);
  auto parsed = pons::meta::read_json(text);
  if (!parsed) return 0;
  if (!pons::meta::may_hold_secret(text) && pons::meta::redact(*parsed) != 0) std::abort();
  auto once = pons::meta::read_json(kept);
  if (!once) std::abort();
  auto twice = *once;
  pons::meta::redact(twice);
  if (!same(*once, twice)) std::abort();
  return 0;
}
