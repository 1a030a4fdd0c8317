#pragma once
// One connection to the Pons database (RAII): a SQLite file, or a PostgreSQL server when the
// location is a postgresql:// URL. Its cached prepared statements and transactions. The SQL is
// written once, with SQLite's ?N parameters; where the engines differ the repositories ask
// kind(). <sqlite3.h> and <libpq-fe.h> stay out of this header.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pons/store/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace pons::store {

class database;
class pg_statement;
struct cached_statement;

/// The engine behind a connection.
enum class backend {
  /// One SQLite file (WAL mode): the default.
  sqlite,
  /// A PostgreSQL server, shared by several instances.
  postgresql,
};

/// A prepared statement borrowed from a connection's cache. Bind (1-based), step, read columns;
/// the destructor resets it and clears its bindings so the cache can hand it out again.
/// Must not outlive its database. Not copyable.
class statement {
 public:
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement();

  /// Binds an integer to parameter `index` (1-based).
  statement& bind(int index, std::int64_t value);
  /// Binds an int.
  statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  /// Binds a bool as 0/1.
  statement& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value)); }
  /// Binds a double.
  statement& bind(int index, double value);
  /// Binds text (copied by SQLite).
  statement& bind(int index, std::string_view value);
  /// Binds text (copied by SQLite).
  statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  /// Binds text (copied by SQLite).
  statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  /// Binds text without copying it: `value` must stay alive until the statement is reset (for
  /// large values such as payloads, bound and run in the same scope).
  statement& bind_static(int index, std::string_view value);
  /// Binds NULL.
  statement& bind_null(int index);
  /// Binds the value, or NULL when empty.
  template <class T>
  statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  /// Binds text, or NULL when the text is empty (for "unique when present" columns).
  statement& bind_text_or_null(int index, std::string_view value);
  /// Binds every argument in order starting at parameter 1.
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// Runs one step: true when a row is available, false when done.
  result<bool> step();
  /// Runs to completion (for INSERT/UPDATE/DELETE); returns the number of changed rows.
  result<int> run();
  /// A write whose outcome nobody reads before the commit: as run(), except that on PostgreSQL,
  /// inside a transaction while a write_deferral is alive, the statement is queued (libpq's
  /// pipeline mode) and travels with the next statement that waits for its answer, in the same
  /// round trip. Then the rows changed are not known (nullopt), and a failure is reported by
  /// that next statement or by the commit. A plain single-row INSERT's row is held back to go
  /// with the other rows of its table in one statement, before the statements queued after
  /// the first held row: queue one only where it needs nothing that a statement queued before
  /// it does (a parent that statement writes, a key it frees).
  result<std::optional<int>> run_later();
  /// Resets so the statement can run again with new bindings.
  void reset();

  /// Column accessors for the current row (0-based).
  std::int64_t column_int64(int col) const;
  int column_int(int col) const { return static_cast<int>(column_int64(col)); }
  double column_double(int col) const;
  std::string column_text(int col) const;
  /// The text of a column without copying it: valid until the statement steps, resets or
  /// reads that column as another type (SQLite's own buffer).
  std::string_view column_view(int col) const;
  bool column_is_null(int col) const;
  std::optional<std::int64_t> column_optional_int64(int col) const;

 private:
  friend class database;
  statement(database* db, sqlite3_stmt* stmt, cached_statement* slot) noexcept;
  statement(database* db, pg_statement* cached) noexcept;
  statement(database* db, std::unique_ptr<pg_statement> one_off) noexcept;
  void release() noexcept;
  database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  cached_statement* slot_ = nullptr;          // null for a one-off statement
  pg_statement* pg_ = nullptr;                // the PostgreSQL side, instead of stmt_
  std::unique_ptr<pg_statement> pg_one_off_;  // pg_ when it is not from the cache
};

/// How a connection is opened.
struct open_options {
  /// How long a writer waits for another process's lock before failing with store_errc::busy.
  int busy_timeout_ms = 5000;
  /// Upper bound on the WAL file kept after a checkpoint.
  std::int64_t journal_size_limit = 64 * 1024 * 1024;
  /// Apply embedded_migrations() on open.
  bool migrate = true;
  /// Page cache of this connection in KiB; 0 keeps SQLite's default (2 MiB). A busy writer
  /// wants its indexes' upper levels cached instead of re-reading them from the OS.
  std::int64_t cache_size_kib = 0;
};

/// One connection to the Pons database. Use from one thread at a time; each thread or process
/// opens its own. Moves, does not copy.
class database {
 public:
  /// A file path: creates the file (mode 0600) if needed, opens it, applies the pragmas
  /// (busy_timeout first, WAL, synchronous=FULL, foreign_keys=ON, journal_size_limit) and the
  /// migrations. A postgresql:// URL: connects (for at most busy_timeout, at least a second),
  /// names the schema's change channel and applies the PostgreSQL migrations under an advisory
  /// lock (the connection listens on the channel from its first data_version() or
  /// topic_version() on). Why a server could not be reached is in last_open_failure().
  static result<database> open(const std::string& path, const open_options& options = {});
  /// Why the last open() of a PostgreSQL URL on this thread failed (libpq's words, never the
  /// password); empty after a success.
  static std::string last_open_failure();

  database(database&& other) noexcept;
  database& operator=(database&& other) noexcept;
  database(const database&) = delete;
  database& operator=(const database&) = delete;
  ~database();

