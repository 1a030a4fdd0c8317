// pons-webhook's command line as a user meets it: a help page per command, one-line usage
// errors that point at the right help page, and `targets test` sending a well-formed event.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support/command_run.hpp"
#include "support/forward_receiver.hpp"

namespace fs = std::filesystem;
using pons::test::command_result;
using pons::test::run_command;
using pons::test::temp_dir;

namespace {

struct cli {
  temp_dir root;
  std::string scratch = root.file("scratch");
  std::vector<std::string> env{"PONS_DB=" + root.file("data/pons.db")};
  cli() { fs::create_directories(scratch); }
  command_result operator()(const std::vector<std::string>& args) {
    return run_command(PONS_WEBHOOK_BIN, args, env, root.path(), scratch, std::chrono::seconds(20));
  }
};

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("every pons-webhook command has its own help page", "[cli][admin]") {
  cli run;
  const std::vector<std::vector<std::string>> pages{
      {"--help"},
      {"targets", "--help"},
      {"targets", "add", "--help"},
      {"targets", "list", "--help"},
      {"targets", "show", "--help"},
      {"targets", "update", "--help"},
      {"targets", "remove", "--help"},
      {"targets", "rotate-secret", "--help"},
      {"targets", "test", "--help"},
      {"deliveries", "--help"},
      {"deliveries", "list", "--help"},
      {"deliveries", "show", "--help"},
      {"deliveries", "retry", "--help"},
      {"users", "--help"},
      {"users", "add", "--help"},
      {"users", "list", "--help"},
      {"users", "remove", "--help"},
      {"users", "passwd", "--help"},
      {"users", "disable", "--help"},
      {"users", "enable", "--help"},
  };
  std::set<std::string> seen;
  for (const auto& args : pages) {
    auto r = run(args);
    std::string command = "pons-webhook";
    for (const auto& a : args)
      if (a != "--help") command += " " + a;
    INFO(command << "\n" << r.out << r.err);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(r.out.rfind("usage: " + command, 0) == 0);
    CHECK(seen.insert(r.out).second);
  }
  // Help anywhere after the command, and the `help` word, show the same page.
  CHECK(run({"targets", "add", "--url", "https://x.example/h", "--help"}).out ==
        run({"targets", "add", "--help"}).out);
  CHECK(run({"targets", "help"}).out == run({"targets", "--help"}).out);
  CHECK(run({"serve", "--help"}).out == run({"--help"}).out);
  // The top page names the admin commands; a command's page describes its own options only.
  auto top = run({"--help"}).out;
  CHECK(top.find("targets") != std::string::npos);
  CHECK(top.find("deliveries") != std::string::npos);
  CHECK(top.find("users") != std::string::npos);
  auto add = run({"targets", "add", "--help"}).out;
  CHECK(add.find("--events") != std::string::npos);
  CHECK(add.find("--state") == std::string::npos);
  // Help never needs the database.
  CHECK_FALSE(fs::exists(run.root.file("data/pons.db")));
}

TEST_CASE("bad usage: exit 2 and one line naming the help page", "[cli][admin]") {
  cli run;
  struct usage_case {
    std::vector<std::string> args;
    std::string help;
  };
  const std::vector<usage_case> cases{
      {{"--nope"}, "pons-webhook --help"},
      {{"--port", "x"}, "pons-webhook --help"},
      {{"targets"}, "pons-webhook targets --help"},
      {{"targets", "bogus"}, "pons-webhook targets --help"},
      {{"targets", "add"}, "pons-webhook targets add --help"},
      {{"targets", "list", "--url", "https://x.example/h"}, "pons-webhook targets list --help"},
      {{"targets", "show"}, "pons-webhook targets show --help"},
      {{"targets", "show", "abc"}, "pons-webhook targets show --help"},
      {{"deliveries"}, "pons-webhook deliveries --help"},
      {{"deliveries", "list", "--state", "lost"}, "pons-webhook deliveries list --help"},
      {{"deliveries", "retry"}, "pons-webhook deliveries retry --help"},
  };
  for (const auto& c : cases) {
    auto r = run(c.args);
    std::string command;
    for (const auto& a : c.args) command += " " + a;
    INFO("pons-webhook" << command << "\n" << r.err);
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind("pons-webhook: ", 0) == 0);
    CHECK(r.err.find("(see '" + c.help + "')") != std::string::npos);
  }
}

TEST_CASE("targets test sends a pons.test event with a documented event id", "[cli][admin]") {
  using pons::forward_test::received;
  using pons::forward_test::receiver;
  using pons::forward_test::reply;
  receiver rx([](const received&, std::size_t) { return reply{200}; });
  cli run;
  auto added = run({"targets", "add", "--url", rx.url("/hook"), "--json"});
  INFO(added.err);
  REQUIRE(added.code == 0);
  auto tested = run({"targets", "test", "1"});
  INFO(tested.out << tested.err);
  REQUIRE(tested.code == 0);
  REQUIRE(rx.wait_for(1, std::chrono::seconds(10)) == 1);
  const auto request = rx.requests().front();
  auto body = boost::json::parse(request.body);
  CHECK(body.at("type") == "pons.test");
  const std::string id(body.at("id").as_string());
  CHECK(std::regex_match(id, std::regex("evt_[0-9a-f]{32}")));
  CHECK(request.headers.at("x-pons-event-id") == id);
}
