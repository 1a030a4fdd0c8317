#include "pons/meta/template_sync.hpp"

#include <fmt/format.h>

#include <vector>

#include "pons/store/database.hpp"

namespace pons::meta {

namespace {

bool all_of_chars(std::string_view s, bool (*ok)(char)) {
  for (char c : s)
    if (!ok(c)) return false;
  return true;
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool language_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

bool word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

graph_error storage_error(const boost::system::error_code& ec) {
  return graph_error{ec, {}, 0};
}

}  // namespace

std::string template_problem(const template_info& t) {
  // Meta's rules for template names; the same bound as the tools' `name` arguments.
  if (t.name.empty() || t.name.size() > 512 || !all_of_chars(t.name, name_char))
    return "its name is not lowercase letters, digits and underscores (at most 512)";
  if (t.language.size() < 2 || t.language.size() > 32 || !all_of_chars(t.language, language_char))
    return "its language is not a language code";
  if (t.status.size() > 64 || !all_of_chars(t.status, word_char) || t.category.size() > 64 ||
      !all_of_chars(t.category, word_char))
    return "its status or category is not a word";
  if (t.components_json.size() > 64 * 1024) return "its components are larger than 64 KiB";
  return {};
}

graph_result<template_sync_result> sync_account_templates(store::database& db, graph_client& graph,
                                                          std::string_view waba_id,
                                                          store::time_point now) {
  auto listed = graph.list_all_templates(waba_id);
  if (!listed) {
    // Kept for list_templates; a storage failure here must not hide Meta's answer.
    (void)store::record_template_sync_failure(db, waba_id, listed.error().explain(), now);
    return listed.error();
  }
  template_sync_result result;
  std::vector<store::template_record> records;
  records.reserve(listed->size());
  for (const auto& t : *listed) {
    if (auto problem = template_problem(t); !problem.empty()) {
      if (result.skipped++ == 0) result.first_skip_reason = std::move(problem);
      continue;
    }
    store::template_record r;
    r.waba_id = std::string(waba_id);
    r.meta_template_id = t.id;
    r.name = t.name;
    r.language = t.language;
    r.category = t.category;
    r.status = t.status;
    r.components_json = t.components_json;
    r.parameter_format = t.parameter_format;
    r.rejected_reason = t.rejected_reason;
    if (t.status == "APPROVED") ++result.approved;
    records.push_back(std::move(r));
  }
  result.templates = records.size();
  auto changes = store::replace_templates(db, waba_id, records, now);
  if (!changes) return storage_error(changes.error());
  result.changes = *changes;
  return result;
}

std::string describe_template_sync(std::string_view waba_id, const template_sync_result& r) {
  std::string out = fmt::format(
      "Account {}: {} templates ({} approved): {} added, {} updated, {} removed.", waba_id,
      r.templates, r.approved, r.changes.added, r.changes.updated, r.changes.removed);
  if (r.skipped > 0)
    out += fmt::format(" {} listed by Meta left out: {}.", r.skipped, r.first_skip_reason);
  return out;
}

}  // namespace pons::meta
