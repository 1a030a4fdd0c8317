#include "pons/store/database.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "pons/store/migrator.hpp"
#include "pons/store/pg_connection.hpp"
#include "pons/store/pg_dialect.hpp"
#include "pons/store/pg_statement.hpp"

namespace pons::store {

namespace {

class store_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.store"; }
  std::string message(int ev) const override {
    switch (static_cast<store_errc>(ev)) {
      case store_errc::busy:
        return "the database is locked by another writer; retry shortly";
      case store_errc::open_failed:
        return "the database file could not be created or opened; check the path and permissions";
      case store_errc::constraint:
        return "a database constraint refused the write";
      case store_errc::corrupt:
        return "the database file is damaged or is not a database";
      case store_errc::full:
        return "the disk holding the database is full";
      case store_errc::io:
        return "an I/O error occurred while accessing the database";
      case store_errc::read_only:
        return "the database is read-only for this process; check file permissions";
      case store_errc::not_found:
        return "no such row";
      case store_errc::schema_too_new:
        return "the database was created by a newer Pons; upgrade this binary";
      case store_errc::migration_failed:
        return "a schema migration failed and was rolled back";
      case store_errc::invalid_argument:
        return "invalid argument to a storage operation";
      case store_errc::sqlite_error:
        return "SQLite reported an error";
      case store_errc::unavailable:
        return "the PostgreSQL server could not be reached; check that it runs and the "
               "connection string";
      case store_errc::server_error:
        return "PostgreSQL reported an error";
    }
    return "unknown storage error";
  }
};

const store_category_impl category_instance;

store_errc map_sqlite(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return store_errc::busy;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return store_errc::open_failed;
    case SQLITE_CONSTRAINT:
      return store_errc::constraint;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return store_errc::corrupt;
    case SQLITE_FULL:
      return store_errc::full;
    case SQLITE_IOERR:
      return store_errc::io;
    case SQLITE_READONLY:
      return store_errc::read_only;
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
      return store_errc::invalid_argument;
    default:
      return store_errc::sqlite_error;
  }
}

}  // namespace

