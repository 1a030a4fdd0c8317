#include <fmt/format.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "pons/mcp/engine.hpp"

namespace json = boost::json;
using namespace pons::mcp;
using namespace std::chrono_literals;

namespace {

// Collects what the engine sends; tests wait for messages because tool calls run on threads.
class capture_sink : public message_sink {
 public:
  void send(std::string message) override {
    {
      std::lock_guard lock(mutex_);
      messages_.push_back(json::parse(message));
    }
    cv_.notify_all();
  }
  // Waits until a message satisfying `pred` arrives; returns it (null on timeout).
  template <class Pred>
  json::value wait_for(Pred pred, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    json::value found;
    cv_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  json::value response(std::int64_t id, std::chrono::milliseconds timeout = 5s) {
    return wait_for(
        [id](const json::value& m) {
          return m.is_object() && m.as_object().contains("id") && m.at("id") == json::value(id);
        },
        timeout);
  }
  // Waits until `n + 1` messages satisfy `pred`; returns the last of them (null on timeout).
  template <class Pred>
  json::value nth(Pred pred, std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    json::value found;
    cv_.wait_for(lock, timeout, [&] {
      std::size_t seen = 0;
      for (const auto& m : messages_) {
        if (pred(m) && seen++ == n) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  std::vector<json::value> all() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<json::value> messages_;
};

bool is_notification(const json::value& m, std::string_view method) {
  return m.is_object() && m.as_object().contains("method") && m.at("method") == method.data();
}

json::object echo_schema() {
  return json::parse(R"({"type":"object","additionalProperties":false,
      "properties":{"text":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100}},
      "required":["text"]})")
      .as_object();
}

// How many "slow" calls started, and how many ended because they were cancelled: what tells a
// cancellation from the call running out on its own, without timing it.
std::atomic<int> slow_calls_started{0};
std::atomic<int> slow_calls_cancelled{0};

// Waits (at most 30 s, as protection from a hang) until `counter` has moved past `before`.
bool moved_past(const std::atomic<int>& counter, int before) {
  for (int i = 0; i < 3000 && counter <= before; ++i) std::this_thread::sleep_for(10ms);
  return counter > before;
}

// A tool that sends `method` to the client and says what came back (structured).
tool_def ask_tool() {
  tool_def ask;
  ask.name = "ask";
  ask.description = "Sends `method` to the client and says what came back.";
  ask.input_schema = json::parse(R"({"type":"object","properties":{"method":{"type":"string"},
      "timeout_ms":{"type":"integer","minimum":0},"maxTokens":{"type":"integer"}},
      "required":["method"]})")
                         .as_object();
  ask.handler = [](const json::object& args, call_context& ctx) {
    std::optional<std::chrono::milliseconds> timeout;
    if (const auto* t = args.if_contains("timeout_ms")) {
      timeout = std::chrono::milliseconds(t->to_number<std::int64_t>());
    }
    // maxTokens tells apart the requests of calls running at once.
    std::int64_t max_tokens = 10;
    if (const auto* m = args.if_contains("maxTokens")) max_tokens = m->to_number<std::int64_t>();
    auto reply = ctx.request_client(args.at("method").as_string(),
                                    json::object{{"maxTokens", max_tokens}}, timeout);
    json::object out{{"ok", reply.ok()}, {"result", reply.result}, {"message", reply.message}};
    if (reply.failure) out["failure"] = to_string(*reply.failure);
    return tool_result::structured_result(out, reply.message);
  };
  return ask;
}

registry make_registry() {
  registry reg;
  tool_def echo;
  echo.name = "echo";
  echo.title = "Echo";
  echo.description = "Returns its text.";
  echo.input_schema = echo_schema();
  echo.output_schema =
      json::parse(R"({"type":"object","properties":{"text":{"type":"string"}}})").as_object();
  echo.annotations.read_only = true;
  echo.handler = [](const json::object& args, call_context&) {
    std::string text(args.at("text").as_string());
    if (text == "fail") return tool_result::error("it failed; try another text");
    if (text == "bad") return tool_result::invalid_argument("text", "must not be bad");
    if (text == "link") {
      tool_result r;
      r.content.push_back(json::object{{"type", "resource_link"},
                                       {"uri", "file:///x.pdf"},
                                       {"name", "x.pdf"},
                                       {"mimeType", "application/pdf"}});
      return r;
    }
    if (text == "written") {
      return tool_result::written_result(R"({"text":"written \"as is\""})", "written text");
    }
    return tool_result::structured_result(json::object{{"text", text}}, text);
  };
  reg.add_tool(echo);

  tool_def slow;
  slow.name = "slow";
  slow.description = "Waits until cancelled (at most 60 s), reporting progress.";
  slow.input_schema = json::parse(R"({"type":"object"})").as_object();
  slow.handler = [](const json::object&, call_context& ctx) {
    ++slow_calls_started;
    for (int i = 1; i <= 600; ++i) {
      ctx.progress(i, 600, "waiting");
      if (ctx.token().wait_for(100ms)) break;
    }
    if (ctx.cancelled()) ++slow_calls_cancelled;
    return tool_result::text(ctx.cancelled() ? "cancelled" : "done");
  };
  reg.add_tool(slow);

  tool_def steps;
  steps.name = "steps";
  steps.description = "Reports three progress steps.";
  steps.input_schema = json::parse(R"({"type":"object"})").as_object();
  steps.handler = [](const json::object&, call_context& ctx) {
    ctx.progress(1, 3);
    ctx.progress(1, 3);  // not increasing: dropped
    ctx.progress(2, 3, "half");
    ctx.progress(3, 3);
    return tool_result::text("ok");
  };
  reg.add_tool(steps);

  tool_def wait;
  wait.name = "wait";
  wait.description = "Says it started (progress), then waits until cancelled.";
  wait.input_schema = json::parse(R"({"type":"object"})").as_object();
  wait.long_wait = true;
  wait.handler = [](const json::object&, call_context& ctx) {
    ctx.progress(1, std::nullopt, "waiting");
    while (!ctx.token().wait_for(1h)) {
    }
    return tool_result::text("cancelled");
  };
  reg.add_tool(wait);

  resource_def inbox;
  inbox.uri = "pons://inbox";
  inbox.name = "inbox";
  inbox.title = "Inbox";
  inbox.mime_type = "application/json";
  inbox.read = [](std::string_view uri, call_context&) {
    return resource_result::text(std::string(uri), "application/json", "[]");
  };
  reg.add_resource(inbox);

  resource_template_def conv;
  conv.uri_template = "pons://conversations/{id}";
  conv.name = "conversation";
  conv.read = [](std::string_view uri, const std::map<std::string, std::string>& vars,
                 call_context&) {
    if (vars.at("id") == "404") return resource_result::not_found(uri);
    return resource_result::text(std::string(uri), "text/plain", "conversation " + vars.at("id"));
  };
  conv.complete = [](std::string_view, std::string_view value,
                     const std::map<std::string, std::string>&, const call_context&) {
    std::vector<std::string> out;
    for (std::string id : {"1", "12", "2"}) {
      if (id.rfind(value, 0) == 0) out.push_back(id);
    }
    return out;
  };
  reg.add_resource_template(conv);

  prompt_def reply;
  reply.name = "draft_reply";
  reply.title = "Draft a reply";
  reply.description = "Draft a reply to a contact.";
  reply.arguments = {{"contact", "who", true}};
  reply.get = [](const std::map<std::string, std::string>& args, call_context&) {
    prompt_result r;
    r.messages.push_back(json::object{
        {"role", "user"},
        {"content", json::object{{"type", "text"}, {"text", "Reply to " + args.at("contact")}}}});
    return r;
  };
  reply.complete = [](std::string_view arg, std::string_view value,
                      const std::map<std::string, std::string>&, const call_context&) {
    std::vector<std::string> out;
    if (arg != "contact") return out;
    for (std::string name : {"Alice", "Alan", "Bob"}) {
      if (name.rfind(value, 0) == 0) out.push_back(name);
    }
    return out;
  };
  reg.add_prompt(reply);
  return reg;
}

struct fixture {
  registry reg = make_registry();
  worker_pool pool{2, 16};
  capture_sink sink;
  engine session{reg, pool, sink, [] {
                   engine_options o;
                   o.page_size = 2;
                   o.instructions = "test";
                   return o;
                 }()};

  void send(const std::string& text) { session.handle_text(text); }

