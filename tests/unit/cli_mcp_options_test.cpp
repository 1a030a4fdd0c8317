#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "pons/cli/mcp_options.hpp"
#include "unit/env_of.hpp"

using pons::test::env_of;

using namespace pons::cli;

TEST_CASE("pons-mcp options parse and reject mistakes", "[mcp]") {
  auto env = env_of({{"HOME", "/h"}});
  auto ok =
      parse_mcp_options({"--db", "/tmp/p.db", "--read-only", "--max-line-bytes=1000"}, env, "/");
  REQUIRE(std::holds_alternative<mcp_options>(ok));
  const auto& o = std::get<mcp_options>(ok);
  CHECK(o.db_path == "/tmp/p.db");
  CHECK(o.read_only);
  CHECK_FALSE(o.dry_run);
  CHECK(o.max_line_bytes == 1000);
  CHECK(
      std::holds_alternative<std::string>(parse_mcp_options({"--max-line-bytes", "0"}, env, "/")));
  CHECK(std::holds_alternative<std::string>(parse_mcp_options({"--db"}, env, "/")));
  CHECK(
      std::holds_alternative<std::string>(parse_mcp_options({"--print-config", "vim"}, env, "/")));
  CHECK(std::holds_alternative<std::string>(parse_mcp_options({"--bogus"}, env, "/")));
  auto cfg = parse_mcp_options({"--print-config", "claude"}, env, "/");
  CHECK(std::get<mcp_options>(cfg).what == mcp_options::action::print_config);
  // Worker counts: the quick ones default to the cores (0 until the start decides).
  CHECK(o.workers == 0);
  CHECK(o.call_out_workers == 4);
  auto lanes = parse_mcp_options({"--workers", "2", "--call-out-workers=7"}, env, "/");
  REQUIRE(std::holds_alternative<mcp_options>(lanes));
  CHECK(std::get<mcp_options>(lanes).workers == 2);
  CHECK(std::get<mcp_options>(lanes).call_out_workers == 7);
  CHECK(std::holds_alternative<std::string>(
      parse_mcp_options({"--call-out-workers", "0"}, env, "/")));
}

TEST_CASE("pons-mcp resolves the database like pons-webhook, unless only help is asked", "[mcp]") {
  auto env = env_of({{"HOME", "/h"}});
  auto relative = parse_mcp_options({"--db", "data/p.db"}, env, "/srv/app");
  CHECK(std::get<mcp_options>(relative).db_path == "/srv/app/data/p.db");
  auto home = parse_mcp_options({}, env, "/srv/app");
  CHECK(std::get<mcp_options>(home).db_path == "/h/.local/share/pons/pons.db");
  auto none = parse_mcp_options({}, env_of({}), "/srv/app");
  REQUIRE(std::holds_alternative<std::string>(none));
  CHECK(std::get<std::string>(none).find("HOME") != std::string::npos);
  auto placeholder = parse_mcp_options({"--print-config", "claude"},
                                       env_of({{"PONS_DB", "<path to pons.db>"}}), "/");
  REQUIRE(std::holds_alternative<std::string>(placeholder));
  CHECK(std::get<std::string>(placeholder).find("placeholder") != std::string::npos);
  auto help = parse_mcp_options({"--help"}, env_of({{"PONS_DB", "<path to pons.db>"}}), "/");
  CHECK(std::get<mcp_options>(help).what == mcp_options::action::help);
}

TEST_CASE("config snippets are valid JSON with the binary, the database and the flags given",
          "[mcp]") {
  for (std::string client : {"claude", "cursor"}) {
    auto parsed = parse_mcp_options({"--print-config", client, "--read-only", "--db", "p.db"},
                                    env_of({{"WA_WABA_ID", "102290129340398"}}), "/srv");
    const auto& o = std::get<mcp_options>(parsed);
    auto v = boost::json::parse(config_snippet(o, "/opt/pons/bin/pons-mcp", env_of({})));
    const auto& server = v.at("mcpServers").at("pons");
    CHECK(server.at("command") == "/opt/pons/bin/pons-mcp");
    CHECK(server.at("args") == boost::json::parse(R"(["--db","/srv/p.db","--read-only"])"));
    for (const char* key : {"WA_ACCESS_TOKEN", "WA_PHONE_NUMBER_ID", "WA_WABA_ID"}) {
      CHECK(server.at("env").as_object().contains(key));
    }
    CHECK_FALSE(server.at("env").as_object().contains("PONS_DB"));
    CHECK(server.as_object().contains("type") == (client == "cursor"));
  }
}

TEST_CASE("the upload-dir option is repeatable and needs a folder", "[mcp]") {
  auto env = env_of({{"HOME", "/h"}});
  auto two = parse_mcp_options({"--upload-dir", "/srv/out", "--upload-dir=/srv/more"}, env, "/");
  REQUIRE(std::holds_alternative<mcp_options>(two));
  CHECK(std::get<mcp_options>(two).upload_dirs ==
        std::vector<std::string>{"/srv/out", "/srv/more"});
  auto none = parse_mcp_options({}, env, "/");
  CHECK(std::get<mcp_options>(none).upload_dirs.empty());
  auto empty = parse_mcp_options({"--upload-dir="}, env, "/");
  REQUIRE(std::holds_alternative<std::string>(empty));
  CHECK_THAT(std::get<std::string>(empty), Catch::Contains("--upload-dir"));
  CHECK_THAT(mcp_usage(), Catch::Contains("--upload-dir") && Catch::Contains("PONS_UPLOAD_DIR"));
  // --print-config repeats the folders absolute, as it does the database.
  auto config = parse_mcp_options(
      {"--print-config", "claude", "--upload-dir", "out", "--db", "/d/p.db"}, env, "/srv/app");
  CHECK(std::get<mcp_options>(config).upload_dirs == std::vector<std::string>{"out"});
  auto doc = boost::json::parse(config_snippet(std::get<mcp_options>(config), "/b", env));
  CHECK(doc.at("mcpServers").at("pons").at("args") ==
        boost::json::parse(R"(["--db","/d/p.db","--upload-dir","/srv/app/out"])"));
}

