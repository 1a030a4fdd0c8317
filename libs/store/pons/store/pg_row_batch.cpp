#include "pons/store/pg_row_batch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <utility>

namespace pons::store {

namespace {

constexpr std::string_view insert_into = "INSERT INTO ";
constexpr std::string_view values_keyword = " VALUES ";

// Where the quoted text ('...' or "...") starting at `at` ends (one past its closing quote);
// a doubled quote inside is part of the text.
std::size_t past_quoted(std::string_view s, std::size_t at) {
  const char quote = s[at];
  for (std::size_t i = at + 1; i < s.size(); ++i) {
    if (s[i] != quote) continue;
    if (i + 1 < s.size() && s[i + 1] == quote) {
      ++i;
      continue;
    }
    return i + 1;
  }
  return s.size();
}

std::string upper_case(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Where the parenthesised list starting at `at` ends (one past its closing parenthesis), or npos.
std::size_t past_row(std::string_view s, std::size_t at) {
  if (at >= s.size() || s[at] != '(') return std::string_view::npos;
  int depth = 0;
  for (std::size_t i = at; i < s.size();) {
    const char c = s[i];
    if (c == '\'' || c == '"') {
      i = past_quoted(s, i);
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// What may follow the row: nothing, or an ON CONFLICT that does nothing (which a multi-row
// INSERT does for each row alone, also for two rows of its own that conflict).
bool tail_allowed(std::string_view tail) {
  const std::string t = upper_case(tail);
  if (t.empty()) return true;
  constexpr std::string_view on_conflict = " ON CONFLICT";
  constexpr std::string_view do_nothing = " DO NOTHING";
  // No parameter either: the tail is written once, after the last row, and not renumbered.
  return t.starts_with(on_conflict) && t.ends_with(do_nothing) &&
         t.find("RETURNING") == std::string::npos && t.find("SELECT") == std::string::npos &&
         t.find('$') == std::string::npos;
}

}  // namespace

std::optional<pg_insert_shape> pg_insert_shape_of(std::string_view pg_text, int parameters) {
  if (pg_text.substr(0, insert_into.size()) != insert_into) return std::nullopt;
  std::size_t end = insert_into.size();
  while (end < pg_text.size() &&
         (std::isalnum(static_cast<unsigned char>(pg_text[end])) || pg_text[end] == '_')) {
    ++end;
  }
  if (end == insert_into.size() || end >= pg_text.size() || pg_text[end] != '(') {
    return std::nullopt;
  }
  const std::size_t columns_end = pg_text.find(')', end);
  if (columns_end == std::string_view::npos) return std::nullopt;
  if (pg_text.substr(columns_end + 1, values_keyword.size()) != values_keyword) return std::nullopt;
  const std::size_t row_at = columns_end + 1 + values_keyword.size();
  const std::size_t row_end = past_row(pg_text, row_at);
  if (row_end == std::string_view::npos) return std::nullopt;
  const std::string_view row = pg_text.substr(row_at, row_end - row_at);
  std::string_view tail = pg_text.substr(row_end);
  while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back())))
    tail.remove_suffix(1);
  // A subquery in the row could read rows that the batch moves.
  const std::string upper_row = upper_case(row);
  for (const char* reads : {"SELECT", "TABLE", "VALUES"}) {
    if (upper_row.find(reads) != std::string::npos) return std::nullopt;
  }
  if (!tail_allowed(tail)) return std::nullopt;
  pg_insert_shape shape;
  // As the catalog names it: PostgreSQL folds an unquoted name to lower case.
  shape.table = std::string(pg_text.substr(insert_into.size(), end - insert_into.size()));
  for (auto& c : shape.table) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  shape.head = std::string(pg_text.substr(0, row_at));
  shape.row = std::string(row);
  shape.tail = std::string(tail);
  shape.parameters = parameters;
  return shape;
}

std::string pg_multi_row_sql(const pg_insert_shape& shape, int rows) {
  std::string sql = shape.head;
  const std::string_view row = shape.row;
  for (int n = 0; n < rows; ++n) {
    if (n > 0) sql += ", ";
    const int offset = n * shape.parameters;
    for (std::size_t i = 0; i < row.size();) {
      const char c = row[i];
      if (c == '\'' || c == '"') {
        const std::size_t past = past_quoted(row, i);
        sql += row.substr(i, past - i);
        i = past;
        continue;
      }
      if (c == '$' && i + 1 < row.size() && std::isdigit(static_cast<unsigned char>(row[i + 1]))) {
        int k = 0;
        ++i;
        while (i < row.size() && std::isdigit(static_cast<unsigned char>(row[i]))) {
          k = k * 10 + (row[i] - '0');
          ++i;
        }
        fmt::format_to(std::back_inserter(sql), "${}", k + offset);
        continue;
      }
      sql += c;
      ++i;
    }
  }
  sql += shape.tail;
  return sql;
}

std::vector<int> pg_row_chunks(std::size_t rows) {
  std::vector<int> chunks;
  while (rows > 0) {
    int size = max_rows_per_insert;
    while (static_cast<std::size_t>(size) > rows) size /= 2;
    chunks.push_back(size);
    rows -= static_cast<std::size_t>(size);
  }
  return chunks;
}

std::map<std::string, int, std::less<>> pg_table_depths(
    const std::vector<std::pair<std::string, std::string>>& references) {
  std::map<std::string, int, std::less<>> depth;
  for (const auto& [table, parent] : references) {
    depth.emplace(table, 0);
    depth.emplace(parent, 0);
  }
  for (std::size_t round = 0; round < depth.size(); ++round) {
    bool changed = false;
    for (const auto& [table, parent] : references) {
      if (table == parent) continue;
      const int deeper = depth[parent] + 1;
      if (depth[table] < deeper) {
        depth[table] = deeper;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return depth;
}

void pg_row_batch::add_row(const std::string& name, const pg_insert_shape& shape,
                           pg_values values) {
  auto [it, fresh] = tables_.try_emplace(name);
  if (fresh) it->second.shape = shape;
  if (it->second.rows.empty()) it->second.first = arrivals_++;
  it->second.rows.push_back(std::move(values));
  ++rows_;
}

void pg_row_batch::add_later(const std::string& name, pg_values values) {
  later_.emplace_back(name, std::move(values));
}

void pg_row_batch::clear() {
  for (auto& [name, t] : tables_) t.rows.clear();
  later_.clear();
  rows_ = 0;
}

namespace {

void append_values(std::vector<const char*>& out, const pg_values& values) {
  for (const auto& v : values) out.push_back(v ? v->c_str() : nullptr);
}

}  // namespace

result<void> pg_row_batch::send(const std::map<std::string, int, std::less<>>& depths,
                                const send_fn& send, const prepare_fn& prepare,
                                const send_plain_fn& send_plain) {
  // Each table's single-row statement's name, with its rows.
  using held_table = std::pair<const std::string, table_rows>;
  std::vector<held_table*> order;
  for (auto& entry : tables_) {
    if (!entry.second.rows.empty()) order.push_back(&entry);
  }
  auto rank = [&](const held_table* t) {
    auto it = depths.find(t->second.shape.table);
    return std::pair(it == depths.end() ? 0 : it->second, t->second.first);
  };
  std::sort(order.begin(), order.end(),
            [&](const held_table* a, const held_table* b) { return rank(a) < rank(b); });
  auto sent = [&]() -> result<void> {
    std::vector<const char*> values;
    bool generic = false;  // the generic plan is forced for the statements sent now
    for (held_table* held : order) {
      const auto& [single, t] = *held;
      std::size_t next = 0;
      for (const int rows : pg_row_chunks(t.rows.size())) {
        std::string name = single;
        if (rows > 1) {
          name = fmt::format("{}_x{}", single, rows);
          if (prepared_.find(name) == prepared_.end()) {
            if (auto p = prepare(name, pg_multi_row_sql(t.shape, rows)); !p) return p.error();
            prepared_.insert(name);
          }
          if (!generic) {
            if (auto r = send_plain("SET LOCAL plan_cache_mode = force_generic_plan"); !r)
              return r.error();
            generic = true;
          }
        }
        values.clear();
        for (int n = 0; n < rows; ++n) append_values(values, t.rows[next++]);
        if (auto r = send(name, values); !r) return r.error();
      }
    }
    if (generic) {
      // Back to the server's default for the statements after the rows (nothing in Pons sets
      // plan_cache_mode otherwise).
      if (auto r = send_plain("RESET plan_cache_mode"); !r) return r.error();
    }
    for (const auto& [name, v] : later_) {
      values.clear();
      append_values(values, v);
      if (auto r = send(name, values); !r) return r.error();
    }
    return {};
  }();
  clear();
  return sent;
}

}  // namespace pons::store