  json::value request(std::int64_t id, std::string_view method, json::object params = {}) {
    json::object msg{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
    if (!params.empty()) msg["params"] = std::move(params);
    session.handle_text(json::serialize(msg));
    return sink.response(id);
  }

  json::value init(std::string_view version = "2025-11-25", json::object capabilities = {}) {
    auto r =
        request(1000, "initialize",
                json::object{{"protocolVersion", version},
                             {"capabilities", std::move(capabilities)},
                             {"clientInfo", json::object{{"name", "tests"}, {"version", "1"}}}});
    send(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    return r;
  }
};

std::int64_t error_code(const json::value& response) {
  return response.at("error").at("code").as_int64();
}

}  // namespace

TEST_CASE("engine negotiates every supported version and falls back to the latest", "[mcp]") {
  for (std::string v : {"2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"}) {
    fixture f;
    auto r = f.init(v);
    CHECK(r.at("result").at("protocolVersion") == v.c_str());
    const auto& caps = r.at("result").at("capabilities").as_object();
    CHECK(caps.contains("tools"));
    CHECK(caps.at("resources").at("subscribe") == true);
    CHECK(caps.contains("logging"));
    CHECK(caps.contains("completions") == (v != "2024-11-05"));
    const auto& info = r.at("result").at("serverInfo").as_object();
    CHECK(info.at("name") == "pons");
    CHECK(info.contains("title") == (v >= "2025-06-18"));
    CHECK(r.at("result").at("instructions") == "test");
  }
  fixture f;
  auto r = f.init("1999-01-01");
  CHECK(r.at("result").at("protocolVersion") == "2025-11-25");
}

TEST_CASE("engine answers each JSON-RPC error code and keeps serving", "[mcp]") {
  fixture f;
  SECTION("requests before initialize are refused, ping is not") {
    auto r = f.request(1, "tools/list");
    CHECK(error_code(r) == -32600);
    CHECK(f.request(2, "ping").at("result").as_object().empty());
  }
  f.init();
  f.send("{not json");
  auto parse = f.sink.wait_for(
      [](const json::value& m) { return m.as_object().contains("error") && m.at("id").is_null(); });
  REQUIRE(parse.is_object());
  CHECK(error_code(parse) == -32700);

  f.send(R"({"jsonrpc":"1.0","id":5,"method":"ping"})");
  CHECK(error_code(f.sink.response(5)) == -32600);
  CHECK(error_code(f.request(6, "no/such/method")) == -32601);
  auto bad_level = f.request(7, "logging/setLevel", {{"level", "loud"}});
  CHECK(error_code(bad_level) == -32602);
  CHECK(bad_level.at("error").at("data").at("field") == "params.level");
  CHECK(error_code(f.request(8, "initialize", {{"protocolVersion", "2025-11-25"}})) == -32600);

  std::size_t before = f.sink.count();
  f.send(R"({"jsonrpc":"2.0","method":"notifications/whatever"})");
  f.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":999}})");
  f.session.handle_oversized(1024);
  auto oversized = f.sink.wait_for([](const json::value& m) {
    return m.as_object().contains("error") &&
           m.at("error").at("message").as_string().find("1024") != json::string::npos;
  });
  REQUIRE(oversized.is_object());
  CHECK(error_code(oversized) == -32600);
  CHECK(f.sink.count() == before + 1);  // notifications got no answer
  CHECK(f.request(9, "ping").at("result").is_object());
}

TEST_CASE("engine rejects batches except under 2025-03-26", "[mcp]") {
  {
    fixture f;
    f.init("2025-11-25");
    f.send(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
    auto r = f.sink.wait_for(
        [](const json::value& m) { return m.is_object() && m.as_object().contains("error"); });
    REQUIRE(r.is_object());
    CHECK(error_code(r) == -32600);
  }
  fixture f;
  f.init("2025-03-26");
  f.send(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},
            {"jsonrpc":"2.0","method":"notifications/initialized"},
            {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}},
            {"jsonrpc":"2.0","id":3,"method":"nope"}])");
  auto batch = f.sink.wait_for([](const json::value& m) { return m.is_array(); });
  REQUIRE(batch.is_array());
  CHECK(batch.as_array().size() == 3);
}

TEST_CASE("engine pages tools/list with an opaque cursor", "[mcp]") {
  fixture f;
  f.init();
  std::vector<std::string> names;
  json::object params;
  for (int page = 0; page < 5; ++page) {
    auto r = f.request(10 + page, "tools/list", params);
    for (const auto& t : r.at("result").at("tools").as_array()) {
      names.emplace_back(t.at("name").as_string());
    }
    const auto& result = r.at("result").as_object();
    if (!result.contains("nextCursor")) break;
    params = {{"cursor", result.at("nextCursor")}};
  }
  CHECK(names == std::vector<std::string>{"echo", "slow", "steps", "wait"});
  CHECK(error_code(f.request(20, "tools/list", {{"cursor", "bogus"}})) == -32602);
}

TEST_CASE("every list method pages the same way", "[mcp]") {
  fixture f;
  // The fixture's registry has one resource, template and prompt: add enough for three pages.
  registry& reg = f.reg;
  for (int i = 2; i <= 5; ++i) {
    std::string n = std::to_string(i);
    resource_def r;
    r.uri = "pons://extra/" + n;
    r.name = "extra" + n;
    r.title = "Extra " + n;
    r.read = [](std::string_view uri, call_context&) {
      return resource_result::text(std::string(uri), "text/plain", "x");
    };
    reg.add_resource(r);
    resource_template_def t;
    t.uri_template = "pons://extra" + n + "/{id}";
    t.name = "extra" + n;
    t.mime_type = "text/plain";
    reg.add_resource_template(t);
    prompt_def p;
    p.name = "prompt" + n;
    reg.add_prompt(p);
  }
  f.init();
  std::int64_t id = 10;
  for (auto [method, key, first] :
       {std::tuple{"resources/list", "resources", "inbox"},
        std::tuple{"resources/templates/list", "resourceTemplates", "conversation"},
        std::tuple{"prompts/list", "prompts", "draft_reply"}}) {
    INFO(method);
    std::vector<std::string> names;
    std::size_t pages = 0;
    json::object params;
    for (; pages < 10; ++pages) {
      auto r = f.request(++id, method, params);
      const auto& result = r.at("result").as_object();
      const auto& items = result.at(key).as_array();
      CHECK(items.size() <= 2);  // page_size
      for (const auto& item : items) names.emplace_back(item.at("name").as_string());
      if (!result.contains("nextCursor")) break;
      params = {{"cursor", result.at("nextCursor")}};
    }
    CHECK(pages == 2);  // three pages: 2 + 2 + 1
    REQUIRE(names.size() == 5);
    CHECK(names.front() == first);
    CHECK(names.back() == (std::string(key) == "prompts" ? "prompt5" : "extra5"));
    auto bad = f.request(++id, method, {{"cursor", "bogus"}});
    CHECK(error_code(bad) == -32602);
    CHECK(bad.at("error").at("data").at("field") == "params.cursor");
    CHECK(error_code(f.request(++id, method, {{"cursor", 7}})) == -32602);
  }
  // Titles and MIME types are rendered through the shared helper.
  auto resources =
      f.request(++id, "resources/list",
                {{"cursor", f.request(++id, "resources/list").at("result").at("nextCursor")}});
  CHECK(resources.at("result").at("resources").at(0).at("title") == "Extra 3");
  auto templates = f.request(++id, "resources/templates/list");
  CHECK(templates.at("result").at("resourceTemplates").at(1).at("mimeType") == "text/plain");
}

TEST_CASE("engine renders tools for the negotiated version", "[mcp]") {
  auto first_tool = [](fixture& f) {
    return f.request(2, "tools/list").at("result").at("tools").at(0);
  };
  fixture modern;
  modern.init("2025-11-25");
  auto t = first_tool(modern);
  CHECK(t.at("title") == "Echo");
  CHECK(t.as_object().contains("outputSchema"));
  CHECK(t.at("annotations").at("readOnlyHint") == true);
  fixture older;
  older.init("2025-03-26");
  t = first_tool(older);
  CHECK_FALSE(t.as_object().contains("title"));
  CHECK_FALSE(t.as_object().contains("outputSchema"));
  CHECK(t.at("annotations").at("readOnlyHint") == true);
  fixture oldest;
  oldest.init("2024-11-05");
  t = first_tool(oldest);
  CHECK_FALSE(t.as_object().contains("annotations"));
}

TEST_CASE("engine calls tools: results, tool errors and argument errors", "[mcp]") {
  fixture f;
  f.init();
  auto call = [&](std::int64_t id, json::object args) {
    return f.request(id, "tools/call", {{"name", "echo"}, {"arguments", std::move(args)}});
  };
  auto ok = call(1, {{"text", "hello"}});
  CHECK(ok.at("result").at("structuredContent").at("text") == "hello");
  CHECK(ok.at("result").at("content").at(0).at("text") == "hello");
  CHECK_FALSE(ok.at("result").as_object().contains("isError"));

  auto failed = call(2, {{"text", "fail"}});
  CHECK(failed.at("result").at("isError") == true);

  auto too_big = call(3, {{"text", "x"}, {"limit", 500}});
  CHECK(error_code(too_big) == -32602);
  CHECK(too_big.at("error").at("data").at("field") == "arguments.limit");
  CHECK_THAT(std::string(too_big.at("error").at("message").as_string()),
             Catch::Contains("at most 100"));
  auto missing = call(4, {});
  CHECK(missing.at("error").at("data").at("field") == "arguments.text");
  auto handler_says_bad = call(5, {{"text", "bad"}});
  CHECK(handler_says_bad.at("error").at("data").at("field") == "arguments.text");

  auto unknown = f.request(6, "tools/call", {{"name", "nope"}});
  CHECK(error_code(unknown) == -32602);
  CHECK_THAT(std::string(unknown.at("error").at("message").as_string()), Catch::Contains("echo"));
  CHECK(error_code(f.request(7, "tools/call", {{"name", "echo"}, {"arguments", "x"}})) == -32602);
  CHECK(f.request(8, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "link"}}}})
            .at("result")
            .at("content")
            .at(0)
            .at("type") == "resource_link");
}

