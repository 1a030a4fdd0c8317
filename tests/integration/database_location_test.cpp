// Where pons-webhook and pons-mcp put the database, run as a user would: the same rule in both
// binaries, placeholders and database URLs refused before anything is created, relative paths
// made absolute so both processes open the same file.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/command_run.hpp"

namespace fs = std::filesystem;
using pons::test::command_result;
using pons::test::run_command;
using pons::test::temp_dir;

namespace {

constexpr const char* placeholder = "<path to pons.db, shared with pons-webhook>";

// The environment pons-webhook serve needs besides the database.
std::vector<std::string> webhook_env(std::vector<std::string> extra = {}) {
  std::vector<std::string> env{"WA_APP_SECRET=s3cret", "WA_WEBHOOK_VERIFY_TOKEN=verify",
                               "WA_PHONE_NUMBER_ID=106540352242922"};
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// Everything in `dir` (names only), to prove a refused run created nothing there.
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

struct sandbox {
  temp_dir root;
  std::string cwd = root.file("cwd");
  std::string scratch = root.file("scratch");
  sandbox() {
    fs::create_directories(cwd);
    fs::create_directories(scratch);
  }
  command_result mcp(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    return run_command(PONS_MCP_BIN, args, env, cwd, scratch, std::chrono::seconds(20));
  }
  command_result webhook(const std::vector<std::string>& args,
                         const std::vector<std::string>& env) {
    // A refused run exits at once; a run that wrongly starts is stopped after a few seconds.
    return run_command(PONS_WEBHOOK_BIN, args, env, cwd, scratch, std::chrono::seconds(5));
  }
};

}  // namespace

TEST_CASE("a placeholder left in PONS_DB or --db is refused and creates no file",
          "[cli][db_location]") {
  sandbox s;
  const std::string home = "HOME=" + s.root.file("home");

  auto mcp = s.mcp({}, {home, std::string("PONS_DB=") + placeholder});
  INFO(mcp.err);
  CHECK(mcp.code == 2);
  CHECK(mcp.err.find("placeholder") != std::string::npos);
  CHECK(mcp.err.find("PONS_DB") != std::string::npos);

  auto serve = s.webhook({"--port", "0", "--db", placeholder}, webhook_env({home}));
  INFO(serve.err);
  CHECK(serve.code == 2);
  CHECK(serve.err.find("placeholder") != std::string::npos);

  auto admin = s.webhook({"targets", "list"}, {home, std::string("PONS_DB=") + placeholder});
  INFO(admin.err);
  CHECK(admin.code == 2);
  CHECK(admin.err.find("placeholder") != std::string::npos);

  CHECK(entries(s.cwd).empty());
}

TEST_CASE(
    "a PostgreSQL server that is not there fails without creating a folder here or "
    "echoing its password",
    "[cli][db_location]") {
  sandbox s;
  const std::string home = "HOME=" + s.root.file("home");
  // A unix socket folder that does not exist: refused at once, no network involved.
  const std::string url = "postgresql://pons:hunter2@%2Fno-such-pons-socket-dir/pons";

  auto mcp = s.mcp({"--db", url}, {home});
  auto serve = s.webhook({"--port", "0", "--db", url}, webhook_env({home}));
  auto admin = s.webhook({"deliveries", "list"}, {home, "PONS_DB=" + url});
  for (const auto* r : {&mcp, &serve, &admin}) {
    INFO(r->err);
    CHECK(r->code != 0);
    CHECK(r->err.find("PostgreSQL") != std::string::npos);
    CHECK(r->err.find("hunter2") == std::string::npos);
  }
  auto other = s.mcp({"--db", "redis://cache/0"}, {home});
  INFO(other.err);
  CHECK(other.code == 2);
  CHECK(other.err.find("file path") != std::string::npos);

  CHECK(entries(s.cwd).empty());
}

TEST_CASE("with HOME unset both binaries use XDG_DATA_HOME, or both refuse", "[cli][db_location]") {
  sandbox s;
  const std::string xdg = s.root.file("xdg");

  auto mcp = s.mcp({}, {});
  INFO(mcp.err);
  CHECK(mcp.code == 2);
  CHECK(mcp.err.find("HOME") != std::string::npos);
  CHECK(mcp.err.find("--db") != std::string::npos);
  auto serve = s.webhook({"--port", "0"}, webhook_env());
  INFO(serve.err);
  CHECK(serve.code == 2);
  CHECK(serve.err.find("HOME") != std::string::npos);
  CHECK(entries(s.cwd).empty());

  // Both open $XDG_DATA_HOME/pons/pons.db: pons-mcp says so, pons-webhook creates it.
  auto config = s.mcp({"--print-config", "claude"}, {"XDG_DATA_HOME=" + xdg});
  INFO(config.err);
  REQUIRE(config.code == 0);
  auto doc = boost::json::parse(config.out);
  const auto& args = doc.at("mcpServers").at("pons").at("args").as_array();
  REQUIRE(args.size() >= 2);
  CHECK(args[0] == "--db");
  CHECK(args[1].as_string() == xdg + "/pons/pons.db");
  auto admin = s.webhook({"targets", "list"}, {"XDG_DATA_HOME=" + xdg});
  INFO(admin.err);
  CHECK(admin.code == 0);
  CHECK(fs::exists(xdg + "/pons/pons.db"));
  CHECK(entries(s.cwd).empty());
}

TEST_CASE("print-config shows the database the server will open, as an absolute path",
          "[cli][db_location]") {
  sandbox s;
  const std::string home = "HOME=" + s.root.file("home");

  // PONS_DB relative to the working directory.
  auto from_env = s.mcp({"--print-config", "claude"}, {home, "PONS_DB=data/p.db"});
  INFO(from_env.err);
  REQUIRE(from_env.code == 0);
  CHECK(from_env.out.find(placeholder) == std::string::npos);
  auto doc = boost::json::parse(from_env.out);
  const auto& server = doc.at("mcpServers").at("pons");
  const auto& args = server.at("args").as_array();
  REQUIRE(args.size() == 2);
  CHECK(args[1].as_string() == s.cwd + "/data/p.db");

  // --db and the other flags given are kept; a file: URL is read as its path; ~ is HOME.
  auto flags =
      s.mcp({"--db", "file:///srv/pons/p.db", "--read-only", "--print-config", "cursor"}, {home});
  INFO(flags.err);
  REQUIRE(flags.code == 0);
  auto cursor = boost::json::parse(flags.out).at("mcpServers").at("pons");
  CHECK(cursor.at("args") == boost::json::parse(R"(["--db","/srv/pons/p.db","--read-only"])"));
  auto tilde = s.mcp({"--print-config", "claude", "--db", "~/pons/p.db"}, {home});
  INFO(tilde.err);
  REQUIRE(tilde.code == 0);
  CHECK(boost::json::parse(tilde.out).at("mcpServers").at("pons").at("args").at(1).as_string() ==
        s.root.file("home") + "/pons/p.db");
}

TEST_CASE("print-config claude-code prints the claude mcp add command", "[cli][db_location]") {
  sandbox s;
  auto r = s.mcp({"--print-config", "claude-code", "--dry-run"},
                 {"HOME=" + s.root.file("home"), "WA_PHONE_NUMBER_ID=106540352242922"});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string db = s.root.file("home") + "/.local/share/pons/pons.db";
  CHECK(r.out.rfind("claude mcp add pons --scope user ", 0) == 0);
  CHECK(r.out.find("  --env WA_PHONE_NUMBER_ID=106540352242922 \\\n") != std::string::npos);
  CHECK(r.out.find("  --env 'WA_ACCESS_TOKEN=<your WhatsApp Cloud API access token>' \\\n") !=
        std::string::npos);
  CHECK(r.out.find("\n  -- " + std::string(PONS_MCP_BIN)) != std::string::npos);
  CHECK(r.out.find(" --db " + db + " --dry-run\n") != std::string::npos);
}
