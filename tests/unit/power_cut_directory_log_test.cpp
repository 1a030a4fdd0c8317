#include <catch2/catch.hpp>

#include "support/power_cut_fs/directory_log.hpp"

using pons::power_cut::directory_log;
using pons::power_cut::entry_change;

TEST_CASE("directory_log: a change is durable once every directory it touches is synced",
          "[power_cut]") {
  directory_log log;
  log.created("/a/f");
  log.removed("/a/g", "/grave/1");
  log.renamed("/a/h", "/b/h", "/grave/2");
  CHECK(log.synced("/b").empty());  // the rename still waits for /a
  CHECK(log.size() == 3);
  CHECK(log.synced("/a") == std::vector<std::string>{"/grave/1", "/grave/2"});
  CHECK(log.size() == 0);
}

TEST_CASE("directory_log: a cut keeps a prefix and undoes the rest, newest first", "[power_cut]") {
  directory_log log;
  log.created("/f");
  log.removed("/g", "/grave/1");
  log.created("/h");
  auto plan = log.cut(2);
  CHECK(plan.freed == std::vector<std::string>{"/grave/1"});
  REQUIRE(plan.undo.size() == 1);
  CHECK(plan.undo[0].path == "/h");
  CHECK(log.size() == 0);

  log.created("/x");
  log.created("/y");
  plan = log.cut(0);
  REQUIRE(plan.undo.size() == 2);
  CHECK(plan.undo[0].path == "/y");
  CHECK(plan.undo[1].what == entry_change::kind::created);
}

TEST_CASE("directory_log: parent_of", "[power_cut]") {
  CHECK(pons::power_cut::parent_of("/a/b") == "/a");
  CHECK(pons::power_cut::parent_of("/a") == "/");
}