TEST_CASE("a tool's written structured content is answered as it wrote it, in every era", "[mcp]") {
  const json::object args{{"name", "echo"}, {"arguments", {{"text", "written"}}}};
  fixture f;
  f.init("2025-11-25");
  auto r = f.request(1, "tools/call", args);
  CHECK(r.at("result").at("structuredContent").at("text") == "written \"as is\"");
  CHECK(r.at("result").at("content").at(0).at("text") == "written text");

  fixture older;
  older.init("2025-03-26");
  auto o = older.request(1, "tools/call", args);
  CHECK_FALSE(o.at("result").as_object().contains("structuredContent"));
  CHECK(o.at("result").at("content").at(0).at("text") == "written text");

  fixture modern_engine;
  json::object with_meta = args;
  with_meta["_meta"] = json::object{
      {"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
      {"io.modelcontextprotocol/clientCapabilities", json::object{}},
      {"io.modelcontextprotocol/clientInfo", json::object{{"name", "m"}, {"version", "1"}}}};
  auto m = modern_engine.request(1, "tools/call", with_meta);
  const auto& result = m.at("result").as_object();
  CHECK(result.at("structuredContent").at("text") == "written \"as is\"");
  CHECK(result.at("resultType") == "complete");
  CHECK(result.contains("_meta"));
}

TEST_CASE("engine drops structured output and links for older versions", "[mcp]") {
  fixture f;
  f.init("2025-03-26");
  auto r = f.request(1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}});
  CHECK_FALSE(r.at("result").as_object().contains("structuredContent"));
  CHECK(r.at("result").at("content").at(0).at("text") == "hi");
  auto link = f.request(2, "tools/call", {{"name", "echo"}, {"arguments", {{"text", "link"}}}});
  const auto& item = link.at("result").at("content").at(0);
  CHECK(item.at("type") == "text");
  CHECK_THAT(std::string(item.at("text").as_string()), Catch::Contains("file:///x.pdf"));
}

TEST_CASE("a slow tool does not block ping, and a cancelled call gets no response", "[mcp]") {
  fixture f;
  f.init();
  const int started_before = slow_calls_started;
  const int cancelled_before = slow_calls_cancelled;
  f.send(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}})");
  REQUIRE(moved_past(slow_calls_started, started_before));
  auto pong = f.request(8, "ping");
  CHECK(pong.at("result").is_object());
  CHECK(f.session.in_flight() == 1);  // answered while the slow call runs
  f.send(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}})");
  // The handler itself stops early (it would run 60 s on its own).
  CHECK(moved_past(slow_calls_cancelled, cancelled_before));
  for (int i = 0; i < 3000 && f.session.in_flight() != 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(f.session.in_flight() == 0);
  CHECK(f.sink.response(7, 300ms).is_null());
  CHECK(f.request(9, "ping").at("result").is_object());
}

TEST_CASE("shutdown cancels running calls", "[mcp]") {
  fixture f;
  f.init();
  const int started_before = slow_calls_started;
  const int cancelled_before = slow_calls_cancelled;
  f.send(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}})");
  REQUIRE(moved_past(slow_calls_started, started_before));
  f.session.shutdown();
  CHECK(f.session.in_flight() == 0);
  CHECK(slow_calls_cancelled == cancelled_before + 1);
  CHECK(f.sink.response(7, 100ms).is_null());
}

TEST_CASE("engine refuses a second request with a running request's id", "[mcp]") {
  fixture f;
  f.init();
  f.send(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}})");
  f.send(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow"}})");
  auto dup = f.sink.response(7);
  CHECK(error_code(dup) == -32600);
  f.session.shutdown();
}

TEST_CASE("engine sends progress notifications only when asked, increasing", "[mcp]") {
  fixture f;
  f.init();
  f.request(1, "tools/call", {{"name", "steps"}});
  std::size_t progress = 0;
  for (const auto& m : f.sink.all()) progress += is_notification(m, "notifications/progress");
  CHECK(progress == 0);

  auto r = f.request(2, "tools/call", {{"name", "steps"}, {"_meta", {{"progressToken", "tok"}}}});
  CHECK(r.at("result").at("content").at(0).at("text") == "ok");
  std::vector<double> seen;
  for (const auto& m : f.sink.all()) {
    if (!is_notification(m, "notifications/progress")) continue;
    CHECK(m.at("params").at("progressToken") == "tok");
    CHECK(m.at("params").at("total").to_number<double>() == 3);
    seen.push_back(m.at("params").at("progress").to_number<double>());
  }
  CHECK(seen == std::vector<double>{1, 2, 3});
}

TEST_CASE("engine reads, lists and subscribes to resources", "[mcp]") {
  fixture f;
  f.init();
  auto list = f.request(1, "resources/list");
  CHECK(list.at("result").at("resources").at(0).at("uri") == "pons://inbox");
  auto templates = f.request(2, "resources/templates/list");
  CHECK(templates.at("result").at("resourceTemplates").at(0).at("uriTemplate") ==
        "pons://conversations/{id}");
  auto read = f.request(3, "resources/read", {{"uri", "pons://conversations/12"}});
  CHECK(read.at("result").at("contents").at(0).at("text") == "conversation 12");
  CHECK(error_code(f.request(4, "resources/read", {{"uri", "pons://conversations/404"}})) ==
        -32002);
  CHECK(error_code(f.request(5, "resources/read", {{"uri", "pons://elsewhere"}})) == -32002);
  CHECK(error_code(f.request(6, "resources/read")) == -32602);

  CHECK(f.request(7, "resources/subscribe", {{"uri", "pons://inbox"}}).at("result").is_object());
  CHECK(error_code(f.request(8, "resources/subscribe", {{"uri", "pons://nowhere"}})) == -32002);
  f.session.notify_resource_updated("pons://conversations/12");  // not subscribed: silent
  f.session.notify_resource_updated("pons://inbox");
  auto updated = f.sink.wait_for(
      [](const json::value& m) { return is_notification(m, "notifications/resources/updated"); });
  REQUIRE(updated.is_object());
  CHECK(updated.at("params").at("uri") == "pons://inbox");
  f.request(9, "resources/unsubscribe", {{"uri", "pons://inbox"}});
  CHECK(f.session.subscriptions().empty());
}

TEST_CASE("engine lists and renders prompts and completes their arguments", "[mcp]") {
  fixture f;
  f.init();
  auto list = f.request(1, "prompts/list");
  CHECK(list.at("result").at("prompts").at(0).at("arguments").at(0).at("required") == true);
  auto got =
      f.request(2, "prompts/get", {{"name", "draft_reply"}, {"arguments", {{"contact", "Bob"}}}});
  CHECK(got.at("result").at("messages").at(0).at("content").at("text") == "Reply to Bob");
  auto missing = f.request(3, "prompts/get", {{"name", "draft_reply"}});
  CHECK(error_code(missing) == -32602);
  CHECK(missing.at("error").at("data").at("field") == "params.arguments.contact");
  CHECK(error_code(f.request(4, "prompts/get", {{"name", "nope"}})) == -32602);

  auto done = f.request(5, "completion/complete",
                        {{"ref", {{"type", "ref/prompt"}, {"name", "draft_reply"}}},
                         {"argument", {{"name", "contact"}, {"value", "Al"}}}});
  const auto& values = done.at("result").at("completion").at("values").as_array();
  CHECK(values == json::array{"Alice", "Alan"});
  auto res = f.request(6, "completion/complete",
                       {{"ref", {{"type", "ref/resource"}, {"uri", "pons://conversations/{id}"}}},
                        {"argument", {{"name", "id"}, {"value", "1"}}}});
  CHECK(res.at("result").at("completion").at("values") == json::array{"1", "12"});
  CHECK(error_code(f.request(7, "completion/complete",
                             {{"ref", {{"type", "ref/x"}}},
                              {"argument", {{"name", "a"}, {"value", ""}}}})) == -32602);
}

TEST_CASE("engine sends log messages at or above the client's level", "[mcp]") {
  fixture f;
  f.init();
  f.request(1, "logging/setLevel", {{"level", "warning"}});
  f.session.log(log_level::info, "test", "quiet");
  f.session.log(log_level::error, "test", "loud");
  auto msg = f.sink.wait_for(
      [](const json::value& m) { return is_notification(m, "notifications/message"); });
  REQUIRE(msg.is_object());
  CHECK(msg.at("params").at("data") == "loud");
  CHECK(msg.at("params").at("level") == "error");
  std::size_t logs = 0;
  for (const auto& m : f.sink.all()) logs += is_notification(m, "notifications/message");
  CHECK(logs == 1);
}

namespace {

// A session whose wait lane holds `max_waits` calls; the pool has 2 workers.
struct wait_fixture {
  registry reg = make_registry();
  worker_pool pool{2, 16};
  capture_sink sink;
  engine session;

