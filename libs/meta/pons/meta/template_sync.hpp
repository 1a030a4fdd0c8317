#pragma once
// Fetching an account's message templates from Meta into the `templates` table: used by
// pons-webhook's background syncer, `pons-webhook templates sync` and pons-mcp's sync_templates
// tool. What Meta lists is checked before it is stored: names, languages and texts reach
// assistants, so a template that could not have come from Meta's own rules is left out.

#include <cstddef>
#include <string>
#include <string_view>

#include "pons/meta/graph_client.hpp"
#include "pons/store/template_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::meta {

/// Result of one account's template sync.
struct template_sync_result {
  std::size_t templates = 0;      // stored now
  std::size_t approved = 0;       // of which APPROVED
  std::size_t skipped = 0;        // listed by Meta but not stored (see template_problem)
  std::string first_skip_reason;  // why the first skipped one was left out
  store::template_changes changes;
};

/// Why a template as listed cannot be stored ("" when it can): a name outside Meta's rules
/// (lowercase letters, digits and underscores, at most 512), a language code that is not one,
/// a status or category with odd characters, or components larger than 64 KiB.
std::string template_problem(const template_info& t);

/// Fetches every template of `waba_id` through `graph` and replaces the stored ones (see
/// store::replace_templates). When Meta cannot be reached or refuses, nothing is replaced and
/// the failure is recorded on the account (list_templates shows it); a storage failure comes
/// back as a graph_error whose code is the store error.
graph_result<template_sync_result> sync_account_templates(store::database& db, graph_client& graph,
                                                          std::string_view waba_id,
                                                          store::time_point now);

/// One line for a person or an assistant: "Account W: 5 templates (4 approved): 5 added,
/// 0 updated, 0 removed." (plus the skipped ones, when any).
std::string describe_template_sync(std::string_view waba_id, const template_sync_result& r);

}  // namespace pons::meta
