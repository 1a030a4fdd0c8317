#pragma once
// Message templates, synced from Meta's template list and updated by template status webhooks.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/error.hpp"
#include "core/store/timestamp.hpp"

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
};

/// Replaces every template of `waba_id` with `templates` (a full sync), atomically.
result<void> replace_templates(database& db, std::string_view waba_id,
                               const std::vector<template_record>& templates, time_point now);

/// Applies a template status update (creating a row when the template is unknown). An empty
/// language updates every language of that name.
result<void> update_template_status(database& db, std::string_view waba_id,
                                    std::string_view meta_template_id, std::string_view name,
                                    std::string_view language, std::string_view status,
                                    std::string_view reason, time_point now);

/// Templates, optionally of one WABA ("" = all) and only those with `status` ("" = any),
/// by name and language.
result<std::vector<template_record>> list_templates(database& db, std::string_view waba_id = {},
                                                    std::string_view status = {});

/// One template by (waba, name, language), or nullopt.
result<std::optional<template_record>> find_template(database& db, std::string_view waba_id,
                                                     std::string_view name,
                                                     std::string_view language);

}  // namespace pons::store