  explicit wait_fixture(std::size_t max_waits)
      : session(reg, pool, sink, [max_waits] {
          engine_options o;
          o.max_waits = max_waits;
          return o;
        }()) {
    session.handle_text(json::serialize(
        json::object{{"jsonrpc", "2.0"},
                     {"id", 1000},
                     {"method", "initialize"},
                     {"params", json::object{{"protocolVersion", "2025-11-25"},
                                             {"capabilities", json::object{}},
                                             {"clientInfo", json::object{{"name", "tests"}}}}}}));
    REQUIRE_FALSE(sink.response(1000).is_null());
  }

  // Starts a wait with a progress token equal to its id; returns once it reported progress
  // (it runs) or was answered (refused).
  json::value start_wait(std::int64_t id) {
    session.handle_text(json::serialize(json::object{
        {"jsonrpc", "2.0"},
        {"id", id},
        {"method", "tools/call"},
        {"params",
         json::object{{"name", "wait"}, {"_meta", json::object{{"progressToken", id}}}}}}));
    return sink.wait_for([id](const json::value& m) {
      const auto& o = m.as_object();
      if (o.contains("id")) return o.at("id") == json::value(id);
      return o.contains("method") && o.at("method") == "notifications/progress" &&
             o.at("params").at("progressToken") == json::value(id);
    });
  }

  void cancel(std::int64_t id) {
    session.handle_text(json::serialize(json::object{{"jsonrpc", "2.0"},
                                                     {"method", "notifications/cancelled"},
                                                     {"params", json::object{{"requestId", id}}}}));
  }

  json::value echo(std::int64_t id) {
    session.handle_text(json::serialize(json::object{
        {"jsonrpc", "2.0"},
        {"id", id},
        {"method", "tools/call"},
        {"params",
         json::object{{"name", "echo"}, {"arguments", json::object{{"text", "quick"}}}}}}));
    return sink.response(id);
  }
};

bool is_progress(const json::value& m) {
  return m.as_object().contains("method") && m.at("method") == "notifications/progress";
}

}  // namespace

TEST_CASE("long waits do not occupy the workers that answer quick calls", "[mcp]") {
  // Three waits, one more than the pool's two workers, all running at once.
  wait_fixture f(4);
  for (std::int64_t id : {1, 2, 3}) CHECK(is_progress(f.start_wait(id)));
  auto quick = f.echo(10);
  REQUIRE_FALSE(quick.is_null());
  CHECK(quick.at("result").at("content").at(0).at("text") == "quick");
  for (std::int64_t id : {1, 2, 3}) f.cancel(id);
  CHECK(f.session.wait_idle(std::chrono::seconds(10)));
}

TEST_CASE(
    "a wait beyond the limit is refused with a clear tool error, and cancelling frees its "
    "place",
    "[mcp]") {
  wait_fixture f(2);
  CHECK(is_progress(f.start_wait(1)));
  CHECK(is_progress(f.start_wait(2)));
  auto refused = f.start_wait(3);
  REQUIRE(refused.as_object().contains("result"));
  CHECK(refused.at("result").at("isError") == true);
  std::string text(refused.at("result").at("content").at(0).at("text").as_string());
  CHECK_THAT(text, Catch::Contains("2") && Catch::Contains("try again", Catch::CaseSensitive::No) &&
                       Catch::Contains("wait"));
  CHECK(f.echo(10).at("result").at("content").at(0).at("text") == "quick");

  // Cancelled waits end (no answer) and give their places back.
  f.cancel(1);
  f.cancel(2);
  CHECK(f.session.wait_idle(std::chrono::seconds(10)));
  CHECK(f.sink.response(1, 0ms).is_null());
  CHECK(f.sink.response(2, 0ms).is_null());
  CHECK(is_progress(f.start_wait(4)));
  CHECK(is_progress(f.start_wait(5)));
  f.cancel(4);
  f.cancel(5);
  CHECK(f.session.wait_idle(std::chrono::seconds(10)));
}

