#include "pons/store/pg_statement.hpp"

#include <charconv>
#include <cstdlib>
#include <utility>

namespace pons::store {

void pg_statement::bind(int index, std::optional<std::string> value) {
  if (rows_) {  // bound again after running: the next step runs with the new values
    rows_.reset();
    row_ = -1;
  }
  if (index < 1 || static_cast<std::size_t>(index) > pg_.position.size()) return;
  const int k = pg_.position[static_cast<std::size_t>(index - 1)];
  if (k == 0) return;
  if (params_.size() < static_cast<std::size_t>(pg_.parameters)) params_.resize(pg_.parameters);
  // A text value goes to the server as a C string, which would end at a NUL and drop the rest
  // without a word (PostgreSQL's text cannot hold a NUL at all). Each NUL becomes U+FFFD, the
  // replacement character, so the rest is kept.
  if (value && value->find('\0') != std::string::npos) {
    std::string kept;
    kept.reserve(value->size() + 8);
    for (char c : *value) {
      if (c == '\0') {
        kept += "\xEF\xBF\xBD";
      } else {
        kept += c;
      }
    }
    value = std::move(kept);
  }
  params_[static_cast<std::size_t>(k - 1)] = std::move(value);
}

std::vector<const char*> pg_statement::bound_values() {
  // Unbound parameters are NULL, as in SQLite.
  if (params_.size() < static_cast<std::size_t>(pg_.parameters)) params_.resize(pg_.parameters);
  std::vector<const char*> values;
  values.reserve(params_.size());
  for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

result<void> pg_statement::ensure_prepared() {
  // In a round trip of its own, once per connection: a prepare that failed unseen in a
  // pipeline would leave this statement believing it exists.
  if (prepared_) return {};
  if (auto p = conn_->prepare(name_, pg_.text); !p) return p.error();
  prepared_ = true;
  return {};
}

result<void> pg_statement::execute() {
  const auto values = bound_values();
  if (name_.empty()) {
    auto r = conn_->run_once(pg_.text, values);
    if (!r) return r.error();
    rows_.emplace(std::move(*r));
  } else {
    if (auto p = ensure_prepared(); !p) return p.error();
    auto r = conn_->run_prepared(name_, values);
    if (!r) return r.error();
    rows_.emplace(std::move(*r));
  }
  row_ = -1;
  ++runs_;
  return {};
}

result<void> pg_statement::run_deferred() {
  if (name_.empty()) {
    auto r = run();
    if (!r) return r.error();
    return {};
  }
  if (auto p = ensure_prepared(); !p) return p.error();
  if (row_shape_) {
    // Its values go with the row: the next binding starts over.
    params_.resize(static_cast<std::size_t>(pg_.parameters));
    conn_->defer_row(name_, *row_shape_, std::exchange(params_, {}));
  } else {
    const auto values = bound_values();
    if (auto r = conn_->defer_prepared(name_, values); !r) return r.error();
  }
  rows_.reset();
  row_ = -1;
  ++runs_;
  return {};
}

result<bool> pg_statement::step() {
  if (!rows_) {
    if (auto r = execute(); !r) return result<bool>(boost::system::in_place_error, r.error());
  }
  if (row_ < rows_->rows()) ++row_;
  if (row_ < rows_->rows()) return true;
  // Past the last row: like SQLite, the next step runs the statement again.
  rows_.reset();
  row_ = -1;
  return false;
}

result<int> pg_statement::run() {
  if (auto r = execute(); !r) return r.error();
  const int changed = rows_->affected();
  rows_.reset();
  row_ = -1;
  return changed;
}

void pg_statement::reset() {
  rows_.reset();
  row_ = -1;
  params_.clear();
}

std::int64_t pg_statement::column_int64(int col) const {
  const std::string_view v = column_view(col);
  if (v == "t") return 1;  // a boolean expression (x = y, EXISTS): SQLite answers 1 or 0
  if (v == "f") return 0;
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec == std::errc() && end == v.data() + v.size()) return out;
  // numeric (sum, avg) or floating point: SQLite truncates toward zero.
  return static_cast<std::int64_t>(column_double(col));
}

double pg_statement::column_double(int col) const {
  const std::string text(column_view(col));
  return std::strtod(text.c_str(), nullptr);
}

std::string_view pg_statement::column_view(int col) const {
  if (!rows_ || row_ < 0 || row_ >= rows_->rows() || rows_->is_null(row_, col)) return {};
  return rows_->value(row_, col);
}

bool pg_statement::column_is_null(int col) const {
  if (!rows_ || row_ < 0 || row_ >= rows_->rows()) return true;
  return rows_->is_null(row_, col);
}

}  // namespace pons::store
