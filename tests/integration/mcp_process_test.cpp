// pons-mcp as a process, for what only the process shows: its stderr log lines and the folder it
// creates for the database.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "support/process_launcher.hpp"

using namespace pons::test;
using namespace std::chrono_literals;

TEST_CASE("pons-mcp writes a database path holding a line break on one log line, in a 0700 folder",
          "[mcp][process]") {
  // With the usual umask a folder would be 0755 unless created private on purpose.
  ::umask(022);
  temp_dir dir;
  const std::string folder = dir.file("new\nX-Forged: 1");
  const std::string db = folder + "/inner/pons.db";
  const std::string err = dir.file("stderr.log");
  // Standard input is /dev/null: end of input at once, so it starts and stops.
  auto p = process::start(PONS_MCP_BIN, {"--db", db}, {"HOME=" + dir.path()}, {}, err);
  auto code = p.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);

  auto log = read_text_file(err);
  INFO("stderr: " << log);
  std::istringstream lines(log);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    // Every line is a whole log line: a forged one would not start with the time stamp.
    CHECK(line.rfind("ts=", 0) == 0);
    CHECK(line.find(" level=") != std::string::npos);
  }
  CHECK(count >= 2);  // start and stop
  CHECK(log.find(R"(new\nX-Forged: 1/inner/pons.db)") != std::string::npos);

  struct stat st {};
  REQUIRE(::stat(folder.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat((folder + "/inner").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);
  REQUIRE(::stat(db.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
}
