// libpons_sync_level_check.so: preloaded (LD_PRELOAD) into pons-webhook or pons-mcp, records the
// PRAGMA synchronous level of every SQLite connection when it commits a write and when it
// closes, to the file named by PONS_SYNC_LEVEL_REPORT, one line per connection and level:
//   pid=1234 connection=0x55d0c0a1b2c8 synchronous=2
// A checkpoint copies the WAL into the database file and then lets the WAL be reused; only a
// connection with synchronous NORMAL (1) or FULL (2) syncs the database file before that, so a
// connection at OFF (0) could lose acknowledged commits. Tests only.
#include <dlfcn.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <utility>

namespace {

using step_fn = int (*)(sqlite3_stmt*);
using exec_fn = int (*)(sqlite3*, const char*, int (*)(void*, int, char**, char**), void*, char**);
using close_fn = int (*)(sqlite3*);

template <typename F>
F next_symbol(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

step_fn real_step() {
  static const auto f = next_symbol<step_fn>("sqlite3_step");
  return f;
}

// The connection's synchronous level, read with the real sqlite3_step (not this library's).
int synchronous_level(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &stmt, nullptr) != SQLITE_OK) return -1;
  int level = -1;
  if (real_step()(stmt) == SQLITE_ROW) level = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  return level;
}

// Writes one line per connection and level seen.
void record(sqlite3* db) {
  static std::mutex mu;
  static std::set<std::pair<sqlite3*, int>> seen;
  const char* path = std::getenv("PONS_SYNC_LEVEL_REPORT");
  if (!path || !db) return;
  const int level = synchronous_level(db);
  std::lock_guard lock(mu);
  if (!seen.emplace(db, level).second) return;
  char line[128];
  const int n = std::snprintf(line, sizeof line, "pid=%d connection=%p synchronous=%d\n",
                              static_cast<int>(::getpid()), static_cast<void*>(db), level);
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (n > 0) (void)::write(fd, line, static_cast<std::size_t>(n));
  ::close(fd);
}

}  // namespace

extern "C" {

int sqlite3_step(sqlite3_stmt* stmt) {
  const int rc = real_step()(stmt);
  // A statement that wrote and left the connection in autocommit mode has just committed.
  if (rc == SQLITE_DONE && !sqlite3_stmt_readonly(stmt)) {
    sqlite3* db = sqlite3_db_handle(stmt);
    if (sqlite3_get_autocommit(db)) record(db);
  }
  return rc;
}

int sqlite3_exec(sqlite3* db, const char* sql, int (*callback)(void*, int, char**, char**),
                 void* arg, char** errmsg) {
  static const auto real = next_symbol<exec_fn>("sqlite3_exec");
  const int rc = real(db, sql, callback, arg, errmsg);
  if (sqlite3_get_autocommit(db)) record(db);
  return rc;
}

int sqlite3_close(sqlite3* db) {
  static const auto real = next_symbol<close_fn>("sqlite3_close");
  record(db);
  return real(db);
}

int sqlite3_close_v2(sqlite3* db) {
  static const auto real = next_symbol<close_fn>("sqlite3_close_v2");
  record(db);
  return real(db);
}

}  // extern "C"
