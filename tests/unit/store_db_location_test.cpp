#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "pons/store/db_location.hpp"
#include "unit/env_of.hpp"

using pons::test::env_of;

using namespace pons::store;

TEST_CASE("the database location follows --db, PONS_DB, XDG_DATA_HOME, HOME", "[db_location]") {
  auto all = env_of({{"PONS_DB", "/e/p.db"}, {"XDG_DATA_HOME", "/x"}, {"HOME", "/h"}});
  auto flag = resolve_db_location("/f/p.db", all, "/cwd");
  CHECK(flag.path == "/f/p.db");
  CHECK(flag.origin == "--db");
  CHECK(resolve_db_location(std::nullopt, all, "/cwd").path == "/e/p.db");
  auto xdg =
      resolve_db_location(std::nullopt, env_of({{"XDG_DATA_HOME", "/x/"}, {"HOME", "/h"}}), "/cwd");
  CHECK(xdg.path == "/x/pons/pons.db");
  CHECK(xdg.origin == "XDG_DATA_HOME");
  auto home = resolve_db_location(std::nullopt, env_of({{"HOME", "/h"}}), "/cwd");
  CHECK(home.path == "/h/.local/share/pons/pons.db");
  CHECK(home.origin == "HOME");
  // An empty PONS_DB is unset; a relative XDG_DATA_HOME is ignored, as the XDG rules say.
  CHECK(resolve_db_location(std::nullopt, env_of({{"PONS_DB", ""}, {"HOME", "/h"}}), "/").path ==
        "/h/.local/share/pons/pons.db");
  CHECK(resolve_db_location(std::nullopt, env_of({{"XDG_DATA_HOME", "x"}, {"HOME", "/h"}}), "/")
            .path == "/h/.local/share/pons/pons.db");
}

TEST_CASE("without HOME the location is XDG_DATA_HOME or an error, never the working directory",
          "[db_location]") {
  auto xdg = resolve_db_location(std::nullopt, env_of({{"XDG_DATA_HOME", "/x"}}), "/cwd");
  CHECK(xdg);
  CHECK(xdg.path == "/x/pons/pons.db");
  for (auto env : {env_of({}), env_of({{"HOME", ""}}), env_of({{"HOME", "relative"}})}) {
    auto none = resolve_db_location(std::nullopt, env, "/cwd");
    CHECK_FALSE(none);
    CHECK(none.path.empty());
    CHECK(none.error == db_location_errc::no_default);
    CHECK(none.message.find("--db") != std::string::npos);
    CHECK(none.message.find("PONS_DB") != std::string::npos);
  }
}

TEST_CASE("relative paths, ~ and file: URLs become absolute paths", "[db_location]") {
  auto env = env_of({{"HOME", "/home/ada"}});
  CHECK(resolve_db_location("data/../p.db", env, "/srv/app").path == "/srv/app/p.db");
  CHECK(resolve_db_location("./p.db", env, "/srv/app/").path == "/srv/app/p.db");
  CHECK(resolve_db_location("~/pons/p.db", env, "/srv/app").path == "/home/ada/pons/p.db");
  CHECK(resolve_db_location("file:///srv/pons.db", env, "/").path == "/srv/pons.db");
  CHECK(resolve_db_location("file://localhost/srv/my%20pons.db", env, "/").path ==
        "/srv/my pons.db");
  CHECK(resolve_db_location("file:/srv/pons.db", env, "/").path == "/srv/pons.db");
  // A colon in a file name is not a URL.
  CHECK(resolve_db_location("backup:2026.db", env, "/d").path == "/d/backup:2026.db");
  auto no_home = resolve_db_location("~/p.db", env_of({}), "/srv/app");
  CHECK(no_home.error == db_location_errc::no_default);
  CHECK(no_home.message.find("HOME") != std::string::npos);
}

TEST_CASE("placeholders and database URLs are refused with what to do", "[db_location]") {
  auto env = env_of({{"HOME", "/h"}});
  auto placeholder = resolve_db_location(
      std::nullopt, env_of({{"PONS_DB", "<path to pons.db, shared with pons-webhook>"}}), "/");
  CHECK(placeholder.error == db_location_errc::placeholder);
  CHECK(placeholder.origin == "PONS_DB");
  CHECK(placeholder.message ==
        "PONS_DB is \"<path to pons.db, shared with pons-webhook>\", a placeholder from an "
        "example configuration: replace it with the path of the database file (the same for "
        "pons-webhook and pons-mcp), or remove it to use the default, "
        "~/.local/share/pons/pons.db");
  CHECK(resolve_db_location("/home/<user>/pons.db", env, "/").error ==
        db_location_errc::placeholder);

  // A PostgreSQL server: the URL as given, and a folder for the files beside the database.
  auto pg = resolve_db_location("postgresql://pons:hunter2@db/pons", env, "/");
  REQUIRE(pg);
  CHECK(pg.path == "postgresql://pons:hunter2@db/pons");
  CHECK(pg.data_dir == "/h/.local/share/pons");
  auto shared = resolve_db_location(
      std::nullopt, env_of({{"PONS_DB", "Postgres://db/pons"}, {"PONS_DATA_DIR", "/srv/pons/"}}),
      "/");
  REQUIRE(shared);
  CHECK(shared.origin == "PONS_DB");
  CHECK(shared.data_dir == "/srv/pons/");
  auto nowhere = resolve_db_location("postgres://db/pons", env_of({}), "/");
  CHECK(nowhere.error == db_location_errc::postgres_url);
  CHECK(nowhere.message.find("PONS_DATA_DIR") != std::string::npos);
  CHECK(nowhere.message.find("hunter2") == std::string::npos);
  CHECK(shown_location("postgresql://pons:hunter2@db/pons").find("hunter2") == std::string::npos);
  CHECK(shown_location("/srv/pons.db") == "/srv/pons.db");
  // A file's folder holds its media.
  CHECK(resolve_db_location("/srv/data/pons.db", env, "/").data_dir == "/srv/data");
  // The files beside the database: the data folder, else the file's folder; a URL names none.
  CHECK(data_folder("/srv/data/pons.db", "") == "/srv/data");
  CHECK(data_folder("pons.db", "") == ".");
  CHECK(data_folder("/srv/data/pons.db", "/srv/media") == "/srv/media");
  CHECK(data_folder("postgresql://pons:hunter2@db/pons", "/srv/pons") == "/srv/pons");
  CHECK(data_folder("postgresql://pons:hunter2@db/pons", "").empty());
  auto redis = resolve_db_location("redis://cache/0", env, "/");
  CHECK(redis.error == db_location_errc::url);
  CHECK(redis.message.find("redis://...") != std::string::npos);
  CHECK(redis.message.find("file path") != std::string::npos);
  for (const char* bad : {"file://server/share/p.db", "file:p.db", "file:///p.db?mode=ro"}) {
    INFO(bad);
    auto r = resolve_db_location(bad, env, "/");
    CHECK(r.error == db_location_errc::bad_file_url);
    CHECK(r.path.empty());
  }
}

TEST_CASE("every db_location_errc has its own message", "[db_location]") {
  std::set<std::string> seen;
  for (int e = 1; e <= static_cast<int>(db_location_errc::no_default); ++e) {
    auto ec = make_error_code(static_cast<db_location_errc>(e));
    CHECK(ec.category().name() == std::string("pons.db_location"));
    CHECK(seen.insert(ec.message()).second);
    CHECK(ec.message().find("unknown") == std::string::npos);
  }
}
