#include "pons/store/message_search.hpp"

#include <fmt/format.h>

#include <cctype>

#include "pons/store/database.hpp"

namespace pons::store {

std::string fts5_query(std::string_view words, bool prefix) {
  std::string out;
  std::size_t i = 0;
  while (i < words.size()) {
    while (i < words.size() && std::isspace(static_cast<unsigned char>(words[i]))) ++i;
    std::size_t j = i;
    while (j < words.size() && !std::isspace(static_cast<unsigned char>(words[j]))) ++j;
    if (j > i) {
      if (!out.empty()) out += ' ';
      out += '"';
      for (char ch : words.substr(i, j - i)) {
        if (ch == '"') out += '"';
        out += ch;
      }
      out += prefix ? "\"*" : "\"";
    }
    i = j;
  }
  return out;
}

std::string tsquery_text(std::string_view words, bool prefix) {
  std::string out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += " & ";
    out += '\'';
    out += word;
    out += prefix ? "':*" : "'";
    word.clear();
  };
  for (char ch : words) {
    const auto u = static_cast<unsigned char>(ch);
    if (u >= 0x80 || std::isalnum(u)) {
      word += ch;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

text_search_sql text_search(const database& db, std::string_view words, int param,
                            const text_search_options& options) {
  text_search_sql out;
  if (db.kind() == backend::postgresql) {
    // The generated column messages.search and its GIN index (schema/postgresql); accents are
    // folded on both sides, as FTS5's tokenizer folds them.
    const std::string query = fmt::format("to_tsquery('simple', pons_fold(?{}))", param);
    out.from = "messages m";
    out.where = fmt::format("m.search @@ {}", query);
    out.snippet = fmt::format(
        "ts_headline('simple', m.text || ' ' || m.media_caption || ' ' || m.media_filename, {}, "
        "'StartSel=[, StopSel=], MaxWords=12, MinWords=4, ShortWord=0, MaxFragments=1, "
        "FragmentDelimiter={}')",
        query, options.ellipsis);
    out.newest_first = "m.id DESC";
    out.best_first = fmt::format("ts_rank(m.search, {}) DESC, m.id DESC", query);
    out.value = tsquery_text(words, options.prefix);
    return out;
  }
  out.from = "messages_fts f JOIN messages m ON m.id = f.rowid";
  out.where = fmt::format("messages_fts MATCH ?{}", param);
  out.snippet = fmt::format("snippet(messages_fts, -1, '[', ']', '{}', 12)", options.ellipsis);
  // Ids follow created_at (the store assigns both in commit order), and FTS5 walks its matches
  // in rowid order without sorting them all: newest first stays cheap on big inboxes.
  out.newest_first = "f.rowid DESC";
  out.best_first = "f.rank, f.rowid DESC";
  out.value = fts5_query(words, options.prefix);
  return out;
}

}  // namespace pons::store
