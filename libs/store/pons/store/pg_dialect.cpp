#include "pons/store/pg_dialect.hpp"

#include <cctype>

namespace pons::store {

pg_sql to_pg_sql(std::string_view sql) {
  pg_sql out;
  out.text.reserve(sql.size());
  char quote = 0;  // the quote character while inside quoted text
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out.text += c;
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out.text += c;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.text.append(sql.substr(i, stop - i));
      i = stop - 1;
      continue;
    }
    if (c == '?') {
      std::size_t j = i + 1;
      int n = 0;
      while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9' && n < 100000) {
        n = n * 10 + (sql[j] - '0');
        ++j;
      }
      // A bare '?' is SQLite's next parameter: one past the highest number so far.
      if (j == i + 1) n = static_cast<int>(out.position.size()) + 1;
      if (n > 0) {
        if (out.position.size() < static_cast<std::size_t>(n)) out.position.resize(n, 0);
        int& k = out.position[static_cast<std::size_t>(n - 1)];
        if (k == 0) k = ++out.parameters;
        out.text += '$';
        out.text += std::to_string(k);
        i = j - 1;
        continue;
      }
    }
    out.text += c;
  }
  return out;
}

std::string to_pg_placeholders(std::string_view sql) {
  return to_pg_sql(sql).text;
}

store_errc store_errc_for_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return store_errc::server_error;
  const std::string_view cls = sqlstate.substr(0, 2);
  if (cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03") {
    return store_errc::unavailable;  // connection exceptions, server shutting down or starting
  }
  if (cls == "23") return store_errc::constraint;
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03") return store_errc::busy;
  if (sqlstate == "53100") return store_errc::full;
  if (sqlstate == "25006") return store_errc::read_only;
  return store_errc::server_error;
}

namespace {

// The first word of a statement, upper-cased, after blanks and -- comments.
std::string first_keyword(std::string_view sql) {
  std::size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
    if (sql.substr(i, 2) != "--") break;
    const std::size_t end = sql.find('\n', i);
    i = end == std::string_view::npos ? sql.size() : end;
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
    ++i;
  }
  return word;
}

bool leaves_tables_alone(const std::string& keyword) {
  static constexpr std::string_view keywords[] = {
      "SELECT", "SHOW",     "SET",       "RESET",   "BEGIN",  "START",    "COMMIT", "END",
      "ABORT",  "ROLLBACK", "SAVEPOINT", "RELEASE", "LISTEN", "UNLISTEN", "NOTIFY"};
  for (const auto k : keywords) {
    if (keyword == k) return true;
  }
  return false;
}

}  // namespace

bool pg_may_write(std::string_view sql) {
  // Split naively at every ';': one inside quoted text only makes a piece that reads as a
  // write, which is the safe side.
  for (;;) {
    const std::size_t end = sql.find(';');
    const std::string_view piece = sql.substr(0, end);
    const std::string keyword = first_keyword(piece);
    if (!keyword.empty() && !leaves_tables_alone(keyword)) return true;
    if (keyword.empty() && piece.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      return true;  // something that is not a word first: unknown, so counted
    }
    if (end == std::string_view::npos) return false;
    sql.remove_prefix(end + 1);
  }
}

bool is_postgresql_url(std::string_view db) {
  auto starts = [db](std::string_view scheme) {
    if (db.size() < scheme.size()) return false;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(db[i])) != scheme[i]) return false;
    }
    return true;
  };
  return starts("postgresql://") || starts("postgres://");
}

}  // namespace pons::store