const boost::system::error_category& store_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(store_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

bool is_retryable(const boost::system::error_code& ec) noexcept {
  return ec == store_errc::busy;
}

// --- database ---------------------------------------------------------------------------------

struct cached_statement {  // declared in the header
  sqlite3_stmt* stmt = nullptr;
  bool in_use = false;
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

struct database::impl {
  sqlite3* db = nullptr;
  // Set instead of `db` for a PostgreSQL server; its statements are cached by SQL text too.
  std::optional<pg_connection> pg;
  std::unordered_map<std::string, std::unique_ptr<pg_statement>, string_hash, std::equal_to<>>
      pg_cache;
  int pg_changes = 0;
  std::int64_t pg_notifications = 0;
  // Of those, the ones whose payload named a topic, by topic.
  std::map<std::string, std::int64_t, std::less<>> pg_topics;
  bool pg_restoring = false;  // a new session is being set up: no second reconnect inside it
  std::string pg_channel;     // quoted: what LISTEN and NOTIFY name
  // LISTEN is sent at the first data_version() or topic_version(), not at open: a connection
  // that listens and never reads would make the server queue every notification for it (and
  // libpq keep them), so only the connections that watch for changes listen.
  bool pg_listening = false;
  // The LISTEN was sent in the open transaction: void if it rolls back.
  bool pg_listen_in_tx = false;
  // Commits this connection could not hear of: a LISTEN sent in a transaction holds only from
  // its commit, so what others committed meanwhile went unheard. Counted in every version, once
  // per such commit, so that a caller sees a change rather than miss one.
  std::int64_t pg_unheard = 0;
  bool pg_wrote = false;  // the open transaction may have changed a table
  bool pg_defer = false;  // run_later queues (a write_deferral is alive)
  std::string path;
  std::string last_error;
  int busy_timeout_ms = 0;
  // Keyed by SQL text: callers pass string literals, so the key set stays small and fixed.
  std::unordered_map<std::string, cached_statement, string_hash, std::equal_to<>> cache;

  ~impl() {
    for (auto& [sql, c] : cache) sqlite3_finalize(c.stmt);
    cache.clear();
    if (db) sqlite3_close_v2(db);
  }
};

namespace {
// Per thread, so that concurrent opens do not mix their reasons up.
thread_local std::string last_open_failure_text;
}  // namespace

std::string database::last_open_failure() {
  return last_open_failure_text;
}

database::database(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
database::database(database&& other) noexcept = default;
database& database::operator=(database&& other) noexcept = default;
database::~database() = default;

boost::system::error_code database::fail(int rc, std::string_view what) {
  const char* msg = impl_->db ? sqlite3_errmsg(impl_->db) : sqlite3_errstr(rc);
  impl_->last_error = fmt::format("{}: {} (sqlite code {})", what, msg ? msg : "", rc);
  return make_error_code(map_sqlite(rc));
}

result<database> database::open(const std::string& path, const open_options& options) {
  if (is_postgresql_url(path)) return open_postgresql(path, options);
  // SQLite counts every allocation under one process-wide mutex unless told not to, and nothing
  // here reads those counters. Only possible before SQLite initialises; later calls are no-ops.
  static std::once_flag configured;
  std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  auto p = std::make_unique<impl>();
  p->path = path;

  // Create the file ourselves so it is born 0600: SQLite would use 0644 (minus umask). SQLite
  // creates the -wal and -shm files with the same permission bits as the database file.
  // Only when it does not exist yet: closing any descriptor of a file drops every POSIX lock this
  // process holds on it, including the SHARED lock of another open connection (e.g. another
  // thread's), after which a third process may checkpoint and delete the WAL under its feet.
  struct stat existing {};
  if (path != ":memory:" && ::stat(path.c_str(), &existing) != 0) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) return store_errc::open_failed;
    if (fd >= 0) ::close(fd);
  }

  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &p->db, flags, nullptr);
  database db(std::move(p));
  if (rc != SQLITE_OK) {
    db.fail(rc, "open");
    return store_errc::open_failed;
  }
  sqlite3_extended_result_codes(db.impl_->db, 1);

  // busy_timeout first: every later pragma may need a lock another process holds.
  db.set_busy_timeout(options.busy_timeout_ms);

  // Switching a fresh file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once
  // (without calling the busy handler) while another process is doing the same: retry until
  // busy_timeout has passed, as the handler would have.
  auto mode = db.exec("PRAGMA journal_mode=WAL");
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
  while (!mode && mode.error() == store_errc::busy && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    mode = db.exec("PRAGMA journal_mode=WAL");
  }
  if (!mode) return mode.error();
  const std::string pragmas =
      fmt::format("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA journal_size_limit={};",
                  options.journal_size_limit);
  if (auto r = db.exec(pragmas); !r) return r.error();
  if (options.cache_size_kib > 0) {
    if (auto r = db.exec(fmt::format("PRAGMA cache_size=-{}", options.cache_size_kib)); !r)
      return r.error();
  }

  if (options.migrate) {
    auto before = db.schema_version();
    if (!before) return before.error();
    auto after = apply_migrations(db, embedded_migrations());
    if (!after) return after.error();
    // A migration may edit table definitions in place (schema/0006): this connection keeps the
    // schema it parsed before, so open a fresh one that reads the new definitions.
    if (*after != *before) {
      open_options again = options;
      again.migrate = false;
      return open(path, again);
    }
  }
  return db;
}

boost::system::error_code database::fail_pg(boost::system::error_code ec, std::string_view what) {
  impl_->last_error = fmt::format("{}: {}", what, impl_->pg->last_error_message());
  // A lost connection fails this call; the next one runs on a new session when the server is
  // back (its statements prepared again, its settings and LISTEN restored), so a restarted
  // server needs no restarted Pons.
  const bool lost = impl_->pg->broken() || ec == store_errc::unavailable;
  if (!impl_->pg_restoring && lost && impl_->pg->reconnect()) {
    impl_->pg_restoring = true;
    for (auto& [sql, st] : impl_->pg_cache) st->forget_prepared();
    (void)restore_pg_session();
    impl_->pg_restoring = false;
  }
  return ec;
}

result<void> database::restore_pg_session() {
  // Notices (e.g. "relation already exists, skipping") would go to stderr through libpq.
  if (auto r = exec("SET client_min_messages = warning"); !r) return r.error();
  // Every connection to the schema announces its changes there (note_write); the name keeps
  // deployments that share a database in schemas of their own from waking each other.
  std::string channel;
  {
    auto schema = prepare("SELECT quote_ident('pons_changes:' || current_schema())");
    if (!schema) return schema.error();
    auto named = schema->step();
    if (!named) return named.error();
    channel = schema->column_text(0);
  }
  impl_->pg_channel = std::move(channel);
  impl_->pg_listen_in_tx = false;
  if (impl_->pg_listening) {
    if (auto r = exec("LISTEN " + impl_->pg_channel); !r) return r.error();
  }
  set_busy_timeout(impl_->busy_timeout_ms);
  return {};
}

