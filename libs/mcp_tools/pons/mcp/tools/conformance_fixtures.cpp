#include "pons/mcp/tools/conformance_fixtures.hpp"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <chrono>

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
}

}  // namespace pons::mcp
