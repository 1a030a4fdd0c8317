#include "pons/store/template_repository.hpp"

#include <map>
#include <utility>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr std::string_view template_columns =
    "SELECT waba_id, meta_template_id, name, language, category, status, components_json, "
    "parameter_format, rejected_reason, updated_at, quality_score FROM templates ";

template_record read_template(const statement& st) {
  template_record t;
  t.waba_id = st.column_text(0);
  t.meta_template_id = st.column_text(1);
  t.name = st.column_text(2);
  t.language = st.column_text(3);
  t.category = st.column_text(4);
  t.status = st.column_text(5);
  t.components_json = st.column_text(6);
  t.parameter_format = st.column_text(7);
  t.rejected_reason = st.column_text(8);
  t.updated_at = st.column_text(9);
  t.quality_score = st.column_text(10);
  return t;
}

}  // namespace

result<template_changes> replace_templates(database& db, std::string_view waba_id,
                                           const std::vector<template_record>& templates,
                                           time_point now) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  // What is stored now, to tell added, updated and removed rows apart.
  std::map<std::pair<std::string, std::string>, template_record> before;
  {
    PONS_STORE_TRY(st, db.prepare(std::string(template_columns) + "WHERE waba_id = ?1"));
    st.bind(1, waba_id);
    for (;;) {
      PONS_STORE_TRY(row, st.step());
      if (!row) break;
      auto t = read_template(st);
      auto key = std::pair{t.name, t.language};
      before.emplace(std::move(key), std::move(t));
    }
  }
  template_changes changes;
  const std::string stamp = format_timestamp(now);
  PONS_STORE_TRY(ins, db.prepare("INSERT INTO templates(waba_id, meta_template_id, name, language, "
                                 "category, status, components_json, parameter_format, "
                                 "rejected_reason, updated_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                                 "ON CONFLICT(waba_id, name, language) DO UPDATE SET "
                                 "meta_template_id = ?2, category = ?5, status = ?6, "
                                 "components_json = ?7, parameter_format = ?8, "
                                 "rejected_reason = ?9, updated_at = ?10"));
  for (const auto& t : templates) {
    const std::string components = t.components_json.empty() ? "[]" : t.components_json;
    auto it = before.find(std::pair{t.name, t.language});
    if (it != before.end()) {
      const auto& old = it->second;
      const bool same = old.meta_template_id == t.meta_template_id && old.category == t.category &&
                        old.status == t.status && old.components_json == components &&
                        old.parameter_format == t.parameter_format &&
                        old.rejected_reason == t.rejected_reason;
      before.erase(it);
      if (same) continue;
      ++changes.updated;
    } else {
      ++changes.added;
    }
    ins.bind_all(waba_id, t.meta_template_id, t.name, t.language, t.category, t.status, components,
                 t.parameter_format, t.rejected_reason, stamp);
    PONS_STORE_CHECK(ins.run());
  }
  // Whatever Meta no longer lists is gone (deleted there).
  PONS_STORE_TRY(del, db.prepare("DELETE FROM templates WHERE waba_id = ?1 AND name = ?2 AND "
                                 "language = ?3"));
  for (const auto& [key, old] : before) {
    del.bind_all(waba_id, key.first, key.second);
    PONS_STORE_CHECK(del.run());
    ++changes.removed;
  }
  PONS_STORE_TRY(mark, db.prepare("INSERT INTO accounts(waba_id, created_at, updated_at, "
                                  "templates_synced_at, templates_sync_error) "
                                  "VALUES (?1, ?2, ?2, ?2, '') ON CONFLICT(waba_id) DO UPDATE SET "
                                  "templates_synced_at = ?2, templates_sync_error = ''"));
  mark.bind_all(waba_id, stamp);
  PONS_STORE_CHECK(mark.run());
  PONS_STORE_CHECK(scope.commit());
  return changes;
}

result<void> record_template_sync_failure(database& db, std::string_view waba_id,
                                          std::string_view error, time_point now) {
  PONS_STORE_TRY(st, db.prepare("INSERT INTO accounts(waba_id, created_at, updated_at, "
                                "templates_sync_error) VALUES (?1, ?2, ?2, ?3) "
                                "ON CONFLICT(waba_id) DO UPDATE SET templates_sync_error = ?3"));
  st.bind_all(waba_id, format_timestamp(now), error);
  PONS_STORE_CHECK(st.run());
  return {};
}

result<std::vector<template_sync_state>> list_template_syncs(database& db) {
  PONS_STORE_TRY(st, db.prepare("SELECT waba_id, templates_synced_at, templates_sync_error "
                                "FROM accounts ORDER BY waba_id"));
  std::vector<template_sync_state> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
  }
  return out;
}

