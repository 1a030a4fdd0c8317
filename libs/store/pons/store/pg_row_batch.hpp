#pragma once
// Rows of plain single-row INSERTs queued in pipeline mode, written as multi-row INSERTs: the
// server pays its per-statement cost (a bind, an executor start, a snapshot) once per table
// instead of once per row. Internal to the store; pg_connection holds one.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pons/store/error.hpp"

namespace pons::store {

/// What a multi-row form of an INSERT needs: the INSERT ... VALUES before its one row, the row
/// with its $k parameters, and what follows the row.
struct pg_insert_shape {
  std::string table;  // as written after INSERT INTO
  std::string head;   // "INSERT INTO t(a, b) VALUES "
  std::string row;    // "($1, $2)"
  std::string tail;   // "" or " ON CONFLICT(a) DO NOTHING"
  int parameters = 0;
};

/// The shape of `pg_text` ($k parameters, `parameters` of them) when it is a plain single-row
/// INSERT INTO t(...) VALUES (...), with nothing after the row but an ON CONFLICT ... DO
/// NOTHING (no RETURNING, no DO UPDATE, no SELECT anywhere in the row); nullopt for any other
/// statement.
std::optional<pg_insert_shape> pg_insert_shape_of(std::string_view pg_text, int parameters);

/// The INSERT of `rows` rows of `shape`, the parameters of row n (from 0) numbered after those
/// of the rows before it.
std::string pg_multi_row_sql(const pg_insert_shape& shape, int rows);

/// The row counts a batch of `rows` rows is written in: powers of two up to max_rows_per_insert,
/// largest first, so that each table needs few prepared statements.
std::vector<int> pg_row_chunks(std::size_t rows);
/// The most rows one multi-row INSERT takes.
inline constexpr int max_rows_per_insert = 64;

/// How deep each table sits under the foreign keys between tables: 0 for a table that refers
/// to none, else one more than the deepest table it refers to. Rows written in that order never
/// refer to a row written after them. `references` holds (table, table it refers to) pairs; a
/// table referring to itself is left out, and a cycle ends after as many rounds as there are
/// tables.
std::map<std::string, int, std::less<>> pg_table_depths(
    const std::vector<std::pair<std::string, std::string>>& references);

/// A queued parameter list: each value owned, as the statement's own are reused.
using pg_values = std::vector<std::optional<std::string>>;

/// Rows held back until the connection's next statement that waits, and the queued statements
/// that came after the first of them (which must still run after those rows: an UPDATE of a
/// row just inserted). Every held row goes before every held statement, so a row queued after
/// a statement runs before it: a row may not need what a statement queued before it does (a
/// parent it upserts, a key it frees).
class pg_row_batch {
 public:
  /// Sends one queued statement (prepared as `name`) in the pipeline; `values` (NULL pointers
  /// are SQL NULL) need to last only for the call.
  using send_fn =
      std::function<result<void>(const std::string& name, const std::vector<const char*>& values)>;
  /// Prepares `sql` as `name` on the server.
  using prepare_fn = std::function<result<void>(const std::string& name, const std::string& sql)>;
  /// Sends `sql` (one statement, no parameters) in the pipeline.
  using send_plain_fn = std::function<result<void>(const std::string& sql)>;

  /// True when nothing is held.
  bool empty() const { return rows_ == 0 && later_.empty(); }
  /// Rows and statements held.
  std::size_t size() const { return rows_ + later_.size(); }

  /// Holds one row of the INSERT prepared as `name` (shaped `shape`).
  void add_row(const std::string& name, const pg_insert_shape& shape, pg_values values);
  /// Holds a statement queued while rows are held, to be sent after them.
  void add_later(const std::string& name, pg_values values);

  /// Sends every held row, table by table in `depths` order (a table it does not name counts
  /// as 0; ties keep the order tables were first queued in), then the held statements in the
  /// order they came. The multi-row statements are prepared the first time (`prepare`), and
  /// run with the server's generic plan from the first time (`send_plain` sets that around
  /// them): the plan of an INSERT of parameters is the same whatever their values, and planning
  /// one of many rows for each of its first runs, as the server otherwise does, costs
  /// milliseconds. Empty afterwards, also on failure.
  result<void> send(const std::map<std::string, int, std::less<>>& depths, const send_fn& send,
                    const prepare_fn& prepare, const send_plain_fn& send_plain);
  /// Forgets what is held.
  void clear();
  /// The server forgot every prepared statement (a new session).
  void forget_prepared() { prepared_.clear(); }

 private:
  struct table_rows {
    pg_insert_shape shape;
    std::uint64_t first = 0;  // when its first row came, for ties in depth
    std::vector<pg_values> rows;
  };
  std::unordered_map<std::string, table_rows> tables_;  // by statement name
  std::vector<std::pair<std::string, pg_values>> later_;
  std::set<std::string, std::less<>> prepared_;  // multi-row statements prepared this session
  std::size_t rows_ = 0;
  std::uint64_t arrivals_ = 0;
};

}  // namespace pons::store