// The modern era (protocol 2026-07-28): requests that carry their revision and the client's
// capabilities in params._meta, served one by one on the same engine as a legacy session.
namespace {

json::object modern_meta(json::object extra = {}) {
  json::object meta{{"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
                    {"io.modelcontextprotocol/clientCapabilities", json::object{}},
                    {"io.modelcontextprotocol/clientInfo",
                     json::object{{"name", "modern-client"}, {"version", "2"}}}};
  for (auto& [k, v] : extra) meta[k] = v;
  return meta;
}

// Sends a modern request (params plus the per-request _meta) and waits for its answer.
json::value modern(fixture& f, std::int64_t id, std::string_view method, json::object params = {},
                   json::object meta_extra = {}) {
  params["_meta"] = modern_meta(std::move(meta_extra));
  return f.request(id, method, std::move(params));
}

// Tools that show what a handler is told about its call, log, or need a client capability.
void add_era_tools(registry& reg) {
  tool_def whoami;
  whoami.name = "whoami";
  whoami.description = "Says what the call context knows.";
  whoami.input_schema = json::parse(R"({"type":"object"})").as_object();
  whoami.handler = [](const json::object&, call_context& ctx) {
    return tool_result::structured_result(json::object{{"version", to_string(ctx.version())},
                                                       {"era", to_string(ctx.era())},
                                                       {"client", ctx.client_name()},
                                                       {"capabilities", ctx.client_capabilities()}},
                                          "whoami");
  };
  reg.add_tool(whoami);
  tool_def chatty;
  chatty.name = "chatty";
  chatty.description = "Logs at info and at error.";
  chatty.input_schema = json::parse(R"({"type":"object"})").as_object();
  chatty.handler = [](const json::object&, call_context& ctx) {
    ctx.log(log_level::info, "quiet");
    ctx.log(log_level::error, "loud");
    return tool_result::text("logged");
  };
  reg.add_tool(chatty);
  tool_def ask;
  ask.name = "ask";
  ask.description = "Needs elicitation.";
  ask.input_schema = json::parse(R"({"type":"object"})").as_object();
  ask.required_client_capabilities = json::parse(R"({"elicitation":{}})").as_object();
  ask.handler = [](const json::object&, call_context&) { return tool_result::text("asked"); };
  reg.add_tool(ask);
}

json::object result_of(const json::value& m) {
  INFO(json::serialize(m));
  REQUIRE(m.is_object());
  REQUIRE(m.as_object().contains("result"));
  return m.at("result").as_object();
}

// Messages sent so far with this method.
std::vector<json::value> notifications(capture_sink& sink, std::string_view method) {
  std::vector<json::value> out;
  for (const auto& m : sink.all()) {
    if (is_notification(m, method)) out.push_back(m);
  }
  return out;
}

json::value subscription_id(const json::value& notification) {
  return notification.at("params").at("_meta").at("io.modelcontextprotocol/subscriptionId");
}

}  // namespace

TEST_CASE("modern era: server/discover names versions, capabilities, identity and cache hints",
          "[mcp]") {
  fixture f;
  auto r = modern(f, 1, "server/discover");
  const auto& result = result_of(r);
  CHECK(result.at("resultType") == "complete");
  CHECK(result.at("supportedVersions") == json::array{"2026-07-28"});
  const auto& caps = result.at("capabilities").as_object();
  CHECK(caps.at("tools").at("listChanged") == true);
  CHECK(caps.at("resources").at("subscribe") == true);
  CHECK(caps.at("resources").at("listChanged") == true);
  CHECK(caps.contains("prompts"));
  CHECK(caps.contains("completions"));
  const auto& info = result.at("_meta").at("io.modelcontextprotocol/serverInfo");
  CHECK(info.at("name") == "pons");
  CHECK(info.as_object().contains("version"));
  CHECK(info.as_object().contains("title"));
  CHECK_FALSE(result.contains("serverInfo"));  // identity lives in _meta now
  CHECK(result.at("instructions") == "test");
  CHECK(result.at("ttlMs") == 300000);
  CHECK(result.at("cacheScope") == "public");
  // Served statelessly: the legacy session is not initialized by it.
  CHECK_FALSE(f.session.initialized());
  CHECK(error_code(f.request(2, "tools/list")) == -32600);
}

TEST_CASE("modern era: a missing _meta field is -32602, an unsupported revision -32022", "[mcp]") {
  fixture f;
  std::int64_t id = 0;
  for (const char* method : {"server/discover", "tools/list", "subscriptions/listen"}) {
    INFO(method);
    // server/discover and subscriptions/listen are modern whatever they carry.
    if (std::string_view(method) != "tools/list") {
      auto none = f.request(++id, method, {});
      CHECK(error_code(none) == -32602);
      CHECK(none.at("error").at("data").at("field") == "params._meta");
    }
    auto no_version =
        f.request(++id, method,
                  {{"_meta", {{"io.modelcontextprotocol/clientCapabilities", json::object{}}}}});
    CHECK(error_code(no_version) == -32602);
    auto no_caps = f.request(
        ++id, method, {{"_meta", {{"io.modelcontextprotocol/protocolVersion", "2026-07-28"}}}});
    CHECK(error_code(no_caps) == -32602);
    CHECK(no_caps.at("error").at("data").at("field") ==
          R"(params._meta["io.modelcontextprotocol/clientCapabilities"])");
  }
  // clientInfo is optional.
  json::object meta = modern_meta();
  meta.erase("io.modelcontextprotocol/clientInfo");
  CHECK(result_of(f.request(++id, "server/discover", {{"_meta", meta}})).at("resultType") ==
        "complete");
  for (std::string v : {"1999-01-01", "2025-11-25"}) {
    auto r =
        modern(f, ++id, "server/discover", {}, {{"io.modelcontextprotocol/protocolVersion", v}});
    CHECK(error_code(r) == -32022);
    CHECK(r.at("id") == id);
    CHECK(r.at("error").at("data").at("supported") == json::array{"2026-07-28"});
    CHECK(r.at("error").at("data").at("requested") == v.c_str());
  }
  CHECK(error_code(modern(f, ++id, "tools/list", {},
                          {{"io.modelcontextprotocol/logLevel", "chatty"}})) == -32602);
}

TEST_CASE("modern era: removed and unknown methods are -32601", "[mcp]") {
  fixture f;
  std::int64_t id = 0;
  for (const char* method : {"ping", "logging/setLevel", "initialize", "resources/subscribe",
                             "resources/unsubscribe", "no/such/method"}) {
    INFO(method);
    auto r = modern(f, ++id, method, {{"uri", "pons://inbox"}, {"level", "info"}});
    CHECK(error_code(r) == -32601);
    CHECK(r.at("error").at("data").at("method") == method);
  }
  CHECK_THAT(std::string(modern(f, ++id, "ping").at("error").at("message").as_string()),
             Catch::Contains("2026-07-28"));
  // The legacy session keeps its ping.
  CHECK(f.request(++id, "ping").at("result").as_object().empty());
}

TEST_CASE(
    "modern era: every result says resultType complete and names the server, lists and "
    "reads carry cache hints",
    "[mcp]") {
  fixture f;
  struct call {
    const char* method;
    json::object params;
    const char* cache_scope;  // nullptr: no cache hint
  };
  std::vector<call> calls{
      {"tools/list", {}, "public"},
      {"prompts/list", {}, "public"},
      {"resources/templates/list", {}, "public"},
      {"resources/list", {}, "private"},
      {"resources/read", {{"uri", "pons://inbox"}}, "private"},
      {"tools/call", {{"name", "echo"}, {"arguments", {{"text", "hi"}}}}, nullptr},
      {"prompts/get", {{"name", "draft_reply"}, {"arguments", {{"contact", "Bob"}}}}, nullptr},
      {"completion/complete",
       {{"ref", {{"type", "ref/prompt"}, {"name", "draft_reply"}}},
        {"argument", {{"name", "contact"}, {"value", "Al"}}}},
       nullptr},
  };
  std::int64_t id = 0;
  for (auto& c : calls) {
    INFO(c.method);
    const auto& result = result_of(modern(f, ++id, c.method, c.params));
    CHECK(result.at("resultType") == "complete");
    CHECK(result.at("_meta").at("io.modelcontextprotocol/serverInfo").at("name") == "pons");
    CHECK(result.contains("ttlMs") == (c.cache_scope != nullptr));
    if (c.cache_scope) {
      CHECK(result.at("cacheScope") == c.cache_scope);
      CHECK(result.at("ttlMs") == (std::string_view(c.cache_scope) == "public" ? 300000 : 0));
    }
  }
  // A paged list carries the hint on every page.
  auto first = result_of(modern(f, ++id, "tools/list"));
  REQUIRE(first.contains("nextCursor"));
  auto second = result_of(modern(f, ++id, "tools/list", {{"cursor", first.at("nextCursor")}}));
  CHECK(second.at("cacheScope") == "public");
  // The same requests in a legacy session: none of the modern fields.
  f.init();
  const auto& legacy = result_of(f.request(++id, "tools/list"));
  CHECK_FALSE(legacy.contains("resultType"));
  CHECK_FALSE(legacy.contains("ttlMs"));
  CHECK_FALSE(legacy.contains("_meta"));
}

TEST_CASE("modern era: tools/list is the same in the same order every time", "[mcp]") {
  fixture f;
  auto names = [&](std::int64_t id) {
    std::vector<std::string> out;
    json::object params;
    for (int page = 0; page < 5; ++page, ++id) {
      auto result = result_of(modern(f, id, "tools/list", params));
      for (const auto& t : result.at("tools").as_array())
        out.emplace_back(t.at("name").as_string());
      if (!result.contains("nextCursor")) break;
      params = {{"cursor", result.at("nextCursor")}};
    }
    return out;
  };
  auto once = names(10);
  CHECK(once == std::vector<std::string>{"echo", "slow", "steps", "wait"});
  CHECK(names(20) == once);
  // Tools render with everything the newest revision has.
  auto tool = result_of(modern(f, 30, "tools/list")).at("tools").at(0);
  CHECK(tool.at("title") == "Echo");
  CHECK(tool.as_object().contains("outputSchema"));
  CHECK(tool.at("annotations").at("readOnlyHint") == true);
}

TEST_CASE("modern era: an unknown resource is -32602, the legacy session keeps -32002", "[mcp]") {
  fixture f;
  f.init();
  std::int64_t id = 0;
  for (const char* uri : {"pons://conversations/404", "pons://elsewhere"}) {
    INFO(uri);
    auto modern_read = modern(f, ++id, "resources/read", {{"uri", uri}});
    CHECK(error_code(modern_read) == -32602);
    CHECK(modern_read.at("error").at("data").at("uri") == uri);
    CHECK(error_code(f.request(++id, "resources/read", {{"uri", uri}})) == -32002);
  }
  auto read = result_of(modern(f, ++id, "resources/read", {{"uri", "pons://conversations/12"}}));
  CHECK(read.at("contents").at(0).at("text") == "conversation 12");
}

TEST_CASE("modern era: a tool needing an undeclared client capability is refused", "[mcp]") {
  fixture f;
  add_era_tools(f.reg);
  auto refused = modern(f, 1, "tools/call", {{"name", "ask"}});
  CHECK(error_code(refused) == -32021);
  CHECK(refused.at("error").at("data").at("requiredCapabilities") ==
        json::object{{"elicitation", json::object{}}});
  auto declared = modern(f, 2, "tools/call", {{"name", "ask"}},
                         {{"io.modelcontextprotocol/clientCapabilities",
                           json::object{{"elicitation", json::object{}}}}});
  CHECK(result_of(declared).at("content").at(0).at("text") == "asked");
  // Capabilities are the request's own: the next request without them is refused again.
  CHECK(error_code(modern(f, 3, "tools/call", {{"name", "ask"}})) == -32021);

  // A legacy session is checked against initialize's capabilities (-32602: no code of its own).
  fixture legacy;
  add_era_tools(legacy.reg);
  legacy.init();
  auto legacy_refused = legacy.request(4, "tools/call", {{"name", "ask"}});
  CHECK(error_code(legacy_refused) == -32602);
  CHECK(legacy_refused.at("error")
            .at("data")
            .at("requiredCapabilities")
            .as_object()
            .contains("elicitation"));
  fixture capable;
  add_era_tools(capable.reg);
  capable.request(1000, "initialize",
                  {{"protocolVersion", "2025-11-25"},
                   {"capabilities", {{"elicitation", json::object{}}}},
                   {"clientInfo", {{"name", "tests"}}}});
  CHECK(result_of(capable.request(5, "tools/call", {{"name", "ask"}}))
            .at("content")
            .at(0)
            .at("text") == "asked");
}

TEST_CASE("modern era: a call that needs the client's input answers input_required", "[mcp]") {
  fixture f;
  tool_def name;
  name.name = "name";
  name.description = "Asks for a name, then greets.";
  name.input_schema = json::parse(R"({"type":"object"})").as_object();
  name.handler = [](const json::object&, call_context& ctx) {
    if (const auto* answer = ctx.input_responses().if_contains("who")) {
      return tool_result::text(fmt::format("Hello, {} ({})",
                                           json::serialize(answer->at("content").at("name")),
                                           ctx.request_state().value_or("no state")));
    }
    tool_result r;
    r.input_required = input_needed{
        json::object{{"who", json::object{{"method", "elicitation/create"},
                                          {"params", json::object{{"message", "Name?"}}}}}},
        std::string("s1")};
    return r;
  };
  f.reg.add_tool(name);
  auto first = result_of(modern(f, 1, "tools/call", {{"name", "name"}}));
  CHECK(first.at("resultType") == "input_required");
  CHECK(first.at("inputRequests").at("who").at("method") == "elicitation/create");
  CHECK(first.at("requestState") == "s1");
  CHECK_FALSE(first.contains("content"));
  auto retry = result_of(modern(
      f, 2, "tools/call",
      {{"name", "name"},
       {"inputResponses",
        json::object{{"who", json::object{{"action", "accept"}, {"content", {{"name", "Ada"}}}}}}},
       {"requestState", "s1"}}));
  CHECK(retry.at("resultType") == "complete");
  CHECK(retry.at("content").at(0).at("text") == R"(Hello, "Ada" (s1))");

  // A legacy session has no such result: the call is refused, not answered half-way.
  fixture legacy;
  legacy.reg.add_tool(name);
  legacy.init();
  CHECK(error_code(legacy.request(3, "tools/call", {{"name", "name"}})) == -32600);
}

TEST_CASE("call_context tells a handler the era, revision, client and capabilities of its call",
          "[mcp]") {
  fixture f;
  add_era_tools(f.reg);
  auto whoami = [](const json::value& r) { return result_of(r).at("structuredContent"); };
  auto m = whoami(modern(
      f, 1, "tools/call", {{"name", "whoami"}},
      {{"io.modelcontextprotocol/clientCapabilities", json::object{{"roots", json::object{}}}}}));
  CHECK(m.at("era") == "modern");
  CHECK(m.at("version") == "2026-07-28");
  CHECK(m.at("client") == "modern-client");
  CHECK(m.at("capabilities").as_object().contains("roots"));

  // A legacy session on 2024-11-05 does not change how modern requests are served.
  f.request(1000, "initialize",
            {{"protocolVersion", "2024-11-05"},
             {"capabilities", {{"sampling", json::object{}}}},
             {"clientInfo", {{"name", "old-client"}}}});
  auto l = f.request(2, "tools/call", {{"name", "whoami"}});
  // 2024-11-05 has no structuredContent: the text rendering is all it gets.
  CHECK_FALSE(result_of(l).contains("structuredContent"));
  auto m2 = whoami(modern(f, 3, "tools/call", {{"name", "whoami"}}));
  CHECK(m2.at("era") == "modern");
  CHECK(m2.at("client") == "modern-client");
  CHECK(m2.at("capabilities").as_object().empty());

  fixture legacy;
  add_era_tools(legacy.reg);
  legacy.request(1000, "initialize",
                 {{"protocolVersion", "2025-11-25"},
                  {"capabilities", {{"sampling", json::object{}}}},
                  {"clientInfo", {{"name", "old-client"}}}});
  auto l2 = whoami(legacy.request(4, "tools/call", {{"name", "whoami"}}));
  CHECK(l2.at("era") == "legacy");
  CHECK(l2.at("version") == "2025-11-25");
  CHECK(l2.at("client") == "old-client");
  CHECK(l2.at("capabilities").as_object().contains("sampling"));
}

TEST_CASE("initialize works before and after modern requests on one engine", "[mcp]") {
  fixture f;
  CHECK(result_of(modern(f, 1, "server/discover")).contains("supportedVersions"));
  CHECK(result_of(modern(f, 2, "tools/list")).contains("tools"));
  auto init = f.init("2025-11-25");
  CHECK(init.at("result").at("protocolVersion") == "2025-11-25");
  CHECK(init.at("result").at("serverInfo").at("name") == "pons");
  CHECK(f.session.initialized());
  CHECK(f.session.version() == protocol_version::v2025_11_25);
  // Both eras keep being served, each in its own way.
  CHECK(f.request(3, "ping").at("result").as_object().empty());
  CHECK_FALSE(result_of(f.request(4, "tools/list")).contains("resultType"));
  CHECK(result_of(modern(f, 5, "tools/list")).at("resultType") == "complete");
  CHECK(error_code(modern(f, 6, "ping")) == -32601);
  // A second initialize is still refused; a modern discover still answered.
  CHECK(error_code(f.request(7, "initialize", {{"protocolVersion", "2025-11-25"}})) == -32600);
  CHECK(result_of(modern(f, 8, "server/discover")).at("resultType") == "complete");
  // An initialize naming its revision is the handshake even with the modern fields on it.
  fixture stamped;
  auto r = stamped.request(9, "initialize",
                           {{"protocolVersion", "2025-06-18"},
                            {"capabilities", json::object{}},
                            {"_meta", modern_meta()}});
  CHECK(r.at("result").at("protocolVersion") == "2025-06-18");
}

TEST_CASE("modern era: log messages only when the request asks, at or above its level", "[mcp]") {
  fixture f;
  add_era_tools(f.reg);
  f.init();
  f.request(1, "logging/setLevel", {{"level", "debug"}});  // the legacy session's, not ours
  auto silent = modern(f, 2, "tools/call", {{"name", "chatty"}});
  CHECK(result_of(silent).at("content").at(0).at("text") == "logged");
  // The handler logged before it returned, on the thread that sent the answer.
  CHECK(notifications(f.sink, "notifications/message").empty());
  modern(f, 3, "tools/call", {{"name", "chatty"}},
         {{"io.modelcontextprotocol/logLevel", "warning"}});
  auto logs = notifications(f.sink, "notifications/message");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].at("params").at("data") == "loud");
  CHECK(logs[0].at("params").at("level") == "error");
  // The legacy session still gets its own messages at its own level.
  f.request(4, "tools/call", {{"name", "chatty"}});
  CHECK(notifications(f.sink, "notifications/message").size() == 3);
}

