#pragma once
// The tools, resources, resource templates and prompts a server offers. The application fills a
// registry at start-up; the engine reads it (it is not changed while sessions run).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/mcp/call_context.hpp"
#include "pons/mcp/jsonrpc.hpp"
#include "pons/mcp/scope.hpp"

namespace pons::mcp {

/// Behaviour hints shown to clients (MCP tool annotations). Unset hints are omitted.
struct tool_annotations {
  std::optional<bool> read_only;    // readOnlyHint
  std::optional<bool> destructive;  // destructiveHint
  std::optional<bool> idempotent;   // idempotentHint
  std::optional<bool> open_world;   // openWorldHint
};

/// What a modern (2026-07-28) request needs from the client before it can complete: answered as
/// a result with resultType "input_required"; the client retries the request with
/// params.inputResponses (by the same keys) and params.requestState echoed
/// (call_context::input_responses(), request_state()).
struct input_needed {
  boost::json::object input_requests;  // key -> {method: "elicitation/create"|..., params}
  std::optional<std::string> request_state;
};

/// What a tool call produced. A failure the assistant can act on is a result with is_error set;
/// misuse of the protocol (bad arguments) is a protocol_error answered as a JSON-RPC error.
struct tool_result {
  boost::json::array content;                     // MCP content blocks
  std::optional<boost::json::object> structured;  // structuredContent (matches outputSchema)
  /// structuredContent already written as JSON text (one object), by a tool that writes a large
  /// result straight from its rows; answered as it stands. `structured` is then unset.
  std::string structured_json;
  bool is_error = false;
  std::optional<rpc_error> protocol_error;
  std::optional<input_needed> input_required;  // set: the client must answer first

  /// A plain text result.
  static tool_result text(std::string text);
  /// A structured result with its text rendering for clients that ignore structured output.
  static tool_result structured_result(boost::json::object data, std::string text);
  /// The same, with structuredContent written as JSON text (an object) by the tool itself.
  static tool_result written_result(std::string structured_json, std::string text);
  /// A tool execution error (isError: true) with an explanation of what to do next.
  static tool_result error(std::string text);
  /// Bad arguments: answered as JSON-RPC -32602 naming the field and the reason.
  static tool_result invalid_argument(std::string_view field, std::string_view why);

  /// structuredContent as an object, however the tool built it (written JSON is parsed); unset
  /// when the result has none.
  std::optional<boost::json::object> structured_object() const;
};

/// A tool handler: validated arguments in, a result out. Runs on a worker thread.
using tool_handler = std::function<tool_result(const boost::json::object& args, call_context&)>;

/// One tool.
struct tool_def {
  std::string name;
  std::string title;
  std::string description;
  boost::json::object input_schema;                  // JSON Schema, type "object"
  std::optional<boost::json::object> output_schema;  // JSON Schema of structuredContent
  tool_annotations annotations;
  tool_handler handler;
  /// Blocks until something happens (wait_for_messages): runs on the engine's wait lane, not on
  /// the workers that answer quick calls, and at most engine_options::max_waits at once.
  bool long_wait = false;
  /// Spends its calls waiting on someone else: Meta's Graph API, or the client (elicitation,
  /// sampling). Runs on the call-out workers, so that quick calls (reads, which use the CPU)
  /// never queue behind a slow answer, and the quick workers can be as few as the cores.
  bool calls_out = false;
  /// Client capabilities a call needs (e.g. {"elicitation": {}}); empty for none. A call from a
  /// client that did not declare them is refused before the handler runs: -32021 in the modern
  /// era, -32602 in a legacy session (checked against initialize's capabilities).
  boost::json::object required_client_capabilities;
  /// The scope an API key needs to call it over an authorized transport. Set beside every
  /// tool's definition: a tool without one is refused to every key.
  std::optional<scope> required_scope;
  /// Changes what every user of Pons sees (the stored templates), not only one conversation:
  /// signed-in dashboard users need the admin role for it.
  bool administrative = false;
};

/// Contents of a resource read, or the error to answer with.
struct resource_result {
  boost::json::array contents;  // [{uri, mimeType, text} | {uri, mimeType, blob}]
  std::optional<rpc_error> error;

  /// One text content item.
  static resource_result text(std::string uri, std::string mime_type, std::string text);
  /// "Resource not found" for `uri`: -32002, which the engine answers as -32602 in the modern
  /// era (2026-07-28 retired -32002).
  static resource_result not_found(std::string_view uri);
};

/// Completion suggestions for an argument value (at most 100 are sent); `call` says whose data
/// the caller may see.
using completer = std::function<std::vector<std::string>(
    std::string_view argument, std::string_view value,
    const std::map<std::string, std::string>& context, const call_context& call)>;

/// A fixed resource (e.g. the inbox).
struct resource_def {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::function<resource_result(std::string_view uri, call_context&)> read;
};

/// A parameterised resource (e.g. one conversation).
struct resource_template_def {
  std::string uri_template;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::function<resource_result(std::string_view uri,
                                const std::map<std::string, std::string>& vars, call_context&)>
      read;
  completer complete;  // may be empty
};

/// A resource listed in resources/list beyond the fixed ones (e.g. each conversation).
struct resource_info {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
};

/// One declared prompt argument.
struct prompt_argument {
  std::string name;
  std::string description;
  bool required = false;
};

/// A rendered prompt, or the error to answer with.
struct prompt_result {
  std::string description;
  boost::json::array messages;  // [{role, content: {type: "text", text}}]
  std::optional<rpc_error> error;
  std::optional<input_needed> input_required;  // set: the client must answer first
};

/// One prompt template.
struct prompt_def {
  std::string name;
  std::string title;
  std::string description;
  std::vector<prompt_argument> arguments;
  std::function<prompt_result(const std::map<std::string, std::string>& args, call_context&)> get;
  completer complete;  // may be empty
};

/// Everything a server offers.
class registry {
 public:
  /// Adds a tool; a later tool with the same name replaces the earlier one.
  void add_tool(tool_def tool);
  /// Adds a fixed resource.
  void add_resource(resource_def resource);
  /// Adds a resource template.
  void add_resource_template(resource_template_def tpl);
  /// Adds a prompt.
  void add_prompt(prompt_def prompt);
  /// Lists resources beyond the fixed ones, within the caller's account scope.
  using resource_lister = std::function<std::vector<resource_info>(const account_scope&)>;

  /// Sets the source of extra listed resources (called on each resources/list).
  void set_resource_lister(resource_lister lister);

  /// Tools in registration order.
  const std::vector<tool_def>& tools() const { return tools_; }
  const std::vector<resource_def>& resources() const { return resources_; }
  const std::vector<resource_template_def>& resource_templates() const { return templates_; }
  const std::vector<prompt_def>& prompts() const { return prompts_; }
  /// Fixed resources followed by the lister's for a caller who sees `account`.
  std::vector<resource_info> list_resources(const account_scope& account = {}) const;

  const tool_def* find_tool(std::string_view name) const;
  const prompt_def* find_prompt(std::string_view name) const;
  const resource_def* find_resource(std::string_view uri) const;

 private:
  std::vector<tool_def> tools_;
  std::vector<resource_def> resources_;
  std::vector<resource_template_def> templates_;
  std::vector<prompt_def> prompts_;
  resource_lister lister_;
};

}  // namespace pons::mcp
