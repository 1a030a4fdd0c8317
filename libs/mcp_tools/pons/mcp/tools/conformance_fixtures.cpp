#include "pons/mcp/tools/conformance_fixtures.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <random>

#include "pons/meta/signature.hpp"

namespace pons::mcp {

namespace json = boost::json;

namespace {

// A 1x1 red PNG and a minimal WAV file, as the suite's reference server sends them.
constexpr std::string_view test_image =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg"
    "==";
constexpr std::string_view test_audio =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

json::object text_block(std::string_view text) {
  return {{"type", "text"}, {"text", text}};
}

json::object media_block(std::string_view type, std::string_view data, std::string_view mime) {
  return {{"type", type}, {"data", data}, {"mimeType", mime}};
}

json::object resource_block(std::string_view uri, std::string_view mime, std::string_view text) {
  return {{"type", "resource"},
          {"resource", json::object{{"uri", uri}, {"mimeType", mime}, {"text", text}}}};
}

tool_result content_result(json::array content) {
  tool_result r;
  r.content = std::move(content);
  return r;
}

void add_tool(registry& reg, std::string name, std::string description, tool_handler handler) {
  tool_def t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.input_schema = json::object{{"type", "object"}, {"properties", json::object{}}};
  t.handler = std::move(handler);
  // Several wait (on the client, or between notifications); none is a quick read.
  t.calls_out = true;
  reg.add_tool(std::move(t));
}

json::object user_message(json::object content) {
  return {{"role", "user"}, {"content", std::move(content)}};
}

// The suite waits about 50 ms between notifications so a client sees them arrive one by one.
void pause(call_context& ctx) {
  ctx.token().wait_for(std::chrono::milliseconds(50));
}

// A tool taking one required string argument.
void add_tool_with_string(registry& reg, std::string name, std::string description,
                          std::string_view argument, std::string_view argument_description,
                          tool_handler handler) {
  tool_def t;
  t.name = std::move(name);
  t.description = std::move(description);
  t.input_schema = json::object{
      {"type", "object"},
      {"properties", json::object{{argument, json::object{{"type", "string"},
                                                          {"description", argument_description}}}}},
      {"required", json::array{argument}}};
  t.handler = std::move(handler);
  // Several wait (on the client, or between notifications); none is a quick read.
  t.calls_out = true;
  reg.add_tool(std::move(t));
}

std::string string_arg(const json::object& args, std::string_view name) {
  const json::value* v = args.if_contains(name);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The client's refusal, missing capability or silence, as a tool error the model can read.
tool_result failed(const client_reply& reply) {
  return tool_result::error(
      fmt::format("The client was not asked, or did not answer: {}", reply.message));
}

// Asks the client to fill in `schema` and says what it answered, as the reference server does.
tool_result elicit(call_context& ctx, std::string message, json::object schema) {
  auto reply = ctx.request_client(
      "elicitation/create",
      json::object{{"message", std::move(message)}, {"requestedSchema", std::move(schema)}});
  if (!reply.ok()) return failed(reply);
  const json::object* r = reply.result.if_object();
  const json::value* action = r ? r->if_contains("action") : nullptr;
  const json::value* content = r ? r->if_contains("content") : nullptr;
  return tool_result::text(fmt::format(
      "Elicitation completed: action={}, content={}",
      action && action->is_string() ? std::string_view(action->get_string()) : "unknown",
      content ? json::serialize(*content) : std::string("{}")));
}

json::object titled(std::string_view value, std::string_view title) {
  return {{"const", value}, {"title", title}};
}

// --- 2026-07-28 input_required fixtures (the reference server's SEP-2322 tools) ---

json::object elicit(std::string_view message, std::string_view field, std::string_view type) {
  return {{"method", "elicitation/create"},
          {"params",
           json::object{
               {"message", message},
               {"requestedSchema",
                json::object{{"type", "object"},
                             {"properties", json::object{{field, json::object{{"type", type}}}}},
                             {"required", json::array{field}}}}}}};
}

json::object sample(std::string_view text, int max_tokens) {
  return {{"method", "sampling/createMessage"},
          {"params", json::object{{"messages", json::array{user_message(text_block(text))}},
                                  {"maxTokens", max_tokens}}}};
}

json::object list_roots() {
  return {{"method", "roots/list"}, {"params", json::object{}}};
}

tool_result needs(json::object requests, std::optional<std::string> state = std::nullopt) {
  tool_result r;
  r.input_required = input_needed{std::move(requests), std::move(state)};
  return r;
}

// The object an answer holds under `key` (empty when absent or not an object).
const json::object* answer_of(const call_context& ctx, std::string_view key) {
  const json::value* v = ctx.input_responses().if_contains(key);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

// An elicitation answer's content.<field> as text ("unknown" when missing).
std::string elicited(const call_context& ctx, std::string_view key, std::string_view field) {
  const json::object* a = answer_of(ctx, key);
  const json::value* content = a ? a->if_contains("content") : nullptr;
  const json::value* v =
      content && content->is_object() ? content->get_object().if_contains(field) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : std::string("unknown");
}

// requestState as a JSON object (empty when absent or not JSON).
json::object state_of(const call_context& ctx) {
  if (!ctx.request_state()) return {};
  boost::system::error_code ec;
  json::value v = json::parse(*ctx.request_state(), ec);
  return !ec && v.is_object() ? v.get_object() : json::object{};
}

std::string random_hex() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

std::string state_text(json::object state) {
  state["nonce"] = random_hex();
  return json::serialize(state);
}

void register_input_required_fixtures(registry& reg) {
  auto secret = std::make_shared<const std::string>(random_hex() + random_hex());
  tool_def missing;
  missing.name = "test_missing_capability";
  missing.description = "Test tool requiring sampling";
  missing.input_schema = json::object{{"type", "object"}, {"properties", json::object{}}};
  missing.required_client_capabilities = json::object{{"sampling", json::object{}}};
  missing.handler = [](const json::object&, call_context&) { return tool_result::text("Success"); };
  reg.add_tool(std::move(missing));

  add_tool(
      reg, "test_input_required_result_elicitation",
      "MRTR: returns InputRequiredResult with elicitation request",
      [](const json::object&, call_context& ctx) {
        if (answer_of(ctx, "user_name")) {
          return tool_result::text(fmt::format("Hello, {}!", elicited(ctx, "user_name", "name")));
        }
        return needs({{"user_name", elicit("What is your name?", "name", "string")}});
      });
  add_tool(reg, "test_input_required_result_sampling",
           "MRTR: returns InputRequiredResult with sampling request",
           [](const json::object&, call_context& ctx) {
             if (const json::object* a = answer_of(ctx, "sample_request")) {
               const json::value* c = a->if_contains("content");
               const json::value* t =
                   c && c->is_object() ? c->get_object().if_contains("text") : nullptr;
               return tool_result::text(fmt::format(
                   "Sampling result: {}",
                   t && t->is_string() ? std::string_view(t->get_string()) : "no response"));
             }
             return needs({{"sample_request", sample("What is the capital of France?", 100)}});
           });
  add_tool(reg, "test_input_required_result_list_roots",
           "MRTR: returns InputRequiredResult with roots/list request",
           [](const json::object&, call_context& ctx) {
             if (const json::object* a = answer_of(ctx, "roots_request")) {
               const json::value* roots = a->if_contains("roots");
               return tool_result::text(fmt::format(
                   "Found {} root(s)", roots && roots->is_array() ? roots->get_array().size() : 0));
             }
             return needs({{"roots_request", list_roots()}});
           });
  add_tool(reg, "test_input_required_result_request_state",
           "MRTR: returns InputRequiredResult with requestState",
           [](const json::object&, call_context& ctx) {
             json::object state = state_of(ctx);
             const json::object* a = answer_of(ctx, "confirm");
             const json::value* content = a ? a->if_contains("content") : nullptr;
             const json::value* ok = content && content->is_object()
                                         ? content->get_object().if_contains("ok")
                                         : nullptr;
             const json::value* kind = state.if_contains("kind");
             if (kind && *kind == "request-state" && ok && ok->is_bool() && ok->get_bool()) {
               return tool_result::text("state-ok: requestState validated");
             }
             return needs({{"confirm", elicit("Please confirm", "ok", "boolean")}},
                          state_text({{"kind", "request-state"}}));
           });
  add_tool(reg, "test_input_required_result_multiple_inputs",
           "MRTR: returns InputRequiredResult with multiple input requests",
           [](const json::object&, call_context& ctx) {
             json::object state = state_of(ctx);
             const json::value* kind = state.if_contains("kind");
             const json::object* greeting = answer_of(ctx, "greeting");
             const json::object* roots = answer_of(ctx, "client_roots");
             if (kind && *kind == "multiple-inputs" && answer_of(ctx, "user_name") && greeting &&
                 roots) {
               const json::value* c = greeting->if_contains("content");
               const json::value* t =
                   c && c->is_object() ? c->get_object().if_contains("text") : nullptr;
               const json::value* r = roots->if_contains("roots");
               return tool_result::text(fmt::format(
                   "Name: {}; Greeting: {}; Roots: {}", elicited(ctx, "user_name", "name"),
                   t && t->is_string() ? std::string_view(t->get_string()) : "Hello there!",
                   r && r->is_array() ? r->get_array().size() : 0));
             }
             return needs({{"user_name", elicit("What is your name?", "name", "string")},
                           {"greeting", sample("Generate a greeting", 50)},
                           {"client_roots", list_roots()}},
                          state_text({{"kind", "multiple-inputs"}}));
           });
  add_tool(reg, "test_input_required_result_multi_round",
           "MRTR: multi-round InputRequiredResult workflow",
           [](const json::object&, call_context& ctx) {
             json::object state = state_of(ctx);
             const json::value* round = state.if_contains("round");
             if (round && *round == 1 && answer_of(ctx, "step1")) {
               return needs(
                   {{"step2", elicit("Step 2: What is your favorite color?", "color", "string")}},
                   state_text({{"round", 2}, {"name", elicited(ctx, "step1", "name")}}));
             }
             if (round && *round == 2 && answer_of(ctx, "step2")) {
               const json::value* name = state.if_contains("name");
               return tool_result::text(fmt::format(
                   "Multi-round complete for {} who likes {}",
                   name && name->is_string() ? std::string_view(name->get_string()) : "friend",
                   elicited(ctx, "step2", "color")));
             }
             return needs({{"step1", elicit("Step 1: What is your name?", "name", "string")}},
                          state_text({{"round", 1}}));
           });
  add_tool(reg, "test_input_required_result_tampered_state",
           "MRTR: HMAC-signed requestState integrity test",
           [secret](const json::object&, call_context& ctx) {
             if (ctx.request_state()) {
               // The state is {"data": ..., "hmac": HMAC-SHA256(secret, data)}: the client
               // carries it, so anything it changed is refused.
               json::object signed_state = state_of(ctx);
               const json::value* data = signed_state.if_contains("data");
               const json::value* mac = signed_state.if_contains("hmac");
               if (!data || !data->is_string() || !mac || !mac->is_string() ||
                   meta::hmac_sha256_hex(*secret, data->get_string()) != mac->get_string()) {
                 return tool_result::invalid_argument(
                     "params.requestState",
                     "integrity check failed: send back the requestState of the last result "
                     "unchanged");
               }
               boost::system::error_code ec;
               json::value inner = json::parse(data->get_string(), ec);
               const json::value* kind =
                   !ec && inner.is_object() ? inner.get_object().if_contains("kind") : nullptr;
               if (kind && *kind == "tamper-test" && answer_of(ctx, "confirm")) {
                 return tool_result::text("integrity-ok: state verified");
               }
             }
             std::string data = state_text({{"kind", "tamper-test"}});
             std::string mac = meta::hmac_sha256_hex(*secret, data);
             return needs({{"confirm", elicit("Please confirm", "ok", "boolean")}},
                          json::serialize(json::object{{"data", data}, {"hmac", mac}}));
           });
  add_tool(reg, "test_input_required_result_capabilities",
           "MRTR: respects client capabilities in inputRequests",
           [](const json::object&, call_context& ctx) {
             if (!ctx.input_responses().empty()) {
               std::string keys;
               for (const auto& [k, v] : ctx.input_responses()) {
                 if (!keys.empty()) keys += ',';
                 keys += std::string_view(k);
               }
               return tool_result::text(fmt::format("capabilities-ok: received {}", keys));
             }
             json::object requests;
             if (ctx.client_capabilities().contains("elicitation")) {
               requests["elicit_input"] = elicit("Elicitation input", "value", "string");
             }
             if (ctx.client_capabilities().contains("sampling")) {
               requests["sample_input"] = sample("Sample request", 50);
             }
             if (requests.empty()) return tool_result::text("No supported capabilities declared");
             return needs(std::move(requests));
           });
  add_tool(
      reg, "test_streaming_elicitation", "Diagnostic tool validating response progress streams",
      [](const json::object&, call_context&) { return tool_result::text("Streaming complete"); });
  add_tool(reg, "test_logging_tool", "Diagnostic logging validator tool",
           [](const json::object&, call_context& ctx) {
             // Sent only when the request asked for log messages (_meta logLevel).
             ctx.log(log_level::info, "Diagnostic trace logging activated");
             return tool_result::text("Logging evaluated");
           });

  prompt_def prompt;
  prompt.name = "test_input_required_result_prompt";
  prompt.description = "MRTR: prompt that requires elicitation input";
  prompt.get = [](const std::map<std::string, std::string>&, call_context& ctx) {
    prompt_result r;
    if (answer_of(ctx, "user_context")) {
      r.messages.push_back(user_message(text_block(
          fmt::format("Prompt with context: {}", elicited(ctx, "user_context", "context")))));
      return r;
    }
    r.input_required = input_needed{
        {{"user_context", elicit("What context should the prompt use?", "context", "string")}},
        std::nullopt};
    return r;
  };
  reg.add_prompt(std::move(prompt));
}

}  // namespace

void register_conformance_fixtures(registry& reg) {
  add_tool_with_string(
      reg, "test_sampling", "Tests server-initiated sampling (LLM completion request)", "prompt",
      "The prompt to send to the LLM", [](const json::object& args, call_context& ctx) {
        json::object text{{"type", "text"}, {"text", string_arg(args, "prompt")}};
        auto reply = ctx.request_client(
            "sampling/createMessage",
            json::object{{"messages", json::array{json::object{{"role", "user"},
                                                               {"content", std::move(text)}}}},
                         {"maxTokens", 100}});
        if (!reply.ok()) return failed(reply);
        const json::object* r = reply.result.if_object();
        const json::value* content = r ? r->if_contains("content") : nullptr;
        const json::value* said =
            content && content->is_object() ? content->get_object().if_contains("text") : nullptr;
        return tool_result::text(fmt::format(
            "LLM response: {}",
            said && said->is_string() ? std::string_view(said->get_string()) : "(no text)"));
      });
  add_tool_with_string(
      reg, "test_elicitation", "Tests server-initiated elicitation (user input request)", "message",
      "The message to show the user", [](const json::object& args, call_context& ctx) {
        json::object schema{
            {"type", "object"},
            {"properties",
             json::object{
                 {"username", json::object{{"type", "string"}, {"description", "User's response"}}},
                 {"email",
                  json::object{{"type", "string"}, {"description", "User's email address"}}}}},
            {"required", json::array{"username", "email"}}};
        auto reply = ctx.request_client("elicitation/create",
                                        json::object{{"message", string_arg(args, "message")},
                                                     {"requestedSchema", std::move(schema)}});
        if (!reply.ok()) return failed(reply);
        return tool_result::text(fmt::format("User response: {}", json::serialize(reply.result)));
      });
  add_tool(
      reg, "test_elicitation_sep1034_defaults",
      "Tests elicitation with default values for every primitive type (SEP-1034)",
      [](const json::object&, call_context& ctx) {
        json::object properties{
            {"name",
             json::object{
                 {"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
            {"age",
             json::object{{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
            {"score",
             json::object{{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
            {"status", json::object{{"type", "string"},
                                    {"description", "User status"},
                                    {"enum", json::array{"active", "inactive", "pending"}},
                                    {"default", "active"}}},
            {"verified",
             json::object{
                 {"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}};
        return elicit(ctx, "Please review and update the form fields with defaults",
                      json::object{{"type", "object"},
                                   {"properties", std::move(properties)},
                                   {"required", json::array{}}});
      });
  add_tool(
      reg, "test_elicitation_sep1330_enums",
      "Tests elicitation with every enum schema variant (SEP-1330)",
      [](const json::object&, call_context& ctx) {
        json::object properties{
            {"untitledSingle",
             json::object{{"type", "string"},
                          {"description", "Choose an option"},
                          {"enum", json::array{"option1", "option2", "option3"}}}},
            {"titledSingle",
             json::object{{"type", "string"},
                          {"description", "Choose a titled option"},
                          {"oneOf", json::array{titled("value1", "First Option"),
                                                titled("value2", "Second Option"),
                                                titled("value3", "Third Option")}}}},
            {"legacyEnum",
             json::object{{"type", "string"},
                          {"description", "Choose a legacy option"},
                          {"enum", json::array{"opt1", "opt2", "opt3"}},
                          {"enumNames", json::array{"Option One", "Option Two", "Option Three"}}}},
            {"untitledMulti",
             json::object{
                 {"type", "array"},
                 {"description", "Choose multiple options"},
                 {"items", json::object{{"type", "string"},
                                        {"enum", json::array{"option1", "option2", "option3"}}}}}},
            {"titledMulti",
             json::object{
                 {"type", "array"},
                 {"description", "Choose multiple titled options"},
                 {"items",
                  json::object{{"anyOf", json::array{titled("value1", "First Choice"),
                                                     titled("value2", "Second Choice"),
                                                     titled("value3", "Third Choice")}}}}}}};
        return elicit(ctx, "Please select options from the enum fields",
                      json::object{{"type", "object"},
                                   {"properties", std::move(properties)},
                                   {"required", json::array{}}});
      });

  add_tool(reg, "test_simple_text", "Tests simple text content response",
           [](const json::object&, call_context&) {
             return tool_result::text("This is a simple text response for testing.");
           });
  add_tool(reg, "test_image_content", "Tests image content response",
           [](const json::object&, call_context&) {
             return content_result({media_block("image", test_image, "image/png")});
           });
  add_tool(reg, "test_audio_content", "Tests audio content response",
           [](const json::object&, call_context&) {
             return content_result({media_block("audio", test_audio, "audio/wav")});
           });
  add_tool(reg, "test_embedded_resource", "Tests embedded resource content response",
           [](const json::object&, call_context&) {
             return content_result({resource_block("test://embedded-resource", "text/plain",
                                                   "This is an embedded resource content.")});
           });
  add_tool(reg, "test_multiple_content_types", "Tests response with multiple content types",
           [](const json::object&, call_context&) {
             return content_result(
                 {text_block("Multiple content types test:"),
                  media_block("image", test_image, "image/png"),
                  resource_block("test://mixed-content-resource", "application/json",
                                 json::serialize(json::object{{"test", "data"}, {"value", 123}}))});
           });
  add_tool(reg, "test_tool_with_logging", "Tests tool that emits log messages during execution",
           [](const json::object&, call_context& ctx) {
             ctx.log(log_level::info, "Tool execution started");
             pause(ctx);
             ctx.log(log_level::info, "Tool processing data");
             pause(ctx);
             ctx.log(log_level::info, "Tool execution completed");
             return tool_result::text("Tool with logging executed successfully");
           });
  add_tool(reg, "test_tool_with_progress", "Tests tool that reports progress notifications",
           [](const json::object&, call_context& ctx) {
             ctx.progress(0, 100, "Completed step 0 of 100");
             pause(ctx);
             ctx.progress(50, 100, "Completed step 50 of 100");
             pause(ctx);
             ctx.progress(100, 100, "Completed step 100 of 100");
             return tool_result::text("Progress reported");
           });
  add_tool(reg, "test_error_handling", "Tests error response handling",
           [](const json::object&, call_context&) {
             return tool_result::error("This tool intentionally returns an error for testing");
           });

  resource_def static_text;
  static_text.uri = "test://static-text";
  static_text.name = "static-text";
  static_text.title = "Static Text Resource";
  static_text.description = "A static text resource for testing";
  static_text.mime_type = "text/plain";
  static_text.read = [](std::string_view uri, call_context&) {
    return resource_result::text(std::string(uri), "text/plain",
                                 "This is the content of the static text resource.");
  };
  reg.add_resource(std::move(static_text));

  resource_def static_binary;
  static_binary.uri = "test://static-binary";
  static_binary.name = "static-binary";
  static_binary.title = "Static Binary Resource";
  static_binary.description = "A static binary resource (image) for testing";
  static_binary.mime_type = "image/png";
  static_binary.read = [](std::string_view uri, call_context&) {
    resource_result r;
    r.contents.push_back(
        json::object{{"uri", uri}, {"mimeType", "image/png"}, {"blob", test_image}});
    return r;
  };
  reg.add_resource(std::move(static_binary));

  resource_def watched;
  watched.uri = "test://watched-resource";
  watched.name = "watched-resource";
  watched.title = "Watched Resource";
  watched.description = "A resource clients may subscribe to";
  watched.mime_type = "text/plain";
  watched.read = [](std::string_view uri, call_context&) {
    return resource_result::text(std::string(uri), "text/plain", "Watched resource content");
  };
  reg.add_resource(std::move(watched));

  resource_template_def tpl;
  tpl.uri_template = "test://template/{id}/data";
  tpl.name = "template";
  tpl.title = "Resource Template";
  tpl.description = "A resource template with parameter substitution";
  tpl.mime_type = "application/json";
  tpl.read = [](std::string_view uri, const std::map<std::string, std::string>& vars,
                call_context&) {
    auto it = vars.find("id");
    std::string id = it == vars.end() ? std::string() : it->second;
    return resource_result::text(
        std::string(uri), "application/json",
        json::serialize(json::object{
            {"id", id}, {"templateTest", true}, {"data", fmt::format("Data for ID: {}", id)}}));
  };
  reg.add_resource_template(std::move(tpl));

  prompt_def simple;
  simple.name = "test_simple_prompt";
  simple.title = "Simple Test Prompt";
  simple.description = "A simple prompt without arguments";
  simple.get = [](const std::map<std::string, std::string>&, call_context&) {
    prompt_result r;
    r.messages.push_back(user_message(text_block("This is a simple prompt for testing.")));
    return r;
  };
  reg.add_prompt(std::move(simple));

  prompt_def with_args;
  with_args.name = "test_prompt_with_arguments";
  with_args.title = "Prompt With Arguments";
  with_args.description = "A prompt with required arguments";
  with_args.arguments = {{"arg1", "First test argument", true},
                         {"arg2", "Second test argument", true}};
  with_args.get = [](const std::map<std::string, std::string>& args, call_context&) {
    auto value = [&](const char* k) {
      auto it = args.find(k);
      return it == args.end() ? std::string() : it->second;
    };
    prompt_result r;
    r.messages.push_back(user_message(text_block(
        fmt::format("Prompt with arguments: arg1='{}', arg2='{}'", value("arg1"), value("arg2")))));
    return r;
  };
  reg.add_prompt(std::move(with_args));

  prompt_def embedded;
  embedded.name = "test_prompt_with_embedded_resource";
  embedded.title = "Prompt With Embedded Resource";
  embedded.description = "A prompt that includes an embedded resource";
  embedded.arguments = {{"resourceUri", "URI of the resource to embed", true}};
  embedded.get = [](const std::map<std::string, std::string>& args, call_context&) {
    auto it = args.find("resourceUri");
    std::string uri = it == args.end() ? std::string() : it->second;
    prompt_result r;
    r.messages.push_back(
        user_message(resource_block(uri, "text/plain", "Embedded resource content for testing.")));
    r.messages.push_back(user_message(text_block("Please process the embedded resource above.")));
    return r;
  };
  reg.add_prompt(std::move(embedded));

  prompt_def image;
  image.name = "test_prompt_with_image";
  image.title = "Prompt With Image";
  image.description = "A prompt that includes image content";
  image.get = [](const std::map<std::string, std::string>&, call_context&) {
    prompt_result r;
    r.messages.push_back(user_message(media_block("image", test_image, "image/png")));
    r.messages.push_back(user_message(text_block("Please analyze the image above.")));
    return r;
  };
  reg.add_prompt(std::move(image));
  register_input_required_fixtures(reg);
}

}  // namespace pons::mcp