TEST_CASE("modern era: progress reaches a request that carries a progress token", "[mcp]") {
  fixture f;
  modern(f, 1, "tools/call", {{"name", "steps"}}, {{"progressToken", "tok"}});
  std::vector<double> seen;
  for (const auto& m : notifications(f.sink, "notifications/progress")) {
    CHECK(m.at("params").at("progressToken") == "tok");
    seen.push_back(m.at("params").at("progress").to_number<double>());
  }
  CHECK(seen == std::vector<double>{1, 2, 3});
}

TEST_CASE("subscriptions/listen: acknowledged first, then tagged notifications until cancelled",
          "[mcp]") {
  fixture f;
  f.send(json::serialize(json::object{
      {"jsonrpc", "2.0"},
      {"id", 7},
      {"method", "subscriptions/listen"},
      {"params",
       {{"_meta", modern_meta()},
        {"notifications",
         {{"toolsListChanged", true},
          {"promptsListChanged", true},
          {"resourcesListChanged", true},
          {"resourceSubscriptions", json::array{"pons://inbox", "pons://nowhere",
                                                "pons://conversations/12", "pons://inbox"}}}}}}}));
  // Answered synchronously: the acknowledgement is the first (and only) message so far.
  auto all = f.sink.all();
  REQUIRE(all.size() == 1);
  const auto& ack = all[0];
  CHECK(ack.at("method") == "notifications/subscriptions/acknowledged");
  CHECK(subscription_id(ack) == 7);
  // What it agreed to: prompts never change, an unknown URI is left out, duplicates once.
  CHECK(ack.at("params").at("notifications") ==
        json::object{
            {"toolsListChanged", true},
            {"resourcesListChanged", true},
            {"resourceSubscriptions", json::array{"pons://inbox", "pons://conversations/12"}}});
  CHECK(f.session.listening() == 1);
  CHECK(f.sink.response(7, 0ms).is_null());  // the stream stays open

  // A second stream that only wants the conversation.
  f.send(R"({"jsonrpc":"2.0","id":"second","method":"subscriptions/listen","params":{"_meta":)" +
         json::serialize(modern_meta()) +
         R"(,"notifications":{"resourceSubscriptions":["pons://conversations/12"]}}})");
  CHECK(f.session.listening() == 2);

  f.session.notify_resource_updated("pons://inbox");
  f.session.notify_resource_updated("pons://conversations/12");
  f.session.notify_resource_updated("pons://conversations/3");  // nobody watches it
  f.session.notify_list_changed("tools");
  f.session.notify_list_changed("prompts");  // not agreed: never sent
  f.session.notify_list_changed("resources");
  auto updated = notifications(f.sink, "notifications/resources/updated");
  REQUIRE(updated.size() == 3);
  CHECK(updated[0].at("params").at("uri") == "pons://inbox");
  CHECK(subscription_id(updated[0]) == 7);
  std::set<std::string> conversation_streams;
  for (std::size_t i = 1; i < updated.size(); ++i) {
    CHECK(updated[i].at("params").at("uri") == "pons://conversations/12");
    conversation_streams.insert(json::serialize(subscription_id(updated[i])));
  }
  CHECK(conversation_streams == std::set<std::string>{"7", "\"second\""});
  auto tools = notifications(f.sink, "notifications/tools/list_changed");
  REQUIRE(tools.size() == 1);
  CHECK(subscription_id(tools[0]) == 7);
  CHECK(notifications(f.sink, "notifications/prompts/list_changed").empty());
  CHECK(notifications(f.sink, "notifications/resources/list_changed").size() == 1);

  // A request reusing an open stream's id is refused; the stream is unaffected.
  CHECK(error_code(modern(f, 7, "tools/list")) == -32600);
  CHECK(f.session.listening() == 2);

  // Cancelled: no answer, and nothing more on it.
  f.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7}})");
  CHECK(f.session.listening() == 1);
  const std::size_t before = f.sink.count();
  f.session.notify_resource_updated("pons://inbox");
  f.session.notify_list_changed("tools");
  CHECK(f.sink.count() == before);
  for (const auto& m : f.sink.all()) {
    CHECK_FALSE((m.as_object().contains("result") && m.at("id") == 7));
  }
  f.session.notify_resource_updated("pons://conversations/12");
  CHECK(f.sink.count() == before + 1);
}

TEST_CASE("subscriptions/listen: a legacy subscriber and a stream each get their own form",
          "[mcp]") {
  fixture f;
  f.init();
  f.request(1, "resources/subscribe", {{"uri", "pons://inbox"}});
  f.send(json::serialize(json::object{
      {"jsonrpc", "2.0"},
      {"id", 2},
      {"method", "subscriptions/listen"},
      {"params",
       {{"_meta", modern_meta()},
        {"notifications", {{"resourceSubscriptions", json::array{"pons://inbox"}}}}}}}));
  f.session.notify_resource_updated("pons://inbox");
  auto updated = notifications(f.sink, "notifications/resources/updated");
  REQUIRE(updated.size() == 2);
  std::size_t tagged = 0;
  for (const auto& u : updated) {
    CHECK(u.at("params").at("uri") == "pons://inbox");
    tagged += u.at("params").as_object().contains("_meta");
  }
  CHECK(tagged == 1);
  CHECK(f.session.subscriptions() == std::vector<std::string>{"pons://inbox"});
}

