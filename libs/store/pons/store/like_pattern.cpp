#include "pons/store/like_pattern.hpp"

namespace pons::store {

std::string escape_like(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    if (ch == '%' || ch == '_' || ch == '\\') out += '\\';
    out += ch;
  }
  return out;
}

}  // namespace pons::store
