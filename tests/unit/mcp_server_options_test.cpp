#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "core/mcp/server_options.hpp"

using namespace pons::mcp;

namespace {
env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}
}  // namespace

TEST_CASE("default database path follows PONS_DB, XDG_DATA_HOME, HOME", "[mcp]") {
  CHECK(default_db_path(env_of({{"PONS_DB", "/a.db"}, {"HOME", "/h"}})) == "/a.db");
  CHECK(default_db_path(env_of({{"XDG_DATA_HOME", "/x"}, {"HOME", "/h"}})) == "/x/pons/pons.db");
  CHECK(default_db_path(env_of({{"HOME", "/h"}})) == "/h/.local/share/pons/pons.db");
}

TEST_CASE("pons-mcp options parse and reject mistakes", "[mcp]") {
  auto env = env_of({{"HOME", "/h"}});
  auto ok =
      parse_server_options({"--db", "/tmp/p.db", "--read-only", "--max-line-bytes=1000"}, env);
  REQUIRE(std::holds_alternative<server_options>(ok));
  const auto& o = std::get<server_options>(ok);
  CHECK(o.db_path == "/tmp/p.db");
  CHECK(o.read_only);
  CHECK_FALSE(o.dry_run);
  CHECK(o.max_line_bytes == 1000);
  CHECK(std::holds_alternative<std::string>(parse_server_options({"--max-line-bytes", "0"}, env)));
  CHECK(std::holds_alternative<std::string>(parse_server_options({"--db"}, env)));
  CHECK(std::holds_alternative<std::string>(parse_server_options({"--print-config", "vim"}, env)));
  CHECK(std::holds_alternative<std::string>(parse_server_options({"--bogus"}, env)));
  auto cfg = parse_server_options({"--print-config", "claude"}, env);
  CHECK(std::get<server_options>(cfg).what == server_options::action::print_config);
}

TEST_CASE("config snippets are valid JSON with the binary and placeholders", "[mcp]") {
  for (std::string client : {"claude", "cursor"}) {
    auto v = boost::json::parse(config_snippet(client, "/opt/pons/bin/pons-mcp"));
    const auto& server = v.at("mcpServers").at("pons");
    CHECK(server.at("command") == "/opt/pons/bin/pons-mcp");
    for (const char* key : {"WA_ACCESS_TOKEN", "WA_PHONE_NUMBER_ID", "WA_WABA_ID", "PONS_DB"}) {
      CHECK(server.at("env").as_object().contains(key));
    }
    CHECK(server.as_object().contains("type") == (client == "cursor"));
  }
}

TEST_CASE("the upload-dir option is repeatable and needs a folder", "[mcp]") {
  auto env = env_of({{"HOME", "/h"}});
  auto two = parse_server_options({"--upload-dir", "/srv/out", "--upload-dir=/srv/more"}, env);
  REQUIRE(std::holds_alternative<server_options>(two));
  CHECK(std::get<server_options>(two).upload_dirs ==
        std::vector<std::string>{"/srv/out", "/srv/more"});
  auto none = parse_server_options({}, env);
  CHECK(std::get<server_options>(none).upload_dirs.empty());
  auto empty = parse_server_options({"--upload-dir="}, env);
  REQUIRE(std::holds_alternative<std::string>(empty));
  CHECK_THAT(std::get<std::string>(empty), Catch::Contains("--upload-dir"));
  CHECK_THAT(usage_text(), Catch::Contains("--upload-dir") && Catch::Contains("PONS_UPLOAD_DIR"));
}
