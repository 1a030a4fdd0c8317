// Fuzzes the MCP stdio framing and protocol engine: any byte stream must yield only well-formed
// JSON-RPC answers (one JSON object or batch array per message, "jsonrpc": "2.0"), never a crash.
#include <boost/json/parse.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/mcp/engine.hpp"
#include "core/mcp/line_reader.hpp"

namespace {

namespace json = boost::json;
using namespace pons::mcp;

class checking_sink : public message_sink {
 public:
  void send(std::string message) override {
    json::error_code ec;
    json::value v = json::parse(message, ec);
    if (ec) std::abort();
    auto check = [](const json::value& m) {
      if (!m.is_object() || !m.as_object().contains("jsonrpc") || m.at("jsonrpc") != "2.0") {
        std::abort();
      }
    };
    if (v.is_array()) {
      for (const auto& m : v.as_array()) check(m);
    } else {
      check(v);
    }
  }
};

registry make_registry() {
  registry reg;
  tool_def echo;
  echo.name = "echo";
  echo.description = "Echoes its text.";
  echo.input_schema = json::parse(
                          R"({"type":"object","properties":{"text":{"type":"string","maxLength":64},
                          "n":{"type":"integer","minimum":0,"maximum":5}},"required":["text"]})")
                          .as_object();
  echo.output_schema = json::parse(R"({"type":"object"})").as_object();
  echo.handler = [](const json::object& args, call_context& ctx) {
    ctx.progress(1, 2);
    return tool_result::structured_result(json::object{{"text", args.at("text")}}, "ok");
  };
  reg.add_tool(std::move(echo));
  resource_template_def conv;
  conv.uri_template = "pons://conversations/{id}";
  conv.name = "conversation";
  conv.read = [](std::string_view uri, const std::map<std::string, std::string>&, call_context&) {
    return resource_result::text(std::string(uri), "text/plain", "x");
  };
  reg.add_resource_template(std::move(conv));
  return reg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const registry reg = make_registry();
  worker_pool pool(1, 8);
  checking_sink sink;
  engine_options options;
  options.page_size = 1;
  engine session(reg, pool, sink, options);
  line_reader lines(
      4096, [&](std::string_view line) { session.handle_text(line); },
      [&](std::size_t limit) { session.handle_oversized(limit); });
  lines.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  lines.finish();
  session.wait_idle(std::chrono::seconds(5));
  session.shutdown();
  return 0;
}
