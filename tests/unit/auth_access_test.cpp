// Which API key may send which MCP message. The second half registers every tool, resource and
// prompt pons-mcp has and checks each tool declares a scope that agrees with its annotations: a
// new tool cannot reach a key without one.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pons/auth/access.hpp"
#include "pons/mcp/tools/number_health_tool.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/send_tools.hpp"
#include "pons/mcp/tools/template_tools.hpp"

namespace json = boost::json;
using namespace pons::auth;
using pons::mcp::account_scope;
using pons::mcp::registry;
using pons::mcp::scope;
using pons::mcp::tool_def;

namespace {

registry test_registry() {
  registry reg;
  const std::vector<std::pair<std::string, std::optional<scope>>> tools{
      {"list_conversations", scope::read},
      {"send_text", scope::send},
      {"mark_read", scope::send},
      {"undeclared", std::nullopt}};
  for (const auto& [name, s] : tools) {
    tool_def t;
    t.name = name;
    t.required_scope = s;
    reg.add_tool(std::move(t));
  }
  return reg;
}

json::value call(std::string_view tool) {
  return json::object{{"jsonrpc", "2.0"},
                      {"id", 1},
                      {"method", "tools/call"},
                      {"params", json::object{{"name", tool}, {"arguments", json::object{}}}}};
}

json::value request(std::string_view method) {
  return json::object{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}};
}

grant reader() {
  return {{scope::read}, account_scope::every_account()};
}

grant sender() {
  return {{scope::read, scope::send}, account_scope::only("100000000000001")};
}

}  // namespace

TEST_CASE("access: a read key reads, lists, gets resources and prompts, and sends nothing",
          "[auth][keys]") {
  auto reg = test_registry();
  for (const char* method :
       {"initialize", "ping", "tools/list", "resources/list", "resources/read",
        "resources/templates/list", "resources/subscribe", "prompts/list", "prompts/get",
        "completion/complete", "logging/setLevel", "notifications/initialized"}) {
    INFO(method);
    CHECK(decide(reader(), request(method), reg).allowed);
  }
  CHECK(decide(reader(), call("list_conversations"), reg).allowed);
  for (const char* tool : {"send_text", "mark_read"}) {
    auto d = decide(reader(), call(tool), reg);
    CHECK_FALSE(d.allowed);
    CHECK(d.needed == std::vector<scope>{scope::read, scope::send});
    CHECK(d.reason == std::string("the tool ") + tool + " needs an API key with the send scope");
  }
  // A tool that is not registered needs read only: the engine answers that it does not exist.
  CHECK(decide(reader(), call("no_such_tool"), reg).allowed);
  // Anything the engine will refuse as malformed needs read only too.
  CHECK(decide(reader(), json::value(42), reg).allowed);
  CHECK(
      decide(reader(), json::parse(R"({"method":"tools/call","params":{"name":7}})"), reg).allowed);
}

TEST_CASE("access: a send key calls the send tools, and an undeclared tool is nobody's",
          "[auth][keys]") {
  auto reg = test_registry();
  CHECK(decide(sender(), call("send_text"), reg).allowed);
  CHECK(decide(sender(), call("mark_read"), reg).allowed);
  auto d = decide(sender(), call("undeclared"), reg);
  CHECK_FALSE(d.allowed);
  CHECK(d.needed.empty());
  CHECK(d.reason == "the tool undeclared cannot be called with an API key");
}

TEST_CASE("access: a batch is allowed only when every message in it is", "[auth][keys]") {
  auto reg = test_registry();
  json::array batch{request("tools/list"), call("list_conversations")};
  CHECK(decide(reader(), batch, reg).allowed);
  batch.push_back(call("send_text"));
  CHECK_FALSE(decide(reader(), batch, reg).allowed);
  CHECK(decide(sender(), batch, reg).allowed);
}

TEST_CASE("access: the grant of a stored key carries its scopes and its account", "[auth][keys]") {
  pons::store::api_key key;
  key.scopes = {"read", "send", "future"};
  key.waba_id = "100000000000002";
  auto g = grant_of(key);
  CHECK(g.scopes == std::vector<scope>{scope::read, scope::send});
  CHECK(g.account.waba_id == "100000000000002");
  key.scopes = {"read"};
  key.waba_id.clear();
  g = grant_of(key);
  CHECK(g.has(scope::read));
  CHECK_FALSE(g.has(scope::send));
  CHECK(g.account.everything());
}

TEST_CASE("access: every Pons tool declares its scope, read-only tools read", "[auth][keys]") {
  registry reg;
  pons::mcp::send_tools_deps deps;
  pons::meta::send_pacer pacer;
  deps.pacer = &pacer;
  pons::mcp::register_read_tools(reg, deps.read);
  pons::mcp::register_resources_and_prompts(reg, deps.read);
  pons::mcp::register_send_tools(reg, deps);
  pons::mcp::register_number_health_tool(reg, deps);
  pons::mcp::register_template_tools(reg, deps);
  REQUIRE(reg.tools().size() >= 17);
  std::vector<std::string> send_tools;
  std::vector<std::string> calls_out;
  for (const auto& t : reg.tools()) {
    INFO(t.name);
    REQUIRE(t.required_scope.has_value());
    // The scope is explicit; the hints merely have to agree with it.
    CHECK((*t.required_scope == scope::read) == t.annotations.read_only.value_or(false));
    if (*t.required_scope == scope::send) send_tools.push_back(t.name);
    // The tools that talk to Meta (open world) are the ones that run on the call-out workers.
    CHECK(t.calls_out == t.annotations.open_world.value_or(false));
    if (t.calls_out) calls_out.push_back(t.name);
  }
  std::sort(send_tools.begin(), send_tools.end());
  std::sort(calls_out.begin(), calls_out.end());
  CHECK(calls_out == std::vector<std::string>{"create_template", "delete_template",
                                              "get_number_health", "mark_read", "send_interactive",
                                              "send_location", "send_media", "send_reaction",
                                              "send_template", "send_text", "sync_templates"});
  CHECK(send_tools == std::vector<std::string>{"create_template", "delete_template", "mark_read",
                                               "send_interactive", "send_location", "send_media",
                                               "send_reaction", "send_template", "send_text",
                                               "sync_templates"});
}
