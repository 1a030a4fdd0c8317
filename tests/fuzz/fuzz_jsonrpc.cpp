// Fuzzes the MCP request reader: newline framing (line_reader) feeding the protocol engine. Each
// input runs twice, each time in a fresh session:
// 1. line by line: each line is handled to completion before the next, so every answer can be
//    traced to the line that caused it. Invariants:
//    - every message the engine writes is one valid JSON-RPC 2.0 object;
//    - a request with a valid id gets exactly one answer carrying that id, anything unreadable
//      gets exactly one error with a null id, a notification or a stray response gets no answer;
//    - a batch gets one array holding one answer per request (or one error when batches are
//      refused);
//    - the one exception, a subscriptions/listen (protocol 2026-07-28) that opened a stream, gets
//      no answer but an acknowledgement carrying its id as subscriptionId; when the session
//      ends the open streams (end_subscriptions), each gets exactly one closing result.
// 2. pipelined, the way a client really writes: all lines at once, so requests overlap, queue
//    behind each other, and are cancelled while running (notifications/cancelled); then the
//    session is shut down (for half the inputs while requests are still queued or running).
//    Invariants: every message written is a well-formed JSON-RPC 2.0 answer, batch of answers or
//    notification; the session goes idle and shuts down with nothing left in flight.
// (This harness absorbed the former fuzz_mcp_engine, whose corpus is in corpus/jsonrpc.)
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pons/mcp/engine.hpp"
#include "pons/mcp/line_reader.hpp"

namespace json = boost::json;
using namespace pons::mcp;

