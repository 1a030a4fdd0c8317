#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "pons/mcp/tools/upload_policy.hpp"
#include "unit/store_test_util.hpp"

namespace fs = std::filesystem;
using namespace pons::mcp;
using pons::store::test::temp_dir;

namespace {

void write(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

// A data folder as pons-mcp sees it: the database, its WAL, the default outbox with a file.
struct data_dir {
  temp_dir dir;
  std::string db = dir.file("pons.db");
  std::string outbox = dir.file("outbox");

  data_dir() {
    write(db, std::string("SQLite format 3\0", 16));
    write(db + "-wal", "wal");
    write(dir.file("config.json"), R"({"app_secret":"s3cr3t-app-secret"})");
  }

  upload_settings settings() const {
    upload_settings s;
    s.folders = {outbox};
    s.create_missing = true;
    s.database_path = db;
    s.protected_files = {dir.file("config.json")};
    s.secrets = {"EAAG-secret-token-123"};
    return s;
  }

  upload_policy policy() const { return upload_policy(settings()); }
};

upload_errc error_of(const boost::system::result<upload_file>& r) {
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.error().category() == upload_category());
  return static_cast<upload_errc>(r.error().value());
}

}  // namespace

TEST_CASE("every upload error has its own message", "[mcp][upload]") {
  std::map<std::string, int> seen;
  for (int e = static_cast<int>(upload_errc::no_folder);
       e <= static_cast<int>(upload_errc::secret_inside); ++e) {
    std::string text = make_error_code(static_cast<upload_errc>(e)).message();
    CHECK(text != "unknown upload error");
    CHECK(seen.emplace(text, e).second);
  }
}

