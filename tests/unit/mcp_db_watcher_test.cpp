// What a session hears of the database watcher's changes: a session scoped to one account hears
// only of its own account's conversations; an unscoped one of everything.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <string>

#include "pons/mcp/engine.hpp"
#include "pons/mcp/tools/db_watcher.hpp"

using namespace pons::mcp;
namespace json = boost::json;

namespace {

// Engine notifications are sent on the calling thread: no waiting needed.
class collecting_sink : public message_sink {
 public:
  void send(std::string message) override {
    std::lock_guard lock(mutex_);
    auto v = json::parse(message);
    const auto& o = v.as_object();
    if (!o.contains("method")) return;
    std::string what(o.at("method").as_string());
    if (auto* params = o.if_contains("params"); params && params->as_object().contains("uri"))
      what += " " + std::string(params->at("uri").as_string());
    heard_.insert(what);
  }
  std::set<std::string> heard() {
    std::lock_guard lock(mutex_);
    return heard_;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    heard_.clear();
  }

 private:
  std::mutex mutex_;
  std::set<std::string> heard_;
};

registry conversations() {
  registry reg;
  resource_def inbox;
  inbox.uri = "pons://inbox";
  inbox.name = "inbox";
  inbox.read = [](std::string_view uri, call_context&) {
    return resource_result::text(std::string(uri), "application/json", "[]");
  };
  reg.add_resource(inbox);
  resource_def templates = inbox;
  templates.uri = "pons://templates";
  templates.name = "templates";
  reg.add_resource(templates);
  resource_template_def conv;
  conv.uri_template = "pons://conversations/{id}";
  conv.name = "conversation";
  conv.read = [](std::string_view uri, const std::map<std::string, std::string>&, call_context&) {
    return resource_result::text(std::string(uri), "text/plain", "");
  };
  reg.add_resource_template(conv);
  return reg;
}

struct session {
  explicit session(account_scope account)
      : e(reg, pool, sink, [&] {
          engine_options o;
          o.account = std::move(account);
          return o;
        }()) {
    e.handle_text(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
                  R"("2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    e.handle_text(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    int id = 2;
    for (const char* uri :
         {"pons://inbox", "pons://templates", "pons://conversations/1", "pons://conversations/2"}) {
      e.handle_text(json::serialize(json::object{{"jsonrpc", "2.0"},
                                                 {"id", id++},
                                                 {"method", "resources/subscribe"},
                                                 {"params", {{"uri", uri}}}}));
    }
    sink.clear();
  }
  registry reg = conversations();
  worker_pool pool{1, 8};
  collecting_sink sink;
  engine e;
};

const std::string updated = "notifications/resources/updated ";
const std::string list_changed = "notifications/resources/list_changed";

}  // namespace

TEST_CASE("change notifications: a scoped session hears only of its own account", "[mcp]") {
  db_changes both;
  both.conversation_ids = {1, 2};
  both.conversation_accounts = {"111", "222"};
  both.new_conversations = true;
  db_changes only_b;
  only_b.conversation_ids = {2};
  only_b.conversation_accounts = {"222"};
  only_b.new_conversations = true;
  only_b.templates_changed = true;
  only_b.template_accounts = {"222"};
  db_changes templates_of_a;
  templates_of_a.templates_changed = true;
  templates_of_a.template_accounts = {"111"};

  SECTION("account 111") {
    session s(account_scope::only("111"));
    notify_changes(s.e, both);
    CHECK(s.sink.heard() == std::set<std::string>{updated + "pons://conversations/1",
                                                  updated + "pons://inbox", list_changed});
    s.sink.clear();
    notify_changes(s.e, only_b);
    CHECK(s.sink.heard().empty());
    notify_changes(s.e, templates_of_a);
    CHECK(s.sink.heard() == std::set<std::string>{updated + "pons://templates"});
  }
  SECTION("every account") {
    session s(account_scope::every_account());
    notify_changes(s.e, only_b);
    CHECK(s.sink.heard() == std::set<std::string>{updated + "pons://conversations/2",
                                                  updated + "pons://inbox", list_changed,
                                                  updated + "pons://templates"});
  }
}
