#pragma once
// The PostgreSQL side of store::statement: parameters collected as text, the statement run on
// the first step (prepared on the server once per connection), and its rows read from the
// result. Internal to the store; store::statement is the interface.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/pg_connection.hpp"
#include "pons/store/pg_dialect.hpp"

namespace pons::store {

class pg_statement {
 public:
  /// `sql` as the store writes it (?N parameters); `name` empty: run as a one-off (not prepared
  /// on the server).
  pg_statement(pg_connection* conn, std::string name, std::string_view sql)
      : conn_(conn),
        name_(std::move(name)),
        sql_(sql),
        pg_(to_pg_sql(sql)),
        row_shape_(pg_insert_shape_of(pg_.text, pg_.parameters)),
        may_write_(pg_may_write(sql)) {}

  /// Sets parameter ?`index`; nullopt is NULL. A parameter the SQL does not use is ignored (as
  /// SQLite would refuse it, the store never binds one). A new binding after a run starts over.
  /// A NUL in the value is sent as U+FFFD: PostgreSQL's text cannot hold one.
  void bind(int index, std::optional<std::string> value);
  /// Runs the statement if it has not run yet, then moves to the next row: true while one is
  /// there.
  result<bool> step();
  /// Runs the statement to completion; the rows it changed.
  result<int> run();
  /// Queues the statement to run with the connection's next waiting statement (see
  /// pg_connection::defer_prepared; a plain single-row INSERT, pg_connection::defer_row); a
  /// one-off runs at once.
  result<void> run_deferred();
  /// Forgets the result and the bindings.
  void reset();
  /// The server forgot the statement (a new session): prepare it again before the next run.
  void forget_prepared() { prepared_ = false; }

  std::int64_t column_int64(int col) const;
  double column_double(int col) const;
  std::string_view column_view(int col) const;
  bool column_is_null(int col) const;

  const std::string& sql() const { return sql_; }
  /// Whether running it may change a table (see pg_may_write).
  bool may_write() const { return may_write_; }
  /// How many times it has run on the server: a step that runs it counts one more.
  std::uint64_t runs() const { return runs_; }
  /// Whether a store::statement holds it now (cached statements are handed out one at a time).
  bool in_use = false;

 private:
  result<void> execute();
  std::vector<const char*> bound_values();  // valid until the next bind
  result<void> ensure_prepared();
  pg_connection* conn_;
  std::string name_;
  std::string sql_;
  pg_sql pg_;
  std::optional<pg_insert_shape> row_shape_;  // set for a plain single-row INSERT
  bool may_write_ = true;
  std::uint64_t runs_ = 0;
  bool prepared_ = false;
  std::vector<std::optional<std::string>> params_;
  std::optional<pg_rowset> rows_;
  int row_ = -1;
};

}  // namespace pons::store
