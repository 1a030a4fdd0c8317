// The engine hands its session's account scope to every call, listing and completion, so a
// transport that opens a session for an account-scoped API key limits everything it serves.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "pons/mcp/account_scope.hpp"
#include "pons/mcp/engine.hpp"
#include "pons/mcp/scope.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using namespace std::chrono_literals;

namespace {

class collecting_sink : public message_sink {
 public:
  void send(std::string message) override {
    {
      std::lock_guard lock(mutex_);
      messages_.push_back(json::parse(message));
    }
    cv_.notify_all();
  }
  // The response with this id (null after 5 s, so a hang fails instead of blocking).
  json::value response(std::int64_t id) {
    std::unique_lock lock(mutex_);
    json::value found;
    cv_.wait_for(lock, 5s, [&] {
      for (const auto& m : messages_) {
        if (m.as_object().contains("id") && m.at("id") == json::value(id)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<json::value> messages_;
};

std::string name_of(const account_scope& scope) {
  return scope.waba_id.value_or("every account");
}

registry scoped_registry() {
  registry reg;
  tool_def whose;
  whose.name = "whose";
  whose.description = "Says whose data the call may see.";
  whose.input_schema = json::object{{"type", "object"}};
  whose.required_scope = scope::read;
  whose.handler = [](const json::object&, call_context& ctx) {
    return tool_result::text(name_of(ctx.account()));
  };
  reg.add_tool(whose);
  reg.set_resource_lister([](const account_scope& scope) {
    return std::vector<resource_info>{{"test://" + name_of(scope), "listed", "", "", "text/plain"}};
  });
  resource_template_def item;
  item.uri_template = "test://items/{id}";
  item.name = "item";
  item.read = [](std::string_view uri, const std::map<std::string, std::string>&,
                 call_context& ctx) {
    return resource_result::text(std::string(uri), "text/plain", name_of(ctx.account()));
  };
  item.complete = [](std::string_view, std::string_view, const std::map<std::string, std::string>&,
                     const call_context& ctx) {
    return std::vector<std::string>{name_of(ctx.account())};
  };
  reg.add_resource_template(item);
  return reg;
}

struct session {
  registry reg = scoped_registry();
  worker_pool pool{1, 8};
  collecting_sink sink;
  engine e;

  explicit session(account_scope scope)
      : e(reg, pool, sink, [&] {
          engine_options o;
          o.account = std::move(scope);
          return o;
        }()) {
    e.handle_text(
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    REQUIRE(sink.response(1).is_object());
    e.handle_text(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  }

  json::value result(std::int64_t id, std::string_view method, json::object params) {
    e.handle_text(json::serialize(
        json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}));
    auto r = sink.response(id);
    REQUIRE(r.is_object());
    INFO(json::serialize(r));
    REQUIRE(r.as_object().contains("result"));
    return r.at("result");
  }
};

}  // namespace

TEST_CASE("engine: the session's account scope reaches calls, listings and completions",
          "[mcp][keys]") {
  for (const auto& scope : {account_scope::only("100000000000002"), account_scope{}}) {
    session s(scope);
    const std::string expected = name_of(scope);
    auto called = s.result(2, "tools/call", {{"name", "whose"}, {"arguments", json::object{}}});
    CHECK(called.at("content").at(0).at("text") == expected.c_str());
    auto listed = s.result(3, "resources/list", {});
    CHECK(listed.at("resources").at(0).at("uri") == ("test://" + expected).c_str());
    auto read = s.result(4, "resources/read", {{"uri", "test://items/7"}});
    CHECK(read.at("contents").at(0).at("text") == expected.c_str());
    auto completed =
        s.result(5, "completion/complete",
                 {{"ref", json::object{{"type", "ref/resource"}, {"uri", "test://items/{id}"}}},
                  {"argument", json::object{{"name", "id"}, {"value", ""}}}});
    CHECK(completed.at("completion").at("values").at(0) == expected.c_str());
  }
}

TEST_CASE("account scope: every account allows all, one account only itself", "[mcp][keys]") {
  auto all = account_scope::every_account();
  CHECK(all.everything());
  CHECK(all.allows("1"));
  auto one = account_scope::only("1");
  CHECK_FALSE(one.everything());
  CHECK(one.allows("1"));
  CHECK_FALSE(one.allows("2"));
  CHECK_FALSE(one.allows(""));
}

TEST_CASE("scopes have wire names and nothing else parses", "[mcp][keys]") {
  CHECK(to_string(scope::read) == "read");
  CHECK(to_string(scope::send) == "send");
  CHECK(parse_scope("read") == scope::read);
  CHECK(parse_scope("send") == scope::send);
  CHECK_FALSE(parse_scope("Read"));
  CHECK_FALSE(parse_scope("admin"));
  CHECK_FALSE(parse_scope(""));
}