TEST_CASE("subscriptions/listen: bad filters, too many streams, and a graceful end", "[mcp]") {
  registry reg = make_registry();
  worker_pool pool{2, 16};
  capture_sink sink;
  engine session{reg, pool, sink, [] {
                   engine_options o;
                   o.max_listens = 2;
                   o.max_listen_uris = 2;
                   return o;
                 }()};
  auto listen = [&](std::int64_t id, json::value filter) {
    json::object params{{"_meta", modern_meta()}};
    if (!filter.is_null()) params["notifications"] = std::move(filter);
    session.handle_text(json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", "subscriptions/listen"}, {"params", params}}));
    return sink.wait_for([id](const json::value& m) {
      const auto& o = m.as_object();
      return (o.contains("id") && o.at("id") == json::value(id)) ||
             (o.contains("method") &&
              o.at("method") == "notifications/subscriptions/acknowledged" &&
              subscription_id(m) == json::value(id));
    });
  };
  CHECK(error_code(listen(1, nullptr)) == -32602);
  CHECK(error_code(listen(2, json::object{{"toolsListChanged", "yes"}})) == -32602);
  CHECK(error_code(listen(3, json::object{{"resourceSubscriptions", "pons://inbox"}})) == -32602);
  CHECK(error_code(listen(4, json::object{{"resourceSubscriptions", json::array{1}}})) == -32602);
  CHECK(error_code(listen(
            5, json::object{{"resourceSubscriptions", json::array{"a", "b", "c"}}})) == -32602);
  CHECK(session.listening() == 0);
  // An empty filter is a valid stream that agreed to nothing.
  auto empty = listen(10, json::object{});
  CHECK(empty.at("params").at("notifications").as_object().empty());
  listen(11, json::object{{"toolsListChanged", true}});
  auto busy = listen(12, json::object{{"toolsListChanged", true}});
  CHECK(error_code(busy) == -32000);
  CHECK(session.listening() == 2);

  // The server ends them: a closing result for each, then notifications/cancelled.
  session.end_subscriptions("bye");
  CHECK(session.listening() == 0);
  for (std::int64_t id : {10, 11}) {
    INFO(id);
    auto closing = sink.response(id, 0ms);
    const auto& result = result_of(closing);
    CHECK(result.at("resultType") == "complete");
    CHECK(result.at("_meta").at("io.modelcontextprotocol/subscriptionId") == id);
    bool cancelled_after = false;
    bool seen_closing = false;
    for (const auto& m : sink.all()) {
      const auto& o = m.as_object();
      if (o.contains("id") && o.at("id") == json::value(id) && o.contains("result")) {
        seen_closing = true;
      }
      if (seen_closing && is_notification(m, "notifications/cancelled") &&
          m.at("params").at("requestId") == json::value(id)) {
        cancelled_after = m.at("params").at("reason") == "bye";
      }
    }
    CHECK(cancelled_after);
  }
  // Nothing is delivered to ended streams; shutdown forgets any left without a word.
  const std::size_t before = sink.count();
  session.notify_list_changed("tools");
  CHECK(sink.count() == before);
  listen(13, json::object{{"toolsListChanged", true}});
  session.shutdown();
  CHECK(session.listening() == 0);
  CHECK(sink.response(13, 0ms).is_null());
}

TEST_CASE("subscriptions/listen: a transport that closes streams itself gets the result only",
          "[mcp]") {
  registry reg = make_registry();
  worker_pool pool{2, 16};
  capture_sink sink;
  engine session{reg, pool, sink, [] {
                   engine_options o;
                   o.cancel_ended_streams = false;
                   return o;
                 }()};
  session.handle_text(json::serialize(json::object{
      {"jsonrpc", "2.0"},
      {"id", 1},
      {"method", "subscriptions/listen"},
      {"params", {{"_meta", modern_meta()}, {"notifications", {{"toolsListChanged", true}}}}}}));
  REQUIRE(session.listening() == 1);
  session.end_subscriptions();
  CHECK(result_of(sink.response(1, 0ms)).at("resultType") == "complete");
  CHECK(notifications(sink, "notifications/cancelled").empty());
  CHECK(sink.count() == 2);  // the acknowledgement and the closing result
}

namespace {

// A session whose registry also has the tool `ask`.
struct ask_fixture : fixture {
  ask_fixture() { reg.add_tool(ask_tool()); }
};

// Starts the tool `ask` as request `id` without waiting for its answer.
void start_ask(ask_fixture& f, std::int64_t id, std::string_view method, json::object more = {}) {
  json::object args{{"method", method}};
  for (auto& [k, v] : more) args[k] = v;
  f.send(json::serialize(
      json::object{{"jsonrpc", "2.0"},
                   {"id", id},
                   {"method", "tools/call"},
                   {"params", json::object{{"name", "ask"}, {"arguments", std::move(args)}}}}));
}

// The n-th (0-based) request the engine sent to the client with `method`.
json::value server_request(ask_fixture& f, std::string_view method, std::size_t n = 0) {
  return f.sink.nth(
      [&](const json::value& m) {
        return m.is_object() && m.as_object().contains("id") && is_notification(m, method);
      },
      n);
}

void client_answers(ask_fixture& f, const json::value& id, json::value result) {
  f.send(json::serialize(json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}));
}

json::object ask_outcome(const json::value& response) {
  return response.at("result").at("structuredContent").as_object();
}

}  // namespace

TEST_CASE("a tool's request to the client is answered by the response with its id", "[mcp]") {
  ask_fixture f;
  f.init("2025-11-25", json::object{{"sampling", json::object{}}});
  start_ask(f, 1, "sampling/createMessage", {{"maxTokens", 11}});
  start_ask(f, 2, "sampling/createMessage", {{"maxTokens", 12}});
  // The two calls run at once, so their requests may come in either order.
  auto first = server_request(f, "sampling/createMessage", 0);
  auto second = server_request(f, "sampling/createMessage", 1);
  if (first.at("params").at("maxTokens") == 12) std::swap(first, second);
  REQUIRE(first.at("id").is_string());
  REQUIRE(second.at("id").is_string());
  CHECK(first.at("id") != second.at("id"));
  CHECK(first.at("params").at("maxTokens") == 11);
  CHECK(second.at("params").at("maxTokens") == 12);
  // Unknown ids, the id of the client's own request, and a response without a usable id are
  // ignored without an answer.
  client_answers(f, "pons-999999", json::object{{"text", "stray"}});
  client_answers(f, 1, json::object{{"text", "stray"}});
  f.send(R"({"jsonrpc":"2.0","id":null,"result":{}})");
  // Answered in the other order: each call gets its own.
  client_answers(f, second.at("id"), json::object{{"text", "to the second"}});
  client_answers(f, first.at("id"), json::object{{"text", "to the first"}});
  auto r1 = f.sink.response(1);
  auto r2 = f.sink.response(2);
  REQUIRE(r1.is_object());
  REQUIRE(r2.is_object());
  CHECK(ask_outcome(r1).at("ok") == true);
  CHECK(ask_outcome(r1).at("result").at("text") == "to the first");
  CHECK(ask_outcome(r2).at("result").at("text") == "to the second");
  // The stray responses got no answer, and nothing waits any more.
  for (const auto& m : f.sink.all()) {
    if (m.as_object().contains("id") && m.at("id") == json::value("pons-999999")) FAIL(m);
  }
  CHECK(f.session.awaiting_client() == 0);
  // A late second answer to an id already answered is ignored too.
  client_answers(f, first.at("id"), json::object{{"text", "again"}});
  CHECK(f.request(3, "ping").at("result").as_object().empty());
}

TEST_CASE("a client's error answer reaches the tool as client_error", "[mcp]") {
  ask_fixture f;
  f.init("2025-11-25", json::object{{"elicitation", json::object{}}});
  start_ask(f, 1, "elicitation/create");
  auto req = server_request(f, "elicitation/create");
  f.send(json::serialize(json::object{
      {"jsonrpc", "2.0"},
      {"id", req.at("id")},
      {"error", json::object{{"code", -32600}, {"message", "the user closed the form"}}}}));
  const auto out = ask_outcome(f.sink.response(1));
  CHECK(out.at("failure") == "client_error");
  CHECK(out.at("message").as_string().find("the user closed the form") != json::string::npos);
}

TEST_CASE("a request to the client that gets no answer in time is cancelled", "[mcp]") {
  ask_fixture f;
  f.init("2025-11-25", json::object{{"sampling", json::object{}}});
  // A timeout of 0: the request goes out and is given up at once, whatever the clock says.
  start_ask(f, 1, "sampling/createMessage", json::object{{"timeout_ms", 0}});
  const auto out = ask_outcome(f.sink.response(1));
  CHECK(out.at("failure") == "timed_out");
  auto req = server_request(f, "sampling/createMessage");
  auto cancel = f.sink.wait_for([&](const json::value& m) {
    return is_notification(m, "notifications/cancelled") &&
           m.at("params").at("requestId") == req.at("id");
  });
  CHECK(cancel.is_object());
  CHECK(f.session.awaiting_client() == 0);
  // Its late answer is ignored.
  client_answers(f, req.at("id"), json::object{{"text", "late"}});
  CHECK(f.request(2, "ping").at("result").as_object().empty());
}

