#include "pons/http/media_type.hpp"

#include <boost/url/grammar/ci_string.hpp>

namespace pons::http {

bool has_media_type(std::string_view content_type, std::string_view media_type) {
  auto type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  return boost::urls::grammar::ci_is_equal(type, media_type);
}

}  // namespace pons::http
