#include "pons/store/pg_dialect.hpp"

namespace pons::store {

std::string to_pg_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // the quote character while inside quoted text
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const std::size_t end = sql.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
      continue;
    }
    if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '$';
      continue;
    }
    out += c;
  }
  return out;
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

bool is_postgresql_url(std::string_view db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

}  // namespace pons::store