namespace {

// The WHERE clause both updates share (parameters 1-4: waba, template id, name, language).
constexpr std::string_view template_ref_where =
    " WHERE waba_id = ?1 AND ((?2 <> '' AND meta_template_id = ?2) OR "
    "(?2 = '' AND name = ?3 AND (?4 = '' OR language = ?4)))";

}  // namespace

result<int> update_template_quality(database& db, const template_ref& ref,
                                    std::string_view quality_score, time_point now) {
  PONS_STORE_TRY(up, db.prepare("UPDATE templates SET quality_score = ?5, updated_at = ?6" +
                                std::string(template_ref_where)));
  up.bind_all(ref.waba_id, ref.meta_template_id, ref.name, ref.language, quality_score,
              format_timestamp(now));
  return up.run();
}

result<int> update_template_category(database& db, const template_ref& ref,
                                     std::string_view category, time_point now) {
  PONS_STORE_TRY(up, db.prepare("UPDATE templates SET category = ?5, updated_at = ?6" +
                                std::string(template_ref_where)));
  up.bind_all(ref.waba_id, ref.meta_template_id, ref.name, ref.language, category,
              format_timestamp(now));
  return up.run();
}

result<void> update_template_status(database& db, std::string_view waba_id,
                                    std::string_view meta_template_id, std::string_view name,
                                    std::string_view language, std::string_view status,
                                    std::string_view reason, time_point now) {
  const std::string stamp = format_timestamp(now);
  // Prefer Meta's template id; fall back to the name (and language when given).
  PONS_STORE_TRY(
      up, db.prepare("UPDATE templates SET status = ?5, rejected_reason = ?6, updated_at = ?7, "
                     "meta_template_id = CASE WHEN ?2 <> '' THEN ?2 ELSE meta_template_id END "
                     "WHERE waba_id = ?1 AND ((?2 <> '' AND meta_template_id = ?2) OR "
                     "(name = ?3 AND (?4 = '' OR language = ?4)))"));
  up.bind_all(waba_id, meta_template_id, name, language, status, reason, stamp);
  PONS_STORE_TRY(n, up.run());
  if (n > 0 || name.empty()) return {};
  PONS_STORE_TRY(ins, db.prepare("INSERT INTO templates(waba_id, meta_template_id, name, language, "
                                 "status, rejected_reason, updated_at) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                 "ON CONFLICT(waba_id, name, language) DO NOTHING"));
  ins.bind_all(waba_id, meta_template_id, name, language, status, reason, stamp);
  PONS_STORE_CHECK(ins.run());
  return {};
}

result<void> store_created_template(database& db, const template_record& t, time_point now) {
  PONS_STORE_TRY(st, db.prepare("INSERT INTO templates(waba_id, meta_template_id, name, language, "
                                "category, status, components_json, parameter_format, "
                                "rejected_reason, updated_at, quality_score) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', ?9, '') "
                                "ON CONFLICT(waba_id, name, language) DO UPDATE SET "
                                "meta_template_id = ?2, category = ?5, status = ?6, "
                                "components_json = ?7, parameter_format = ?8, "
                                "rejected_reason = '', updated_at = ?9, quality_score = ''"));
  st.bind_all(t.waba_id, t.meta_template_id, t.name, t.language, t.category, t.status,
              t.components_json.empty() ? std::string("[]") : t.components_json, t.parameter_format,
              format_timestamp(now));
  PONS_STORE_CHECK(st.run());
  return {};
}

result<int> delete_stored_templates(database& db, std::string_view waba_id, std::string_view name,
                                    std::string_view language) {
  PONS_STORE_TRY(st, db.prepare("DELETE FROM templates WHERE waba_id = ?1 AND name = ?2 AND "
                                "(?3 = '' OR language = ?3)"));
  st.bind_all(waba_id, name, language);
  return st.run();
}

result<std::vector<template_record>> list_templates(database& db, std::string_view waba_id,
                                                    std::string_view status) {
  PONS_STORE_TRY(st, db.prepare(std::string(template_columns) +
                                "WHERE (?1 = '' OR waba_id = ?1) AND (?2 = '' OR status = ?2) "
                                "ORDER BY name, language"));
  st.bind_all(waba_id, status);
  std::vector<template_record> out;
  for (;;) {
    PONS_STORE_TRY(row, st.step());
    if (!row) break;
    out.push_back(read_template(st));
  }
  return out;
}

result<std::optional<template_record>> find_template(database& db, std::string_view waba_id,
                                                     std::string_view name,
                                                     std::string_view language) {
  PONS_STORE_TRY(st, db.prepare(std::string(template_columns) +
                                "WHERE waba_id = ?1 AND name = ?2 AND language = ?3"));
  st.bind_all(waba_id, name, language);
  PONS_STORE_TRY(row, st.step());
  if (!row) return std::optional<template_record>();
  return std::optional<template_record>(read_template(st));
}

}  // namespace pons::store
