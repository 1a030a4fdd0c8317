#pragma once
// Full-text search over messages as SQL fragments, for the store's search and for callers that
// build their own query around it (their columns and filters): SQLite's FTS5 table or
// PostgreSQL's tsvector column, whichever the connection runs on. User text never becomes
// search syntax: each word is quoted (FTS5) or reduced to letters and digits (tsquery).

#include <string>
#include <string_view>

namespace pons::store {

class database;

/// How words are matched.
struct text_search_options {
  /// Each word matches as a prefix ("inv" finds "invoice"), not only whole.
  bool prefix = true;
  /// What the snippet writes where it cut the text.
  std::string_view ellipsis = "…";
};

/// The fragments, for "SELECT ..., {snippet} FROM {from} ... WHERE {where} ... ORDER BY
/// {newest_first}" with the messages aliased `m`; ?N (the `param` given) binds `value`.
struct text_search_sql {
  std::string from;          // the matches joined to `messages m`
  std::string where;         // the match condition
  std::string snippet;       // the hit's words marked [like this]
  std::string newest_first;  // the order of the newest match first
  std::string best_first;    // the order of the best match first (slower: scores every match)
  std::string value;         // empty: the text has no word to look for
};

/// The search for `words` on `db`'s engine.
text_search_sql text_search(const database& db, std::string_view words, int param,
                            const text_search_options& options = {});

/// FTS5's query for `words`: each whitespace-separated word quoted, a prefix when asked.
std::string fts5_query(std::string_view words, bool prefix);

/// PostgreSQL's tsquery for `words`: each run of letters and digits (any byte past ASCII is a
/// letter) quoted, all required, a prefix when asked.
std::string tsquery_text(std::string_view words, bool prefix);

}  // namespace pons::store
