#pragma once
// Shared by the MCP tool tests: a database seeded by SQL, its pool and pull recorder, and the
// dependencies of the read and send tools in dry run (nothing reaches Meta).

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/send_tools.hpp"
#include "unit/store_test_util.hpp"

namespace pons::mcp::test {

/// The text of tests/fixtures/mcp/`name` (seed SQL).
inline std::string fixture_sql(const std::string& name) {
  std::ifstream in(std::string(PONS_FIXTURES_DIR) + "/mcp/" + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// `r` as a client reads it: structuredContent a tool wrote as JSON text is parsed into
/// `structured`, and must be one JSON object.
inline tool_result as_read(tool_result r) {
  if (!r.structured_json.empty()) {
    r.structured = r.structured_object();
    INFO(r.structured_json);
    REQUIRE(r.structured);
  }
  return r;
}

/// A database in `dir` seeded with each of `seed_sql`, with what the tools read and send through.
struct seeded_tools {
  std::string path;
  std::unique_ptr<db_pool> pool;
  std::unique_ptr<pull_recorder> pulls;
  meta::send_pacer pacer;

  seeded_tools(const store::test::temp_dir& dir, const std::vector<std::string>& seed_sql)
      : path(pons::store::test::test_database_location(dir)) {
    auto db = store::database::open(path);
    REQUIRE(db.has_value());
    for (const auto& sql : seed_sql) {
      auto seeded = store::test::run_seed_sql(*db, sql);
      INFO(db->last_error_message());
      REQUIRE(seeded.has_value());
    }
    auto p = db_pool::open(path, 2);
    REQUIRE(p.has_value());
    pool = std::move(*p);
    pulls = std::make_unique<pull_recorder>(path);
  }

  /// The send tools' dependencies (and the read tools' within), dry run, media under `dir`.
  send_tools_deps deps(const store::test::temp_dir& dir) {
    send_tools_deps d;
    d.read.pool = pool.get();
    d.read.pulls = pulls.get();
    d.read.now = [] { return std::chrono::system_clock::now(); };
    d.read.media_dir = dir.file("");
    d.pacer = &pacer;
    d.dry_run = true;
    return d;
  }
};

}  // namespace pons::mcp::test
