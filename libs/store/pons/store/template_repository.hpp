#pragma once
// Message templates, synced from Meta's template list and updated by template status webhooks.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// One row of `templates`.
struct template_record {
  std::string waba_id;
  std::string meta_template_id;
  std::string name;
  std::string language;
  std::string category;
  std::string status;            // APPROVED, PENDING, REJECTED, PAUSED, DISABLED...
  std::string components_json;   // Meta's components array, verbatim
  std::string parameter_format;  // NAMED | POSITIONAL | ""
  std::string rejected_reason;
  std::string updated_at;
  std::string quality_score;  // GREEN, YELLOW, RED, UNKNOWN; "" until Meta rates it
};

/// What a full sync changed in the stored templates of one account.
struct template_changes {
  std::size_t added = 0;    // (name, language) not stored before
  std::size_t updated = 0;  // stored, with a field that changed
  std::size_t removed = 0;  // stored, no longer listed by Meta
};

/// Replaces every template of `waba_id` with `templates` (a full sync) and records the time of
/// the sync on the account (created when missing), atomically. Rows that did not change keep
/// their updated_at.
result<template_changes> replace_templates(database& db, std::string_view waba_id,
                                           const std::vector<template_record>& templates,
                                           time_point now);

/// Records why a sync of `waba_id` failed; kept until the next successful sync.
result<void> record_template_sync_failure(database& db, std::string_view waba_id,
                                          std::string_view error, time_point now);

/// When an account's templates were last synced, and why the last attempt failed.
struct template_sync_state {
  std::string waba_id;
  std::string synced_at;  // "" when never synced
  std::string error;      // "" when the last attempt succeeded (or none was made)
};

/// The sync state of every account, by WABA id.
result<std::vector<template_sync_state>> list_template_syncs(database& db);

/// Which stored templates a webhook is about: Meta's template id when it has one, else the name
/// (and the language when given).
struct template_ref {
  std::string waba_id;
  std::string meta_template_id;
  std::string name;
  std::string language;
};

/// Applies a quality rating (message_template_quality_update) to the stored templates `ref`
/// names; an unknown template is left to the next sync. Returns how many were updated.
result<int> update_template_quality(database& db, const template_ref& ref,
                                    std::string_view quality_score, time_point now);

/// Applies a category change (template_category_update) the same way.
result<int> update_template_category(database& db, const template_ref& ref,
                                     std::string_view category, time_point now);

/// Applies a template status update (creating a row when the template is unknown). An empty
/// language updates every language of that name.
result<void> update_template_status(database& db, std::string_view waba_id,
                                    std::string_view meta_template_id, std::string_view name,
                                    std::string_view language, std::string_view status,
                                    std::string_view reason, time_point now);

/// Stores a template this side just created at Meta (PENDING until Meta's review), replacing a
/// stored row of the same name and language: list_templates shows it before the next sync.
result<void> store_created_template(database& db, const template_record& t, time_point now);

/// Removes the stored templates of `name` in `waba_id`, only `language` when it is not empty
/// (deleted at Meta). Returns how many rows went.
result<int> delete_stored_templates(database& db, std::string_view waba_id, std::string_view name,
                                    std::string_view language);

/// Templates, optionally of one WABA ("" = all) and only those with `status` ("" = any),
/// by name and language.
result<std::vector<template_record>> list_templates(database& db, std::string_view waba_id = {},
                                                    std::string_view status = {});

/// One template by (waba, name, language), or nullopt.
result<std::optional<template_record>> find_template(database& db, std::string_view waba_id,
                                                     std::string_view name,
                                                     std::string_view language);

}  // namespace pons::store
