#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pons/cli/admin_command.hpp"

using namespace pons::cli;

namespace {

std::string refuse(std::string_view name, std::string_view) {
  return "no " + std::string(name);
}

const admin_group& group() {
  static const admin_group g{
      "things",
      "the things page\n",
      {{"add", "the add page\n", {{"--db", "--name"}, {"--json"}}}, {"list", "list page\n", {}}},
      [](const admin_command& c, std::string_view name, std::string_view) {
        return "things " + c.verb + " does not take " + std::string(name);
      }};
  return g;
}

}  // namespace

TEST_CASE("admin command: flags with a separate or an inline value, switches, positionals",
          "[cli]") {
  std::vector<std::string_view> args{"x", "--name", "a b", "--db=f.db", "--json", "y"};
  auto p = parse_flags(args, {{"--name", "--db"}, {"--json"}}, refuse);
  CHECK(p.error.empty());
  CHECK(p.positional == std::vector<std::string>{"x", "y"});
  CHECK(p.value("--name") == "a b");
  CHECK(p.value("--db") == "f.db");
  CHECK_FALSE(p.value("--other"));
  CHECK(p.has("--json"));
}

TEST_CASE("admin command: a missing value, an unknown flag, a switch with a value", "[cli]") {
  std::vector<std::string_view> missing{"--name"};
  CHECK(parse_flags(missing, {{"--name"}, {}}, refuse).error == "--name needs a value");
  std::vector<std::string_view> unknown{"--bogus=1"};
  CHECK(parse_flags(unknown, {{"--name"}, {}}, refuse).error == "no --bogus");
  std::vector<std::string_view> valued_switch{"--json=1"};
  CHECK(parse_flags(valued_switch, {{}, {"--json"}}, refuse).error == "no --json");
}

TEST_CASE("admin command: help pages, usage errors and the command to run", "[cli]") {
  std::vector<std::string_view> bare{"things"};
  auto none = prepare_admin(bare, group());
  CHECK(none.error == "things needs a command: add, list");
  CHECK(none.topic == "things");

  std::vector<std::string_view> help{"things", "help"};
  CHECK(prepare_admin(help, group()).help == "the things page\n");
  std::vector<std::string_view> add_help{"things", "add", "--name", "-h"};
  auto page = prepare_admin(add_help, group());
  CHECK(page.help == "the add page\n");
  CHECK(page.topic == "things add");

  std::vector<std::string_view> unknown{"things", "drop"};
  CHECK(prepare_admin(unknown, group()).error ==
        "unknown command 'things drop'; the commands are add, list");
  std::vector<std::string_view> refused{"things", "list", "--name", "n"};
  CHECK(prepare_admin(refused, group()).error == "things list does not take --name");

  std::vector<std::string_view> add{"things", "add", "--name", "n"};
  auto inv = prepare_admin(add, group());
  REQUIRE(inv.command);
  CHECK(inv.command->verb == "add");
  CHECK(inv.flags.value("--name") == "n");
  std::ostringstream out, err;
  CHECK_FALSE(answer_without_running(inv, out, err));
  CHECK(answer_without_running(prepare_admin(refused, group()), out, err) == 2);
  CHECK(err.str() ==
        "pons-webhook: things list does not take --name (see 'pons-webhook things list --help')\n");
  CHECK(answer_without_running(page, out, err) == 0);
  CHECK(out.str() == "the add page\n");
}

TEST_CASE("admin command: a failure names what failed and why", "[cli]") {
  std::ostringstream err;
  CHECK(operation_failed(err, "cannot list", make_error_code(boost::system::errc::io_error)) == 1);
  CHECK(err.str().rfind("pons-webhook: cannot list: ", 0) == 0);
}