TEST_CASE("the default outbox is created private and files in it are read", "[mcp][upload]") {
  data_dir d;
  auto policy = d.policy();
  REQUIRE(policy.folders().size() == 1);
  CHECK(policy.refused().empty());
  struct stat st {};
  REQUIRE(::stat(d.outbox.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  write(d.outbox + "/invoice.pdf", "%PDF-1.4\n");
  auto by_name = policy.read("invoice.pdf", 1000);
  REQUIRE(by_name.has_value());
  CHECK(by_name->bytes == "%PDF-1.4\n");
  CHECK(by_name->real_path == fs::canonical(d.outbox + "/invoice.pdf").string());
  CHECK(policy.read(d.outbox + "/invoice.pdf", 1000).has_value());
  CHECK(error_of(policy.read("invoice.pdf", 4)) == upload_errc::too_large);
  CHECK(error_of(policy.read("missing.pdf", 1000)) == upload_errc::not_found);
  CHECK(error_of(policy.read("", 1000)) == upload_errc::bad_path);
  CHECK(error_of(policy.read(std::string("a\0b", 3), 1000)) == upload_errc::bad_path);
  CHECK(error_of(policy.read(d.outbox, 1000)) == upload_errc::outside_folders);
}

TEST_CASE("paths outside the upload folder are refused, however they are spelled",
          "[mcp][upload]") {
  data_dir d;
  auto policy = d.policy();
  CHECK(error_of(policy.read("/proc/self/environ", 1 << 20)) == upload_errc::system_file);
  CHECK(error_of(policy.read("/etc/passwd", 1 << 20)) == upload_errc::outside_folders);
  CHECK(error_of(policy.read(d.db, 1 << 20)) == upload_errc::pons_file);
  CHECK(error_of(policy.read(d.db + "-wal", 1 << 20)) == upload_errc::pons_file);
  CHECK(error_of(policy.read("../pons.db", 1 << 20)) == upload_errc::pons_file);
  CHECK(error_of(policy.read(d.outbox + "/../config.json", 1 << 20)) == upload_errc::pons_file);
  CHECK(error_of(policy.read("../../../../../../../../etc/hostname", 1 << 20)) ==
        upload_errc::outside_folders);
  write(d.dir.file("notes.txt"), "next to the outbox, not in it");
  CHECK(error_of(policy.read("../notes.txt", 1 << 20)) == upload_errc::outside_folders);
  // A sibling whose name starts like the folder is not inside it.
  fs::create_directory(d.outbox + "-old");
  write(d.outbox + "-old/a.txt", "old");
  CHECK(error_of(policy.read(d.outbox + "-old/a.txt", 1 << 20)) == upload_errc::outside_folders);
}

TEST_CASE("symlinks and hard links in the outbox do not lead out of it", "[mcp][upload]") {
  data_dir d;
  auto policy = d.policy();
  fs::create_symlink("/proc/self/environ", d.outbox + "/environ.txt");
  fs::create_symlink(d.db, d.outbox + "/backup.pdf");
  fs::create_symlink(d.dir.file("config.json"), d.outbox + "/settings.txt");
  fs::create_directory_symlink("/etc", d.outbox + "/etc");
  write(d.dir.file("outside.txt"), "not for customers");
  fs::create_symlink(d.dir.file("outside.txt"), d.outbox + "/inside.txt");
  CHECK(error_of(policy.read("environ.txt", 1 << 20)) == upload_errc::system_file);
  CHECK(error_of(policy.read("backup.pdf", 1 << 20)) == upload_errc::pons_file);
  CHECK(error_of(policy.read("settings.txt", 1 << 20)) == upload_errc::pons_file);
  CHECK(error_of(policy.read("etc/passwd", 1 << 20)) == upload_errc::outside_folders);
  CHECK(error_of(policy.read("inside.txt", 1 << 20)) == upload_errc::outside_folders);
  // A hard link has no "real" place: the database under another name, or anything else.
  std::error_code ec;
  fs::create_hard_link(d.db, d.outbox + "/report.pdf", ec);
  REQUIRE_FALSE(ec);
  CHECK(error_of(policy.read("report.pdf", 1 << 20)) == upload_errc::pons_file);
  fs::create_hard_link(d.dir.file("outside.txt"), d.outbox + "/copy.txt", ec);
  REQUIRE_FALSE(ec);
  CHECK(error_of(policy.read("copy.txt", 1 << 20)) == upload_errc::hard_linked);
  // A symlink to a file inside the folder is fine.
  write(d.outbox + "/photo.png", "png");
  fs::create_symlink(d.outbox + "/photo.png", d.outbox + "/latest.png");
  CHECK(policy.read("latest.png", 1 << 20).has_value());
}

TEST_CASE("a file holding a credential of the process is never read out", "[mcp][upload]") {
  data_dir d;
  auto policy = d.policy();
  write(d.outbox + "/env.txt", "WA_ACCESS_TOKEN=EAAG-secret-token-123\n");
  CHECK(error_of(policy.read("env.txt", 1 << 20)) == upload_errc::secret_inside);
}

TEST_CASE("folders that are too wide or hold Pons's files are refused", "[mcp][upload]") {
  data_dir d;
  auto settings = d.settings();
  fs::create_directory(d.dir.file("open"));
  fs::permissions(d.dir.file("open"), fs::perms::all);
  settings.folders = {
      "/",   "/proc", "/etc/ssl", d.dir.file(""), d.dir.file("missing"), d.db, d.dir.file("open"),
      "/tmp"};
  settings.create_missing = false;
  settings.home = d.dir.file("");
  upload_policy policy(settings);
  CHECK(policy.folders().empty());
  REQUIRE(policy.refused().size() == settings.folders.size());
  std::map<std::string, std::string> why;
  for (const auto& r : policy.refused()) why[r.path] = r.reason;
  CHECK_THAT(why["/"], Catch::Contains("root"));
  CHECK_THAT(why["/proc"], Catch::Contains("system files"));
  CHECK_THAT(why["/etc/ssl"], Catch::Contains("system files"));
  CHECK_THAT(why[d.dir.file("")], Catch::Contains("home folder"));
  CHECK_THAT(why[d.dir.file("missing")], Catch::Contains("does not exist"));
  CHECK_THAT(why[d.db], Catch::Contains("not a folder"));
  CHECK_THAT(why[d.dir.file("open")], Catch::Contains("other users"));
  CHECK_THAT(why["/tmp"], Catch::Contains("system-wide"));
  // With no folder left, nothing is read, and the explanation says why and what to change.
  auto r = policy.read("/proc/self/environ", 1 << 20);
  CHECK(error_of(r) == upload_errc::no_folder);
  std::string text = policy.explain(r.error(), "/proc/self/environ");
  CHECK_THAT(text, Catch::Contains("--upload-dir") && Catch::Contains("PONS_UPLOAD_DIR") &&
                       Catch::Contains("whole home folder"));

  settings.home.clear();
  settings.folders = {d.dir.file("")};
  upload_policy data(settings);
  CHECK(data.folders().empty());
  REQUIRE(data.refused().size() == 1);
  CHECK_THAT(data.refused()[0].reason, Catch::Contains("Pons's own files"));
}

TEST_CASE("refusals name the upload folder and how to change it", "[mcp][upload]") {
  data_dir d;
  auto policy = d.policy();
  auto r = policy.read("/etc/passwd", 1 << 20);
  std::string text = policy.explain(r.error(), "/etc/passwd");
  CHECK_THAT(text, Catch::Contains("/etc/passwd is outside the upload folder") &&
                       Catch::Contains(policy.folders().front()) &&
                       Catch::Contains("--upload-dir or PONS_UPLOAD_DIR") &&
                       Catch::Contains("ask them to put it in the upload folder"));
  auto db = policy.read(d.db, 1 << 20);
  CHECK_THAT(policy.explain(db.error(), d.db), Catch::Contains("never sends it"));
}

TEST_CASE("upload settings come from --upload-dir, then PONS_UPLOAD_DIR, then the outbox",
          "[mcp][upload]") {
  std::map<std::string, std::string> vars{{"PONS_UPLOAD_DIR", "/srv/a::/srv/b"},
                                          {"PONS_CONFIG", "/etc/pons/config.json"},
                                          {"HOME", "/home/u"},
                                          {"WA_ACCESS_TOKEN", "EAAG-long-token"},
                                          {"WA_APP_SECRET", "short"}};
  env_lookup env = [&](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  upload_origin o;
  o.db_path = "/data/pons/pons.db";
  auto from_env = upload_settings_from(o, env);
  CHECK(from_env.folders == std::vector<std::string>{"/srv/a", "/srv/b"});
  CHECK_FALSE(from_env.create_missing);
  CHECK(from_env.database_path == "/data/pons/pons.db");
  CHECK(from_env.protected_files == std::vector<std::string>{"/etc/pons/config.json"});
  CHECK(from_env.home == "/home/u");
  CHECK(from_env.secrets == std::vector<std::string>{"EAAG-long-token"});
  o.upload_dirs = {"/srv/c"};
  CHECK(upload_settings_from(o, env).folders == std::vector<std::string>{"/srv/c"});
  vars.erase("PONS_UPLOAD_DIR");
  o.upload_dirs.clear();
  auto fallback = upload_settings_from(o, env);
  CHECK(fallback.folders == std::vector<std::string>{"/data/pons/outbox"});
  CHECK(fallback.create_missing);
  // A config file named by --config is as protected as PONS_CONFIG.
  o.config_path = "/srv/accounts.json";
  CHECK(upload_settings_from(o, env).protected_files ==
        std::vector<std::string>{"/etc/pons/config.json", "/srv/accounts.json"});

  // A server's URL names no folder: the outbox is in the data folder, and without one there is
  // no default (never a folder named after the URL and its password).
  o.db_path = "postgresql://pons:secret@db.example/pons";
  o.data_dir = "/srv/pons-data";
  auto on_server = upload_settings_from(o, env);
  CHECK(on_server.folders == std::vector<std::string>{"/srv/pons-data/outbox"});
  CHECK(on_server.database_path.empty());
  o.data_dir.clear();
  CHECK(upload_settings_from(o, env).folders.empty());
}
