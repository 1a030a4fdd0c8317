#pragma once
// One connection to a PostgreSQL server (RAII over libpq), for the PostgreSQL backend of the
// store. <libpq-fe.h> stays out of this header. Queries take SQLite-style numbered parameters
// (?1, ?2...) so the store's SQL is written once; values travel as text.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/pg_row_batch.hpp"

struct pg_conn;
struct pg_result;

namespace pons::store {

/// A query parameter: text, or NULL.
using pg_param = std::optional<std::string>;

/// What a statement returned: column names and rows as text (NULL as nullopt), and the rows an
/// INSERT, UPDATE or DELETE changed.
struct pg_rows {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  int affected = 0;
};

/// One statement's result, held as libpq returned it (RAII): every row arrives at once, and the
/// values are text. Moves, does not copy.
class pg_rowset {
 public:
  pg_rowset() = default;
  explicit pg_rowset(::pg_result* res) noexcept : res_(res) {}
  pg_rowset(pg_rowset&& other) noexcept;
  pg_rowset& operator=(pg_rowset&& other) noexcept;
  pg_rowset(const pg_rowset&) = delete;
  pg_rowset& operator=(const pg_rowset&) = delete;
  ~pg_rowset();

  /// Rows returned (0 for a statement that returns none).
  int rows() const;
  /// Rows an INSERT, UPDATE or DELETE changed (also with RETURNING).
  int affected() const;
  bool is_null(int row, int col) const;
  /// The value as text, valid while this object lives.
  std::string_view value(int row, int col) const;
  /// libpq's handle, for the connection that made it.
  const ::pg_result* native() const { return res_; }

 private:
  ::pg_result* res_ = nullptr;
};

/// The connection string with every secret (password, sslpassword) written as "****", in
/// libpq's keyword form: what logs, errors and /health may show. An unparseable string is shown
/// only as "(unparseable connection string)".
std::string redacted_conninfo(std::string_view conninfo);

/// One connection. Use from one thread at a time. Moves, does not copy.
class pg_connection {
 public:
  /// Connects (a URI or libpq's keyword form; at most `connect_timeout_s` seconds). On failure,
  /// `why` (when given) receives libpq's reason, which never holds the password.
  static result<pg_connection> open(const std::string& conninfo, int connect_timeout_s = 10,
                                    std::string* why = nullptr);

  pg_connection(pg_connection&& other) noexcept;
  pg_connection& operator=(pg_connection&& other) noexcept;
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;
  ~pg_connection();

  /// Runs one statement with `params` bound to ?1, ?2... in order.
  result<pg_rows> query(std::string_view sql, const std::vector<pg_param>& params = {});
  /// Runs one or more statements without parameters (schema, BEGIN/COMMIT).
  result<void> exec(std::string_view sql);

  /// Prepares `sql` ($N parameters, types inferred by the server) under `name`, for
  /// run_prepared on this connection.
  result<void> prepare(const std::string& name, std::string_view sql);
  /// Runs the statement prepared as `name` with `values` (NULL pointers are SQL NULL).
  result<pg_rowset> run_prepared(const std::string& name, const std::vector<const char*>& values);
  /// Runs `sql` ($N parameters) once with `values`, without keeping it prepared.
  result<pg_rowset> run_once(std::string_view sql, const std::vector<const char*>& values);

  /// Queues the statement prepared as `name` in
  /// libpq's pipeline mode, without waiting for the server: it travels with the next statement
  /// that does wait (run_prepared, run_once, exec, finish_deferred), in the same round trip,
  /// and its error, if any, becomes that one's. For writes whose result nobody reads. The
  /// values are copied.
  result<void> defer_prepared(const std::string& name, const std::vector<const char*>& values);
  /// Queues `sql` (one statement, no parameters) as defer_prepared does.
  result<void> defer_once(const std::string& sql);
  /// Holds one row of the plain single-row INSERT prepared as `name` (shaped `shape`, see
  /// pg_insert_shape_of) until the next statement that waits, which first sends the rows held,
  /// table by table as multi-row INSERTs (parents before the tables that refer to them), and
  /// then what defer_prepared queued after the first of them. A row so runs after every
  /// statement queued before the first held row, and before every statement queued after it,
  /// also one queued before the row itself: only for rows that need nothing such a statement
  /// does (see pg_row_batch). For writes whose result nobody reads, as defer_prepared.
  void defer_row(const std::string& name, const pg_insert_shape& shape, pg_values values);
  /// Drops the rows and statements held (the transaction rolls back).
  void drop_held() { held_.clear(); }
  /// Statements queued by defer_prepared (or held by defer_row) whose results have not been
  /// read yet.
  std::size_t deferred() const { return deferred_ + held_.size(); }
  /// Sends what is queued and reads its results: the first failure among them, if any.
  result<void> finish_deferred();

  /// Reads what the server sent unasked and returns the payloads of the notifications (LISTEN)
  /// among it that other connections sent, one per notification.
  std::vector<std::string> take_notifications();
  /// True inside a transaction block (also a failed one awaiting ROLLBACK).
  bool in_transaction() const;
  /// True inside a transaction block a failed statement aborted.
  bool transaction_failed() const;
  /// True when the connection to the server is lost (a restart, a network cut).
  bool broken() const;
  /// Connects again with the same parameters; true when the server answers. Whatever the old
  /// session held (prepared statements, LISTEN, settings) is gone.
  bool reconnect();

  /// The server's message for the last failure, with its SQLSTATE; never the connection string.
  const std::string& last_error_message() const { return last_error_; }
  /// Where this connection goes, without secrets (see redacted_conninfo).
  const std::string& description() const { return description_; }

 private:
  pg_connection(pg_conn* conn, std::string description) noexcept
      : conn_(conn), description_(std::move(description)) {}
  boost::system::error_code fail_from_result(const void* res);
  result<pg_rowset> checked(pg_rowset res);
  // Ends pipeline mode: sends the sync, reads the queued results and then `last` (a statement
  // already sent after them, when one was), and leaves pipeline mode.
  result<pg_rowset> collect_pipeline(bool last);
  // A statement that waits, sent after queued ones (`sent`: libpq's answer to sending it): its
  // result, read with theirs.
  result<pg_rowset> after_queued(int sent);
  // Queues `values` for the statement prepared as `name` in the pipeline now.
  result<void> send_deferred(const std::string& name, const std::vector<const char*>& values);
  // Sends the rows and statements held (defer_row), before anything that waits.
  result<void> send_held();
  // Which tables refer to which (foreign keys), asked once per connection.
  result<void> load_table_depths();
  pg_conn* conn_ = nullptr;
  pg_row_batch held_;
  std::optional<std::map<std::string, int, std::less<>>> table_depths_;
  bool sending_held_ = false;
  std::size_t deferred_ = 0;  // results queued in pipeline mode, not read yet
  std::string description_;
  std::string last_error_;
};

}  // namespace pons::store
