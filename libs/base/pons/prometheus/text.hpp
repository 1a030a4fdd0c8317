#pragma once
// Prometheus text exposition format (version 0.0.4): a family's HELP and TYPE lines, and its
// samples with escaped label values. Every /metrics section of pons-webhook is written with it.

#include <fmt/format.h>

#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

namespace pons::prometheus {

/// Label names and their values, in the order they are written.
using labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// `text` with backslash, double quote and newline escaped, as a label value must be.
std::string escape_label_value(std::string_view text);

/// Appends "# HELP name help" (backslash and newline escaped) and "# TYPE name type".
void append_family(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help);

/// Appends "name{label="value",...}" without the value: append_sample's first half.
void append_series(std::string& out, std::string_view name, labels label_values);

/// Appends one sample, "name{label="value",...} value"; `value` is written with fmt's "{}".
template <class Value>
void append_sample(std::string& out, std::string_view name, labels label_values,
                   const Value& value) {
  append_series(out, name, label_values);
  fmt::format_to(std::back_inserter(out), " {}\n", value);
}

/// Appends one sample without labels, "name value".
template <class Value>
void append_sample(std::string& out, std::string_view name, const Value& value) {
  append_sample(out, name, {}, value);
}

/// Appends a family of one unlabelled sample: its HELP and TYPE lines, then "name value".
template <class Value>
void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, const Value& value) {
  append_family(out, name, type, help);
  append_sample(out, name, value);
}

}  // namespace pons::prometheus