TEST_CASE("cancelling the call stops its wait for the client", "[mcp]") {
  ask_fixture f;
  f.init("2025-11-25", json::object{{"sampling", json::object{}}});
  start_ask(f, 1, "sampling/createMessage");
  auto req = server_request(f, "sampling/createMessage");
  REQUIRE(f.session.awaiting_client() == 1);
  f.send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})");
  // The engine passes the cancellation on to the client's request; the call gets no answer.
  auto cancel = f.sink.wait_for([&](const json::value& m) {
    return is_notification(m, "notifications/cancelled") &&
           m.at("params").at("requestId") == req.at("id");
  });
  CHECK(cancel.is_object());
  REQUIRE(f.session.wait_idle(30s));
  CHECK(f.session.awaiting_client() == 0);
  for (const auto& m : f.sink.all()) {
    if (m.as_object().contains("id") && m.at("id") == json::value(1)) FAIL(m);
  }
}

TEST_CASE("no request goes to a client that lacks the capability or has no session", "[mcp]") {
  SECTION("legacy session without the capability") {
    ask_fixture f;
    f.init("2025-11-25", json::object{{"sampling", json::object{}}});
    start_ask(f, 1, "elicitation/create");
    const auto out = ask_outcome(f.sink.response(1));
    CHECK(out.at("failure") == "missing_capability");
    CHECK(out.at("message").as_string().find("elicitation") != json::string::npos);
    for (const auto& m : f.sink.all()) CHECK_FALSE(is_notification(m, "elicitation/create"));
  }
  SECTION("a 2026-07-28 request") {
    ask_fixture f;
    auto meta = json::object{
        {"io.modelcontextprotocol/protocolVersion", "2026-07-28"},
        {"io.modelcontextprotocol/clientCapabilities", json::object{{"sampling", json::object{}}}}};
    auto r =
        f.request(1, "tools/call",
                  json::object{{"name", "ask"},
                               {"arguments", json::object{{"method", "sampling/createMessage"}}},
                               {"_meta", meta}});
    CHECK(ask_outcome(r).at("failure") == "unavailable");
  }
  SECTION("a context without an engine") {
    call_context ctx(cancellation_token{}, latest_version, "tests");
    auto reply = ctx.request_client("sampling/createMessage", {});
    CHECK(reply.failure == client_request_errc::unavailable);
  }
}

namespace {

// Three tools: one for every key, one for keys with send, one that declares no scope.
registry scoped_registry() {
  registry reg;
  auto add = [&](std::string name, std::optional<scope> needed) {
    tool_def t;
    t.name = std::move(name);
    t.description = "A tool.";
    t.input_schema = json::parse(R"({"type":"object"})").as_object();
    t.required_scope = needed;
    t.handler = [](const json::object&, call_context&) { return tool_result::text("ran"); };
    reg.add_tool(std::move(t));
  };
  add("look", scope::read);
  add("act", scope::send);
  add("bare", std::nullopt);
  return reg;
}

struct scoped_fixture {
  explicit scoped_fixture(std::optional<std::vector<scope>> granted)
      : session(reg, pool, sink, [&] {
          engine_options o;
          o.granted_scopes = std::move(granted);
          return o;
        }()) {
    session.handle_text(
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":)"
        R"("2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
    sink.response(1);
  }
  registry reg = scoped_registry();
  worker_pool pool{1, 8};
  capture_sink sink;
  engine session;

  std::set<std::string> listed() {
    session.handle_text(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
    std::set<std::string> names;
    auto answer = sink.response(2);
    for (const auto& t : answer.at("result").at("tools").as_array())
      names.emplace(t.at("name").as_string());
    return names;
  }
  json::value call(std::int64_t id, std::string_view name) {
    session.handle_text(json::serialize(json::object{
        {"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", {{"name", name}}}}));
    return sink.response(id);
  }
};

}  // namespace

TEST_CASE("engine with a key's scopes lists and runs only the tools they cover", "[mcp]") {
  SECTION("no key: every tool") {
    scoped_fixture f(std::nullopt);
    CHECK(f.listed() == std::set<std::string>{"look", "act", "bare"});
    CHECK(f.call(3, "bare").at("result").at("content").at(0).at("text") == "ran");
  }
  SECTION("a read key: the read tools; the others are refused saying why") {
    scoped_fixture f(std::vector<scope>{scope::read});
    CHECK(f.listed() == std::set<std::string>{"look"});
    CHECK(f.call(3, "look").at("result").at("content").at(0).at("text") == "ran");
    auto act = f.call(4, "act");
    CHECK(error_code(act) == -32600);
    CHECK_THAT(std::string(act.at("error").at("message").as_string()),
               Catch::Contains("needs an API key with the send scope"));
    CHECK(act.at("error").at("data").at("requiredScope") == "send");
    auto bare = f.call(5, "bare");
    CHECK_THAT(std::string(bare.at("error").at("message").as_string()),
               Catch::Contains("cannot be called with an API key"));
    // An unknown tool's error lists only what the key may call.
    auto unknown = f.call(6, "nope");
    CHECK_THAT(std::string(unknown.at("error").at("message").as_string()),
               Catch::Contains("(available: look)"));
  }
  SECTION("a send key: read and send tools, never one without a scope") {
    scoped_fixture f(std::vector<scope>{scope::read, scope::send});
    CHECK(f.listed() == std::set<std::string>{"look", "act"});
    CHECK(f.call(3, "act").at("result").at("content").at(0).at("text") == "ran");
  }
}

// A tool that calls out (as a send waits for Meta) and holds its worker until released, beside a
// quick tool, each on one thread: whether a quick call waits behind the held one depends only on
// the lane the engine picks.
struct lanes_fixture {
  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
  bool held_started = false;
  registry reg;
  worker_pool quick{1, 16};
  worker_pool call_out{1, 16};
  capture_sink sink;

  lanes_fixture() {
    tool_def held;
    held.name = "held";
    held.description = "Waits until the test releases it.";
    held.input_schema = json::object{{"type", "object"}};
    held.calls_out = true;
    held.handler = [this](const json::object&, call_context&) {
      std::unique_lock lock(mutex);
      held_started = true;
      cv.notify_all();
      cv.wait(lock, [&] { return released; });
      return tool_result::text("sent");
    };
    reg.add_tool(held);
    tool_def quick_tool;
    quick_tool.name = "read";
    quick_tool.description = "Answers at once.";
    quick_tool.input_schema = json::object{{"type", "object"}};
    quick_tool.handler = [](const json::object&, call_context&) {
      return tool_result::text("read");
    };
    reg.add_tool(quick_tool);
  }

  void start(engine& e) {
    e.handle_text(
        R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
        R"("capabilities":{},"clientInfo":{"name":"tests","version":"1"}}})");
    e.handle_text(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  }
  void call(engine& e, std::int64_t id, std::string_view tool) {
    e.handle_text(json::serialize(
        json::object{{"jsonrpc", "2.0"},
                     {"id", id},
                     {"method", "tools/call"},
                     {"params", json::object{{"name", tool}, {"arguments", json::object{}}}}}));
  }
  void wait_until_held() {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, 30s, [&] { return held_started; }));
  }
  void release() {
    std::lock_guard lock(mutex);
    released = true;
    cv.notify_all();
  }
  // The ids of the answers, in the order they came.
  std::vector<std::int64_t> answer_order() {
    std::vector<std::int64_t> ids;
    for (const auto& m : sink.all()) {
      if (m.is_object() && m.as_object().contains("id") && m.at("id") != 0) {
        ids.push_back(m.at("id").as_int64());
      }
    }
    return ids;
  }
};

TEST_CASE("a tool that calls out runs on its own workers, so reads do not wait for it", "[mcp]") {
  lanes_fixture f;
  SECTION("with a call-out pool, a read is answered while the send still waits") {
    engine e(f.reg, f.quick, f.sink, engine_options{}, &f.call_out);
    f.start(e);
    f.call(e, 1, "held");
    f.wait_until_held();
    f.call(e, 2, "read");
    auto read = f.sink.response(2, 30s);
    f.release();
    REQUIRE(read.is_object());
    CHECK(read.at("result").at("content").at(0).at("text") == "read");
    CHECK(f.sink.response(1, 30s).at("result").at("content").at(0).at("text") == "sent");
    CHECK(f.answer_order() == std::vector<std::int64_t>{2, 1});
  }
  SECTION("without one, both share the quick worker: the read comes after the send") {
    engine e(f.reg, f.quick, f.sink, engine_options{});
    f.start(e);
    f.call(e, 1, "held");
    f.wait_until_held();
    f.call(e, 2, "read");
    f.release();
    REQUIRE(f.sink.response(2, 30s).is_object());
    CHECK(f.answer_order() == std::vector<std::int64_t>{1, 2});
  }
}
