#include "pons/cli/text_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>

namespace pons::cli {

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) {
      width[c] = std::max(width[c], r[c].size());
    }
  }
  // fmt pads to the displayed width, which is never more than a cell's bytes: a column that
  // holds several-byte characters still lines up.
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      s += c + 1 < cells.size() ? fmt::format("{:<{}}  ", cells[c], width[c]) : cells[c];
    }
    out << s << '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

}  // namespace pons::cli