namespace {

constexpr std::size_t max_line_bytes = 8192;
constexpr std::size_t max_depth = 64;

void check(bool ok, const char* what, std::string_view context = {}) {
  if (ok) return;
  // Written as bytes: the default context's data() is null, which "%.*s" must not be given.
  std::fprintf(stderr, "fuzz_jsonrpc: %s\n  line: ", what);
  std::fwrite(context.data(), 1, context.size(), stderr);
  std::fputc('\n', stderr);
  std::abort();
}

class collecting_sink : public message_sink {
 public:
  void send(std::string message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(std::move(message));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(messages_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

registry make_registry() {
  registry reg;
  auto object_schema = [](std::string_view text) { return json::parse(text).as_object(); };

  tool_def echo;
  echo.name = "echo";
  echo.description = "Returns its text.";
  echo.input_schema = object_schema(
      R"({"type":"object","additionalProperties":false,
          "properties":{"text":{"type":"string","maxLength":64},
                        "n":{"type":"integer","minimum":1,"maximum":9}},
          "required":["text"]})");
  echo.output_schema =
      object_schema(R"({"type":"object","properties":{"text":{"type":"string"}}})");
  echo.annotations.read_only = true;
  echo.handler = [](const json::object& args, call_context&) {
    std::string text(args.at("text").as_string());
    if (text == "fail") return tool_result::error("it failed; try another text");
    if (text == "bad") return tool_result::invalid_argument("text", "must not be bad");
    if (text == "throw") throw std::runtime_error("handler threw");
    if (text == "link") {
      tool_result r;
      r.content.push_back(json::object{{"type", "resource_link"},
                                       {"uri", "file:///x.pdf"},
                                       {"name", "x.pdf"},
                                       {"mimeType", "application/pdf"}});
      r.content.push_back(json::object{{"type", "audio"}, {"data", ""}, {"mimeType", "audio/ogg"}});
      r.content.push_back(json::value(42));
      return r;
    }
    return tool_result::structured_result(json::object{{"text", text}}, text);
  };
  reg.add_tool(echo);

  tool_def steps;
  steps.name = "steps";
  steps.description = "Reports progress and logs.";
  steps.input_schema = object_schema(R"({"type":"object"})");
  steps.handler = [](const json::object&, call_context& ctx) {
    ctx.progress(1, 2, "half");
    ctx.progress(1, 2);
    ctx.progress(2, 2);
    ctx.log(log_level::warning, "steps done");
    return tool_result::text("ok");
  };
  reg.add_tool(steps);

  resource_def inbox;
  inbox.uri = "pons://inbox";
  inbox.name = "inbox";
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
    for (int i = 0; i < 120; ++i) {
      std::string id = std::to_string(i);
      if (id.rfind(value, 0) == 0) out.push_back(id);
    }
    return out;
  };
  reg.add_resource_template(conv);

  prompt_def reply;
  reply.name = "draft_reply";
  reply.description = "Draft a reply to a contact.";
  reply.arguments = {{"contact", "who", true}};
  reply.get = [](const std::map<std::string, std::string>& args, call_context&) {
    prompt_result r;
    r.messages.push_back(json::object{
        {"role", "user"},
        {"content", json::object{{"type", "text"}, {"text", "Reply to " + args.at("contact")}}}});
    return r;
  };
  reg.add_prompt(reply);
  return reg;
}

json::value parse_output(const std::string& text) {
  json::parse_options opts;
  opts.max_depth = 4 * max_depth;  // answers echo the request's nesting plus a few levels
  json::error_code ec;
  json::value v = json::parse(text, ec, json::storage_ptr(), opts);
  check(!ec, "the engine wrote invalid JSON", text);
  return v;
}

bool valid_id_value(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64();
}

// A response: {"jsonrpc":"2.0","id":...,"result"|"error":...}; a notification has a method.
bool is_notification(const json::value& v) {
  return v.is_object() && v.as_object().contains("method") && !v.as_object().contains("id");
}

void check_response(const json::value& v, std::string_view line) {
  check(v.is_object(), "an answer is not an object", line);
  const auto& o = v.as_object();
  const json::value* version = o.if_contains("jsonrpc");
  check(version && version->is_string() && version->get_string() == "2.0",
        "an answer lacks jsonrpc 2.0", line);
  check(o.contains("id"), "an answer lacks an id", line);
  check(o.at("id").is_null() || valid_id_value(o.at("id")), "an answer has a malformed id", line);
  check(o.contains("result") != o.contains("error"), "an answer needs exactly one of result/error",
        line);
  if (const json::value* error = o.if_contains("error")) {
    check(error->is_object(), "error is not an object", line);
    const json::value* code = error->as_object().if_contains("code");
    const json::value* message = error->as_object().if_contains("message");
    check(code && code->is_int64(), "error.code is not an integer", line);
    check(message && message->is_string() && !message->as_string().empty(),
          "error.message is missing", line);
  }
}

void check_notification(const json::value& v, std::string_view line) {
  const auto& o = v.as_object();
  const json::value* version = o.if_contains("jsonrpc");
  check(version && version->is_string() && version->get_string() == "2.0",
        "a notification lacks jsonrpc 2.0", line);
  check(o.at("method").is_string(), "a notification's method is not a string", line);
}

// The id an answer to `item` must carry, or nothing when `item` must not be answered. Written
// from the JSON-RPC rules, independently of the engine's classifier.
std::optional<json::value> expected_answer(const json::value& item) {
  if (!item.is_object()) return json::value(nullptr);
  const auto& o = item.as_object();
  const json::value* version = o.if_contains("jsonrpc");
  bool v2 = version && version->is_string() && version->get_string() == "2.0";
  const json::value* method = o.if_contains("method");
  const json::value* id = o.if_contains("id");
  if (v2 && method && method->is_string() && !id) return std::nullopt;  // notification
  if (v2 && !method && (o.contains("result") || o.contains("error"))) return std::nullopt;
  return id && valid_id_value(*id) ? *id : json::value(nullptr);
}

std::vector<std::string> id_keys(const std::vector<json::value>& ids) {
  std::vector<std::string> keys;
  for (const auto& id : ids) keys.push_back(json::serialize(id));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// The id of a request `cancelled` would end, when it is a well-formed notifications/cancelled.
std::optional<std::string> cancelled_id(const json::value& message) {
  if (!message.is_object()) return std::nullopt;
  const auto& o = message.as_object();
  const json::value* version = o.if_contains("jsonrpc");
  const json::value* method = o.if_contains("method");
  const json::value* params = o.if_contains("params");
  if (!version || !version->is_string() || version->get_string() != "2.0" || o.contains("id") ||
      !method || !method->is_string() || method->get_string() != "notifications/cancelled" ||
      !params || !params->is_object()) {
    return std::nullopt;
  }
  const json::value* id = params->as_object().if_contains("requestId");
  if (!id || !valid_id_value(*id)) return std::nullopt;
  return json::serialize(*id);
}

struct session {
  worker_pool& pool;
  const registry& reg;
  collecting_sink sink;
  engine core;
  std::vector<json::value> acknowledged;  // subscription ids acknowledged by the last line
  std::set<std::string> open_streams;     // serialised ids of the open subscriptions/listen

  session(worker_pool& p, const registry& r)
      : pool(p), reg(r), core(r, p, sink, [] {
          engine_options o;
          o.page_size = 1;
          o.max_depth = max_depth;
          return o;
        }()) {}

  // Waits for every request of the line to be answered, then returns the answers (notifications
  // are checked and dropped).
  std::vector<json::value> settle(std::string_view line) {
    // Idle means every request of the line has been answered (the engine counts a request as
    // running until its answer is out).
    while (!core.wait_idle(std::chrono::seconds(1))) {
    }
    std::vector<json::value> answers;
    acknowledged.clear();
    for (const auto& text : sink.take()) {
      json::value v = parse_output(text);
      if (is_notification(v)) {
        check_notification(v, line);
        if (v.at("method") == "notifications/subscriptions/acknowledged") {
          const json::value* meta = v.at("params").as_object().if_contains("_meta");
          check(meta && meta->is_object() &&
                    meta->as_object().contains("io.modelcontextprotocol/subscriptionId"),
                "an acknowledgement lacks its subscriptionId", line);
          acknowledged.push_back(meta->at("io.modelcontextprotocol/subscriptionId"));
        }
      } else {
        answers.push_back(std::move(v));
      }
    }
    return answers;
  }

  void on_line(std::string_view line) {
    core.handle_text(line);
    auto answers = settle(line);
    if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      check(answers.empty(), "a blank line was answered", line);
      return;
    }
    json::parse_options opts;
    opts.max_depth = max_depth;
    json::error_code ec;
    json::value request = json::parse(line, ec, json::storage_ptr(), opts);
    if (ec) {
      check(answers.size() == 1, "unparseable input needs exactly one answer", line);
      check_response(answers[0], line);
      check(answers[0].at("id").is_null(), "a parse error must carry a null id", line);
      check(answers[0].as_object().contains("error"), "a parse error must be an error", line);
      return;
    }
    if (auto id = cancelled_id(request)) open_streams.erase(*id);
    if (request.is_array()) {
      for (const auto& item : request.as_array()) {
        if (auto id = cancelled_id(item)) open_streams.erase(*id);
      }
    }
    if (!request.is_array()) {
      auto expected = expected_answer(request);
      if (!acknowledged.empty()) {
        // A subscriptions/listen opened a stream: acknowledged instead of answered.
        check(acknowledged.size() == 1 && expected && acknowledged[0] == *expected &&
                  request.at("method") == "subscriptions/listen",
              "an acknowledgement for something that did not open a stream", line);
        check(answers.empty(), "an open stream was answered", line);
        check(open_streams.insert(json::serialize(*expected)).second,
              "a stream opened with the id of an open one", line);
        return;
      }
      check(answers.size() == (expected ? 1u : 0u), "wrong number of answers to a message", line);
      if (expected) {
        check_response(answers[0], line);
        check(answers[0].at("id") == *expected, "an answer carries the wrong id", line);
      }
      return;
    }
    check(acknowledged.empty(), "a batch opened a stream", line);
    // A batch: one array of answers, nothing when it held only notifications, or one error
    // when the session refuses batches.
    std::vector<json::value> expected_ids;
    for (const auto& item : request.as_array()) {
      if (item.is_array()) {
        expected_ids.emplace_back(nullptr);
      } else if (auto id = expected_answer(item)) {
        expected_ids.push_back(*id);
      }
    }
    check(answers.size() <= 1, "a batch was answered more than once", line);
    if (answers.empty()) {
      check(expected_ids.empty() && !request.as_array().empty(),
            "a batch with requests got no answer", line);
      return;
    }
    if (answers[0].is_object()) {
      check_response(answers[0], line);
      check(answers[0].at("id").is_null() && answers[0].as_object().contains("error"),
            "a refused batch must get one error with a null id", line);
      return;
    }
    check(answers[0].is_array(), "a batch answer must be an array", line);
    std::vector<json::value> got_ids;
    for (const auto& a : answers[0].as_array()) {
      check_response(a, line);
      got_ids.push_back(a.at("id"));
    }
    check(id_keys(got_ids) == id_keys(expected_ids), "a batch answer has the wrong ids", line);
  }

  // Ends the open streams: one closing result for each, carrying its id.
  void end_streams() {
    check(core.listening() == open_streams.size(),
          "the engine and the harness count streams "
          "differently");
    core.end_subscriptions();
    std::set<std::string> closed;
    for (const auto& v : settle("(end_subscriptions)")) {
      check_response(v, "(end_subscriptions)");
      check(v.as_object().contains("result"), "a stream ended with an error");
      check(closed.insert(json::serialize(v.at("id"))).second, "a stream was closed twice");
    }
    check(closed == open_streams, "the closed streams are not the open ones");
    check(core.listening() == 0, "streams left open after end_subscriptions");
    open_streams.clear();
  }

  void on_oversized(std::size_t limit) {
    core.handle_oversized(limit);
    auto answers = settle("(oversized line)");
    check(answers.size() == 1, "an oversized line needs exactly one answer");
    check_response(answers[0], "(oversized line)");
    check(answers[0].at("id").is_null(), "an oversized line's answer must carry a null id");
  }
};

// Pass 2: checks each message as it is written (on the engine's threads), without knowing which
// line caused it.
class checking_sink : public message_sink {
 public:
  void send(std::string message) override {
    json::value v = parse_output(message);
    if (v.is_array()) {
      check(!v.as_array().empty(), "an empty batch answer was written", message);
      for (const auto& a : v.as_array()) check_response(a, message);
    } else if (is_notification(v)) {
      check_notification(v, message);
    } else {
      check_response(v, message);
    }
  }
};

void run_pipelined(const registry& reg, worker_pool& pool, std::string_view input) {
  checking_sink sink;
  engine_options o;
  o.page_size = 1;
  o.max_depth = max_depth;
  engine core(reg, pool, sink, o);
  line_reader reader(
      max_line_bytes, [&](std::string_view line) { core.handle_text(line); },
      [&](std::size_t limit) { core.handle_oversized(limit); });
  reader.feed(input);
  reader.finish();
  // Half the inputs (by length) shut down at once, cancelling whatever is queued or running;
  // the others first let every request finish.
  if (input.size() % 2 == 0) {
    check(core.wait_idle(std::chrono::seconds(30)), "a pipelined session never went idle");
  }
  core.shutdown();
  check(core.in_flight() == 0, "requests still in flight after shutdown");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Shared by every input: building them is slow, and neither keeps per-session state.
  static const registry reg = make_registry();
  static worker_pool pool(2, 4);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  {
    session s(pool, reg);
    line_reader reader(
        max_line_bytes, [&](std::string_view line) { s.on_line(line); },
        [&](std::size_t limit) { s.on_oversized(limit); });
    reader.feed(input);
    reader.finish();
    // Half the inputs end their streams gracefully; the others drop them with the session.
    if (input.size() % 2 == 1) s.end_streams();
    s.core.shutdown();
  }
  run_pipelined(reg, pool, input);
  return 0;
}
