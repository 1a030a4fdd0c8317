#pragma once
// The plain text tables the admin commands print: a header row and left-aligned columns.

#include <ostream>
#include <string>
#include <vector>

namespace pons::cli {

/// Writes `header` and then each of `rows` to `out`, one line each, every column as wide as its
/// widest cell and two spaces apart; the last cell of a line is not padded.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// `s`, or "-" when it is empty: a cell or field that is never blank.
std::string or_dash(const std::string& s);

}  // namespace pons::cli
