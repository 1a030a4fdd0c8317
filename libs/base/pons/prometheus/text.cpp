#include "pons/prometheus/text.hpp"

namespace pons::prometheus {

namespace {

// Backslash and newline always; double quote only in label values (HELP text keeps it).
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string escape_label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text, true);
  return out;
}

void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  append_escaped(out, help, false);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_series(std::string& out, std::string_view name, labels label_values) {
  out += name;
  if (label_values.size() == 0) return;
  char sep = '{';
  for (const auto& [label, value] : label_values) {
    out += sep;
    out += label;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
    sep = ',';
  }
  out += '}';
}

}  // namespace pons::prometheus
