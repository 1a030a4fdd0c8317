// Regression: the deliverer opens extra connections inside pons-webhook while the service's own
// connection is live. Opening a connection must not drop the locks of the others, or another
// process (the admin CLI) closing its connection deletes the live WAL and commits are lost.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "pons/store/database.hpp"
#include "unit/store_test_util.hpp"

using pons::store::database;
using pons::store::test::temp_dir;

TEST_CASE("forward: a second connection in one process keeps the WAL safe from other processes",
          "[forward][store]") {
  temp_dir dir;
  const auto path = dir.file("pons.db");
  auto service = database::open(path);
  REQUIRE(service.has_value());
  REQUIRE(service->exec("INSERT INTO processed_events(key, created_at) VALUES ('a', 't')"));
  auto deliverer = database::open(path);  // same process, like the forwarding deliverer
  REQUIRE(deliverer.has_value());

  // Another process opens and closes the database, as `pons-webhook targets add` does (a fresh
  // program: a forked child would share SQLite's in-memory lock bookkeeping with this one).
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::execlp("sqlite3", "sqlite3", path.c_str(), "SELECT COUNT(*) FROM processed_events;",
             static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  CHECK(std::filesystem::exists(path + "-wal"));
  REQUIRE(service->exec("INSERT INTO processed_events(key, created_at) VALUES ('b', 't')"));
  auto reader = database::open(path);
  REQUIRE(reader.has_value());
  CHECK(reader->query_int64("SELECT COUNT(*) FROM processed_events").value() == 2);
}