  /// Returns the cached prepared statement for `sql` (prepared once per connection). When the
  /// cached one is already in use (nested queries), a fresh uncached statement is returned.
  result<statement> prepare(std::string_view sql);
  /// Runs one or more SQL statements without caching (schema, pragmas, BEGIN/COMMIT).
  result<void> exec(std::string_view sql);
  /// Runs a query returning a single integer (e.g. a PRAGMA).
  result<std::int64_t> query_int64(std::string_view sql);

  /// Sets how long a write waits for another connection's lock (e.g. shorter for a health probe).
  void set_busy_timeout(int ms);
  /// The busy timeout in force, in milliseconds.
  int busy_timeout() const;

  /// The engine behind this connection.
  backend kind() const;
  /// Lets this connection's commits wait for the disk: a power cut may lose the last ones, a
  /// crash of the process does not (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit
  /// off). For writes that are redone anyway, such as a session's last use.
  result<void> relax_durability();
  /// Ends a SELECT that picks rows to claim (a lease): on PostgreSQL " FOR UPDATE OF <table>
  /// SKIP LOCKED", so rows another instance is claiming right now are passed over and the picked
  /// ones stay locked until this transaction ends; empty on SQLite, whose write transaction
  /// already keeps every other writer out.
  std::string claim_clause(std::string_view table) const;
  /// Rowid of the last successful INSERT on this connection (SQLite only: use RETURNING id).
  std::int64_t last_insert_rowid() const;
  /// Rows changed by the last statement.
  int changes() const;
  /// SQLite's message for the last failure on this connection (empty when none).
  const std::string& last_error_message() const;
  /// The schema version applied (SQLite: PRAGMA user_version).
  result<int> schema_version();
  /// Records the schema version, inside the migration's transaction.
  result<void> set_schema_version(int version);
  /// Waits until no other process migrates this database, for the rest of the transaction
  /// (PostgreSQL: an advisory lock; SQLite's BEGIN IMMEDIATE already excludes them).
  result<void> lock_for_migration();
  /// Changes when another connection commits (cheap change detection: SQLite's PRAGMA
  /// data_version; on PostgreSQL, the count of other connections' notifications on this
  /// schema's channel since the connection's first call (which starts listening), after a round
  /// trip that lets every commit made so far arrive; inside a transaction, those that arrived
  /// before it began. A first call inside a transaction listens only from its commit on, so
  /// that commit itself counts as a change: what others committed meanwhile went unheard).
  result<std::int64_t> data_version();
  /// Changes when another connection commits a change announced under `topic`: on PostgreSQL,
  /// the count of other connections' notifications on the schema's channel whose payload is
  /// `topic` (the schema's triggers send them), read as data_version reads its count; on
  /// SQLite, which has no such announcements, data_version itself (any commit).
  result<std::int64_t> topic_version(std::string_view topic);
  /// True while a transaction is open on this connection.
  bool in_transaction() const;
  /// True when a statement failed inside the open transaction and only a rollback is left
  /// (PostgreSQL aborts the transaction; SQLite keeps it usable, so never there).
  bool failed_transaction() const;
  /// The file this connection opened, or the URL it connected to.
  const std::string& path() const;

  /// The raw SQLite handle, for store internals only (null on PostgreSQL).
  sqlite3* native_handle() const;

 private:
  friend class statement;
  friend class transaction;
  friend class write_deferral;
  struct impl;
  explicit database(std::unique_ptr<impl> p);
  static result<database> open_postgresql(const std::string& url, const open_options& options);
  boost::system::error_code fail(int rc, std::string_view what);
  boost::system::error_code fail_pg(boost::system::error_code ec, std::string_view what);
  result<void> restore_pg_session();
  result<void> take_pg_notifications();
  void settle_listen(bool committed) noexcept;
  // PostgreSQL: other connections learn of a change from a notification on the schema's
  // channel, one per writing transaction (sent with its COMMIT) or per write outside one.
  void note_write();
  result<void> commit_transaction();
  void rollback_transaction() noexcept;
  void release(sqlite3_stmt* stmt, cached_statement* slot) noexcept;
  std::unique_ptr<impl> impl_;
};

/// While alive, statement::run_later queues its writes on PostgreSQL (inside a transaction), so
/// that a run of writes costs no round trip of its own. For a transaction whose failure is
/// handled as a whole: a queued write's error shows up at a later statement. Nests.
class write_deferral {
 public:
  explicit write_deferral(database& db) noexcept;
  write_deferral(const write_deferral&) = delete;
  write_deferral& operator=(const write_deferral&) = delete;
  ~write_deferral();

 private:
  database* db_;
  bool before_;
};

/// How a transaction takes its lock.
enum class transaction_mode {
  /// Reader: takes the lock lazily (do not write in it: may fail with BUSY_SNAPSHOT).
  deferred,
  /// Writer: takes the write lock at BEGIN, waiting up to busy_timeout.
  immediate,
};

/// RAII transaction: BEGIN (IMMEDIATE by default) on construction, ROLLBACK in the destructor
/// unless commit() succeeded.
class transaction {
 public:
  /// Begins a transaction on `db`.
  static result<transaction> begin(database& db,
                                   transaction_mode mode = transaction_mode::immediate);

  transaction(transaction&& other) noexcept;
  transaction& operator=(transaction&&) = delete;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction();

  /// Commits; after a failure the transaction is rolled back by the destructor.
  result<void> commit();
  /// Rolls back now.
  void rollback() noexcept;

 private:
  explicit transaction(database& db) noexcept : db_(&db) {}
  database* db_ = nullptr;
  bool open_ = false;
};

}  // namespace pons::store
