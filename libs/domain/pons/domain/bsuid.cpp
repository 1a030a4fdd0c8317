#include "pons/domain/bsuid.hpp"

#include <algorithm>

namespace pons::domain {

namespace {

bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_alnum(char c) {
  return is_upper(c) || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

bool looks_like_bsuid(std::string_view text) {
  if (text.size() < 4 || !is_upper(text[0]) || !is_upper(text[1]) || text[2] != '.') return false;
  std::string_view rest = text.substr(3);
  if (rest.substr(0, 4) == "ENT.") rest.remove_prefix(4);
  return !rest.empty() && rest.size() <= 128 && std::all_of(rest.begin(), rest.end(), is_alnum);
}

}  // namespace pons::domain