result<database> database::open_postgresql(const std::string& url, const open_options& options) {
  last_open_failure_text.clear();
  auto p = std::make_unique<impl>();
  p->path = url;
  const int timeout_s = std::max(1, options.busy_timeout_ms / 1000);
  auto conn = pg_connection::open(url, timeout_s, &last_open_failure_text);
  if (!conn) return conn.error();
  p->pg.emplace(std::move(*conn));
  database db(std::move(p));
  db.impl_->busy_timeout_ms = options.busy_timeout_ms;
  if (auto r = db.restore_pg_session(); !r) return r.error();
  if (options.migrate) {
    auto after = apply_migrations(db, embedded_pg_migrations());
    if (!after) return after.error();
  }
  return db;
}

result<statement> database::prepare(std::string_view sql) {
  if (impl_->pg) {
    auto it = impl_->pg_cache.find(sql);
    if (it != impl_->pg_cache.end() && !it->second->in_use) {
      it->second->in_use = true;
      return statement(this, it->second.get());
    }
    if (it != impl_->pg_cache.end()) {  // nested use: a one-off, run without preparing
      return statement(this, std::make_unique<pg_statement>(&*impl_->pg, "", sql));
    }
    auto fresh = std::make_unique<pg_statement>(
        &*impl_->pg, fmt::format("pons_{}", impl_->pg_cache.size() + 1), sql);
    fresh->in_use = true;
    auto* raw = fresh.get();
    impl_->pg_cache.emplace(std::string(sql), std::move(fresh));
    return statement(this, raw);
  }
  auto it = impl_->cache.find(sql);
  if (it != impl_->cache.end() && !it->second.in_use) {
    it->second.in_use = true;
    return statement(this, it->second.stmt, &it->second);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(impl_->db, sql.data(), static_cast<int>(sql.size()),
                         it == impl_->cache.end() ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
  if (rc != SQLITE_OK) return fail(rc, fmt::format("prepare [{}]", sql.substr(0, 80)));
  if (it != impl_->cache.end()) return statement(this, stmt, nullptr);  // nested use: one-off
  auto [slot, inserted] = impl_->cache.emplace(std::string(sql), cached_statement{stmt, true});
  return statement(this, stmt, &slot->second);
}

void database::release(sqlite3_stmt* stmt, cached_statement* slot) noexcept {
  if (slot == nullptr) {
    sqlite3_finalize(stmt);
    return;
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  slot->in_use = false;
}

result<void> database::exec(std::string_view sql) {
  if (impl_->pg) {
    auto r = impl_->pg->exec(sql);
    if (!r) return fail_pg(r.error(), fmt::format("exec [{}]", sql.substr(0, 80)));
    if (pg_may_write(sql)) note_write();
    return {};
  }
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(impl_->db, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    impl_->last_error = fmt::format("exec [{}]: {} (sqlite code {})", text.substr(0, 80),
                                    err ? err : sqlite3_errstr(rc), rc);
    sqlite3_free(err);
    return make_error_code(map_sqlite(rc));
  }
  return {};
}

result<std::int64_t> database::query_int64(std::string_view sql) {
  auto st = prepare(sql);
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return store_errc::not_found;
  return st->column_int64(0);
}

void database::set_busy_timeout(int ms) {
  impl_->busy_timeout_ms = ms;
  if (impl_->pg) {
    // A lock held past this fails with 55P03, which the store reports as busy.
    (void)exec(fmt::format("SET lock_timeout = {}", ms));
    return;
  }
  sqlite3_busy_timeout(impl_->db, ms);
}

int database::busy_timeout() const {
  return impl_->busy_timeout_ms;
}

backend database::kind() const {
  return impl_->pg ? backend::postgresql : backend::sqlite;
}

result<void> database::relax_durability() {
  return exec(impl_->pg ? "SET synchronous_commit = off" : "PRAGMA synchronous=NORMAL");
}

std::string database::claim_clause(std::string_view table) const {
  if (!impl_->pg) return {};
  std::string clause = " FOR UPDATE OF ";
  clause.append(table).append(" SKIP LOCKED");
  return clause;
}

std::int64_t database::last_insert_rowid() const {
  return impl_->pg ? 0 : sqlite3_last_insert_rowid(impl_->db);
}
int database::changes() const {
  return impl_->pg ? impl_->pg_changes : sqlite3_changes(impl_->db);
}
const std::string& database::last_error_message() const {
  return impl_->last_error;
}
bool database::in_transaction() const {
  if (impl_->pg) return impl_->pg->in_transaction();
  return sqlite3_get_autocommit(impl_->db) == 0;
}
bool database::failed_transaction() const {
  return impl_->pg && impl_->pg->transaction_failed();
}
const std::string& database::path() const {
  return impl_->path;
}
sqlite3* database::native_handle() const {
  return impl_->db;
}

result<int> database::schema_version() {
  if (impl_->pg) {
    auto exists = query_int64("SELECT to_regclass('pons_schema_version') IS NOT NULL");
    if (!exists) return exists.error();
    if (*exists == 0) return 0;
  }
  auto v = query_int64(impl_->pg ? "SELECT max(version) FROM pons_schema_version"
                                 : "PRAGMA user_version");
  if (!v) return v.error();
  return static_cast<int>(*v);
}

result<void> database::set_schema_version(int version) {
  // Neither takes a bound parameter here; the version is an int we control.
  if (!impl_->pg) return exec(fmt::format("PRAGMA user_version = {}", version));
  return exec(
      fmt::format("CREATE TABLE IF NOT EXISTS pons_schema_version (version BIGINT NOT NULL); "
                  "DELETE FROM pons_schema_version; INSERT INTO pons_schema_version VALUES ({})",
                  version));
}

result<void> database::lock_for_migration() {
  if (!impl_->pg) return {};
  // Held until the transaction ends: instances starting together migrate one after another.
  return exec("SELECT pg_advisory_xact_lock(hashtext('pons.migrations'))");
}

result<void> database::take_pg_notifications() {
  if (!impl_->pg_listening) {
    // From now on: what was committed before is the baseline the first count stands for.
    if (auto r = exec("LISTEN " + impl_->pg_channel); !r) return r.error();
    impl_->pg_listening = true;
    impl_->pg_listen_in_tx = in_transaction();
  }
  // A round trip first: a commit that returned to its writer has signalled this connection's
  // server process, which sends the notification before it answers. Without it, a commit just
  // made elsewhere could still be on its way. Inside a transaction the server holds
  // notifications back until it ends, so there a round trip would bring nothing: what BEGIN's
  // answer brought is all there is.
  if (!in_transaction()) {
    if (auto r = exec("SELECT 1"); !r) return r.error();
  }
  for (auto& payload : impl_->pg->take_notifications()) {
    ++impl_->pg_notifications;
    if (payload.empty()) continue;
    auto it = impl_->pg_topics.find(payload);
    if (it == impl_->pg_topics.end()) it = impl_->pg_topics.emplace(std::move(payload), 0).first;
    ++it->second;
  }
  return {};
}

result<std::int64_t> database::data_version() {
  if (impl_->pg) {
    if (auto r = take_pg_notifications(); !r) return r.error();
    return impl_->pg_notifications + impl_->pg_unheard;
  }
  return query_int64("PRAGMA data_version");
}

result<std::int64_t> database::topic_version(std::string_view topic) {
  if (!impl_->pg) return data_version();
  if (auto r = take_pg_notifications(); !r) return r.error();
  auto it = impl_->pg_topics.find(topic);
  return (it == impl_->pg_topics.end() ? std::int64_t{0} : it->second) + impl_->pg_unheard;
}

void database::note_write() {
  if (!impl_->pg || impl_->pg_channel.empty()) return;
  if (impl_->pg->in_transaction()) {
    impl_->pg_wrote = true;
    return;
  }
  // Already committed: a failed announcement cannot undo the write, and the caller must not
  // read it as failed. Readers that miss it catch up at the next change.
  (void)impl_->pg->exec("NOTIFY " + impl_->pg_channel);
}

result<void> database::commit_transaction() {
  if (impl_->pg && impl_->pg->deferred() > 0) {
    // Queued writes, the announcement and the COMMIT in one round trip.
    const bool wrote = std::exchange(impl_->pg_wrote, false);
    if (wrote) {
      if (auto r = impl_->pg->defer_once("NOTIFY " + impl_->pg_channel); !r) {
        return fail_pg(r.error(), "exec [NOTIFY]");
      }
    }
    auto r = impl_->pg->run_once("COMMIT", {});
    if (!r) return fail_pg(r.error(), "exec [COMMIT]");
    return {};
  }
  if (!impl_->pg || !impl_->pg_wrote) return exec("COMMIT");
  // In the same round trip as the COMMIT; the server delivers it only if the commit succeeds,
  // and folds it with any others of the transaction.
  impl_->pg_wrote = false;
  return exec("NOTIFY " + impl_->pg_channel + "; COMMIT");
}

void database::settle_listen(bool committed) noexcept {
  if (!impl_->pg || !std::exchange(impl_->pg_listen_in_tx, false)) return;
  // A LISTEN takes effect at its transaction's commit; rolled back, it never happened.
  if (committed) {
    ++impl_->pg_unheard;
  } else {
    impl_->pg_listening = false;
  }
}

void database::rollback_transaction() noexcept {
  impl_->pg_wrote = false;
  settle_listen(false);
  // Whatever was queued is rolled back with the rest; its failure, if any, no longer matters,
  // and what was held back need not be sent at all.
  if (impl_->pg) {
    impl_->pg->drop_held();
    (void)impl_->pg->finish_deferred();
  }
  if (in_transaction()) (void)exec("ROLLBACK");
}

// --- statement --------------------------------------------------------------------------------

statement::statement(database* db, sqlite3_stmt* stmt, cached_statement* slot) noexcept
    : db_(db), stmt_(stmt), slot_(slot) {}

statement::statement(database* db, pg_statement* cached) noexcept : db_(db), pg_(cached) {}

statement::statement(database* db, std::unique_ptr<pg_statement> one_off) noexcept
    : db_(db), pg_(one_off.get()), pg_one_off_(std::move(one_off)) {}

statement::statement(statement&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      slot_(std::exchange(other.slot_, nullptr)),
      pg_(std::exchange(other.pg_, nullptr)),
      pg_one_off_(std::move(other.pg_one_off_)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    release();
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    slot_ = std::exchange(other.slot_, nullptr);
    pg_ = std::exchange(other.pg_, nullptr);
    pg_one_off_ = std::move(other.pg_one_off_);
  }
  return *this;
}

statement::~statement() {
  release();
}

void statement::release() noexcept {
  if (stmt_) db_->release(stmt_, slot_);
  stmt_ = nullptr;
  if (pg_) {
    pg_->reset();
    pg_->in_use = false;
  }
  pg_ = nullptr;
  pg_one_off_.reset();
}

statement& statement::bind(int index, std::int64_t value) {
  if (pg_) {
    pg_->bind(index, std::to_string(value));
    return *this;
  }
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

statement& statement::bind(int index, double value) {
  if (pg_) {
    pg_->bind(index, fmt::format("{}", value));  // the shortest text that reads back the same
    return *this;
  }
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

statement& statement::bind(int index, std::string_view value) {
  if (pg_) {
    pg_->bind(index, std::string(value));
    return *this;
  }
  // A default string_view has a null data(), which SQLite would store as NULL: bind "" instead.
  const char* data = value.data() ? value.data() : "";
  sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

statement& statement::bind_static(int index, std::string_view value) {
  if (pg_) return bind(index, value);
  const char* data = value.data() ? value.data() : "";
  sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

statement& statement::bind_null(int index) {
  if (pg_) {
    pg_->bind(index, std::nullopt);
    return *this;
  }
  sqlite3_bind_null(stmt_, index);
  return *this;
}

statement& statement::bind_text_or_null(int index, std::string_view value) {
  return value.empty() ? bind_null(index) : bind(index, value);
}

result<bool> statement::step() {
  if (pg_) {
    const auto runs = pg_->runs();
    auto r = pg_->step();
    if (!r) {
      return result<bool>(
          boost::system::in_place_error,
          db_->fail_pg(r.error(), fmt::format("step [{}]", pg_->sql().substr(0, 80))));
    }
    if (pg_->runs() != runs && pg_->may_write()) db_->note_write();
    return r;
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto ec =
      db_->fail(rc, fmt::format("step [{}]", std::string_view(sqlite3_sql(stmt_)).substr(0, 80)));
  sqlite3_reset(stmt_);
  return result<bool>(boost::system::in_place_error, ec);
}

result<int> statement::run() {
  if (pg_) {
    auto r = pg_->run();
    if (!r) return db_->fail_pg(r.error(), fmt::format("run [{}]", pg_->sql().substr(0, 80)));
    db_->impl_->pg_changes = *r;
    if (pg_->may_write()) db_->note_write();
    return r;
  }
  for (;;) {
    auto r = step();
    if (!r) return r.error();
    if (!*r) break;
  }
  const int n = sqlite3_changes(sqlite3_db_handle(stmt_));
  sqlite3_reset(stmt_);
  return n;
}

result<std::optional<int>> statement::run_later() {
  if (!pg_ || !db_->impl_->pg_defer || !db_->in_transaction()) {
    auto n = run();
    if (!n) return n.error();
    return std::optional<int>(*n);
  }
  if (auto r = pg_->run_deferred(); !r) {
    return db_->fail_pg(r.error(), fmt::format("run [{}]", pg_->sql().substr(0, 80)));
  }
  if (pg_->may_write()) db_->note_write();
  return std::optional<int>();
}

void statement::reset() {
  if (pg_) {
    pg_->reset();
    return;
  }
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t statement::column_int64(int col) const {
  if (pg_) return pg_->column_int64(col);
  return sqlite3_column_int64(stmt_, col);
}
double statement::column_double(int col) const {
  if (pg_) return pg_->column_double(col);
  return sqlite3_column_double(stmt_, col);
}

std::string statement::column_text(int col) const {
  if (pg_) return std::string(pg_->column_view(col));
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (!p) return {};
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string_view statement::column_view(int col) const {
  if (pg_) return pg_->column_view(col);
  // The column's value looked up once, then read twice: the sqlite3_column_* calls each redo the
  // statement's bookkeeping, which a page of rows pays for on every text column. SQLite calls
  // such a value unprotected: safe on the one thread that uses the connection, as here.
  sqlite3_value* value = sqlite3_column_value(stmt_, col);
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(value));
  if (!p) return {};
  return {p, static_cast<std::size_t>(sqlite3_value_bytes(value))};
}

bool statement::column_is_null(int col) const {
  if (pg_) return pg_->column_is_null(col);
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::optional<std::int64_t> statement::column_optional_int64(int col) const {
  if (column_is_null(col)) return std::nullopt;
  return column_int64(col);
}

// --- write_deferral ---

write_deferral::write_deferral(database& db) noexcept
    : db_(&db), before_(std::exchange(db.impl_->pg_defer, true)) {}

write_deferral::~write_deferral() {
  db_->impl_->pg_defer = before_;
}

// --- transaction ------------------------------------------------------------------------------

result<transaction> transaction::begin(database& db, transaction_mode mode) {
  transaction tx(db);
  // PostgreSQL: READ COMMITTED, named rather than left to the server's default, since each
  // statement must see what committed before it (hold_message_order); writers lock rows, not the
  // database.
  auto r =
      db.kind() == backend::postgresql
          ? db.exec("BEGIN ISOLATION LEVEL READ COMMITTED")
          : db.exec(mode == transaction_mode::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!r) return r.error();
  if (db.impl_->pg) db.impl_->pg_wrote = false;
  tx.open_ = true;
  return tx;
}

transaction::transaction(transaction&& other) noexcept
    : db_(other.db_), open_(std::exchange(other.open_, false)) {}

transaction::~transaction() {
  rollback();
}

result<void> transaction::commit() {
  if (!open_) return store_errc::invalid_argument;
  // PostgreSQL answers COMMIT in a transaction a failed statement aborted by rolling back,
  // without an error: that must not read as committed.
  if (db_->failed_transaction()) {
    rollback();
    return store_errc::server_error;
  }
  auto r = db_->commit_transaction();
  if (!r) {
    // A failed COMMIT may leave the transaction open (e.g. BUSY); the destructor rolls it back.
    if (!db_->in_transaction()) {
      open_ = false;
      db_->settle_listen(false);
    }
    return r.error();
  }
  db_->settle_listen(true);
  open_ = false;
  return {};
}

void transaction::rollback() noexcept {
  if (!open_) return;
  open_ = false;
  db_->rollback_transaction();
}

}  // namespace pons::store
