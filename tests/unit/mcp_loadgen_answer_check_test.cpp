#include <fmt/format.h>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "support/mcp_loadgen/answer_check.hpp"

namespace bhttp = boost::beast::http;
using pons::loadgen::problem_of;

namespace {

bhttp::response<bhttp::string_body> sse_answer(const std::string& message, int status = 200) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
  res.set(bhttp::field::content_type, "text/event-stream");
  res.body() = "event: message\ndata: " + message + "\n\n";
  return res;
}

// A get_messages result with `lines` message lines and `rows` rows (none: no structuredContent).
std::string result_with(int lines, int rows, const std::string& extra = "") {
  std::string text;
  for (int i = 0; i < lines; ++i)
    text += fmt::format("#{} 2026-12-01 Ana: hi \\\"there\\\"\\n", i + 1);
  text += "cursor for newer messages: abc";
  std::string structured;
  if (rows >= 0) {
    structured = R"(,"structuredContent":{"messages":[)";
    for (int i = 0; i < rows; ++i) {
      structured +=
          fmt::format(R"({}{{"id":{},"text":"hi","tags":["a",{{"b":[1]}}]}})", i ? "," : "", i + 1);
    }
    structured += R"(],"has_more":false})";
  }
  return fmt::format(R"({{"jsonrpc":"2.0","id":7,"result":{{"content":[{{"type":"text",)"
                     R"("text":"{}"}}]{}{}}}}})",
                     text, structured, extra);
}

}  // namespace

TEST_CASE("loadgen: a complete answer passes, in JSON or as an SSE event", "[loadgen]") {
  CHECK(problem_of(sse_answer(result_with(3, 3)), 7, 3).empty());
  CHECK(problem_of(sse_answer(result_with(3, -1)), 7, 3).empty());
  bhttp::response<bhttp::string_body> json{bhttp::status::ok, 11};
  json.set(bhttp::field::content_type, "application/json");
  json.body() = result_with(2, 2, R"(,"isError":false)");
  CHECK(problem_of(json, 7, 2).empty());
}

TEST_CASE("loadgen: every wrong answer is counted as one", "[loadgen]") {
  CHECK(problem_of(sse_answer(result_with(3, 3), 500), 7, 3) == "HTTP 500");
  CHECK(problem_of(sse_answer(result_with(3, 3)), 8, 3) == "no answer with id 8");
  CHECK(problem_of(sse_answer(result_with(2, 3)), 7, 3) == "2 messages in the text");
  CHECK(problem_of(sse_answer(result_with(3, 2)), 7, 3) == "not the messages in structuredContent");
  CHECK(problem_of(sse_answer(R"({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text",)"
                              R"("text":"#1 a\n"}],"structuredContent":{"rows":[]}}})"),
                   7, 1) == "not the messages in structuredContent");
  CHECK(problem_of(sse_answer(result_with(3, 3, R"(,"isError":true)")), 7, 3)
            .rfind("tool error", 0) == 0);
  CHECK(problem_of(sse_answer(R"({"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"x"}})"),
                   7, 3)
            .rfind("error ", 0) == 0);
  CHECK(problem_of(sse_answer(R"({"jsonrpc":"2.0","id":7,"result":[1]})"), 7, 3) == "no result");
  CHECK(problem_of(sse_answer(R"({"jsonrpc":"2.0","id":7,"result":{)"), 7, 3) ==
        "an answer that is not a JSON object");
  CHECK(problem_of(sse_answer(result_with(3, 3) + "xyz"), 7, 3) ==
        "an answer that is not a JSON object");
  // A message line nested elsewhere does not count.
  CHECK(problem_of(sse_answer(R"({"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text",)"
                              R"("text":"none"}],"other":{"text":"#1 a\n"}}})"),
                   7, 1) == "0 messages in the text");
}