TEST_CASE("config snippets fill in the values this environment has", "[mcp]") {
  auto env = env_of({{"HOME", "/h"},
                     {"WA_ACCESS_TOKEN", "tok"},
                     {"WA_PHONE_NUMBER_ID", "106540352242922"},
                     {"WA_GRAPH_BASE_URL", "http://127.0.0.1:8081"}});
  auto o = std::get<mcp_options>(parse_mcp_options({"--print-config", "claude"}, env, "/"));
  auto v = boost::json::parse(config_snippet(o, "/bin/pons-mcp", env));
  CHECK(v.at("mcpServers").at("pons").at("env") == boost::json::parse(R"({
    "WA_ACCESS_TOKEN": "tok", "WA_PHONE_NUMBER_ID": "106540352242922",
    "WA_WABA_ID": "<your WhatsApp Business Account id>",
    "WA_GRAPH_BASE_URL": "http://127.0.0.1:8081"})"));
}

TEST_CASE("config snippets never print a real access token", "[mcp]") {
  for (const char* graph : {"", "https://graph.facebook.com", "https://127.0.0.1.example.com"}) {
    INFO(graph);
    auto env = env_of({{"HOME", "/h"},
                       {"WA_ACCESS_TOKEN", "EAAG-real-token"},
                       {"WA_PHONE_NUMBER_ID", "106540352242922"},
                       {"WA_GRAPH_BASE_URL", graph}});
    for (const char* client : {"claude", "cursor", "claude-code"}) {
      auto o = std::get<mcp_options>(parse_mcp_options({"--print-config", client}, env, "/"));
      auto out = config_snippet(o, "/bin/pons-mcp", env);
      CHECK(out.find("EAAG-real-token") == std::string::npos);
      CHECK(out.find("<your WhatsApp Cloud API access token>") != std::string::npos);
      CHECK(out.find("106540352242922") != std::string::npos);
    }
  }
}

TEST_CASE("the claude-code snippet is a claude mcp add command the shell reads back", "[mcp]") {
  auto env = env_of({{"HOME", "/home/ada"},
                     {"WA_ACCESS_TOKEN", "it's"},
                     {"WA_GRAPH_BASE_URL", "http://localhost:8081"}});
  auto o = std::get<mcp_options>(
      parse_mcp_options({"--print-config", "claude-code", "--dry-run"}, env, "/"));
  CHECK(config_snippet(o, "/opt/my pons/pons-mcp", env) ==
        "claude mcp add pons --scope user \\\n"
        "  --env 'WA_ACCESS_TOKEN=it'\\''s' \\\n"
        "  --env 'WA_PHONE_NUMBER_ID=<your phone number id>' \\\n"
        "  --env 'WA_WABA_ID=<your WhatsApp Business Account id>' \\\n"
        "  --env WA_GRAPH_BASE_URL=http://localhost:8081 \\\n"
        "  -- '/opt/my pons/pons-mcp' --db /home/ada/.local/share/pons/pons.db --dry-run\n");
}

TEST_CASE("the remote config forms name /mcp and an Authorization header, never a key", "[mcp]") {
  auto env = env_of({{"HOME", "/h"}, {"WA_ACCESS_TOKEN", "EAAG-secret"}});
  auto cursor = parse_mcp_options(
      {"--print-config", "cursor-http", "--url", "https://pons.example.com/mcp"}, env, "/");
  REQUIRE(std::holds_alternative<mcp_options>(cursor));
  auto text = config_snippet(std::get<mcp_options>(cursor), "/opt/pons-mcp", env);
  auto v = boost::json::parse(text);
  const auto& server = v.at("mcpServers").at("pons");
  CHECK(server.at("url") == "https://pons.example.com/mcp");
  CHECK(server.at("headers").at("Authorization").as_string().starts_with("Bearer <"));
  CHECK_FALSE(server.as_object().contains("command"));
  CHECK(text.find("EAAG-secret") == std::string::npos);

  auto claude = parse_mcp_options({"--print-config", "claude-code-http"}, env, "/");
  REQUIRE(std::holds_alternative<mcp_options>(claude));
  auto command = config_snippet(std::get<mcp_options>(claude), "/opt/pons-mcp", env);
  CHECK(
      command.starts_with("claude mcp add --transport http --scope user pons "
                          "http://127.0.0.1:8080/mcp"));
  CHECK(command.find("--header 'Authorization: Bearer <API key from pons-webhook keys create>'") !=
        std::string::npos);
  CHECK(command.find("EAAG-secret") == std::string::npos);

  for (const char* bad : {"ftp://x/mcp", "pons.example.com/mcp", "https:///mcp", ""}) {
    CHECK(std::holds_alternative<std::string>(
        parse_mcp_options({"--print-config", "cursor-http", "--url", bad}, env, "/")));
  }
}
