#include "core/mcp/server_options.hpp"

#include <fmt/core.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

namespace pons::mcp {

namespace {

std::optional<std::size_t> parse_size(std::string_view text) {
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// A readable, indented rendering of a small JSON object (the snippets are read by people).
void pretty(const boost::json::value& v, std::string& out, int indent) {
  std::string pad(static_cast<std::size_t>(indent) * 2, ' ');
  if (v.is_object()) {
    const auto& obj = v.get_object();
    if (obj.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    std::size_t i = 0;
    for (const auto& [key, member] : obj) {
      out += pad + "  " + boost::json::serialize(boost::json::value(key)) + ": ";
      pretty(member, out, indent + 1);
      out += ++i < obj.size() ? ",\n" : "\n";
    }
    out += pad + "}";
    return;
  }
  out += boost::json::serialize(v);
}

}  // namespace

std::string default_db_path(const env_lookup& env) {
  if (auto db = env("PONS_DB"); db && !db->empty()) return *db;
  if (auto xdg = env("XDG_DATA_HOME"); xdg && !xdg->empty()) return *xdg + "/pons/pons.db";
  if (auto home = env("HOME"); home && !home->empty()) return *home + "/.local/share/pons/pons.db";
  return "pons.db";
}

std::string usage_text() {
  return "usage: pons-mcp [options]\n"
         "\n"
         "The Pons MCP server: WhatsApp Business conversations for assistants, over stdio.\n"
         "stdout carries only the MCP protocol; logs go to stderr.\n"
         "\n"
         "options:\n"
         "  --db PATH              database file (default: $PONS_DB, else\n"
         "                         $XDG_DATA_HOME/pons/pons.db, else ~/.local/share/pons/pons.db)\n"
         "  --read-only            do not offer the send tools\n"
         "  --dry-run              validate and record sends, but do not call Meta\n"
         "  --max-line-bytes N     longest accepted JSON-RPC line (default 4194304)\n"
         "  --page-size N          items per tools/list, resources/list, prompts/list page\n"
         "                         (default 50)\n"
         "  --workers N            threads running tool calls (default 4)\n"
         "  --config FILE          accounts, numbers and their access tokens, the JSON file\n"
         "                         pons-webhook reads (mode 0600; default: $PONS_CONFIG)\n"
         "  --upload-dir DIR       folder send_media may upload local files from; repeat for\n"
         "                         more (default: $PONS_UPLOAD_DIR, a ':' list, else outbox/\n"
         "                         beside the database)\n"
         "  --print-config CLIENT  print a configuration snippet for claude or cursor\n"
         "  --version              print the version\n"
         "  --help                 print this help\n"
         "\n"
         "environment: WA_ACCESS_TOKEN, WA_PHONE_NUMBER_ID, WA_WABA_ID, PONS_DB,\n"
         "  WA_GRAPH_BASE_URL, WA_GRAPH_VERSION, WA_GRAPH_CA_FILE, PONS_ALLOWED_RECIPIENTS,\n"
         "  PONS_UPLOAD_DIR, PONS_CONFIG\n";
}

std::variant<server_options, std::string> parse_server_options(const std::vector<std::string>& args,
                                                               const env_lookup& env) {
  server_options o;
  o.db_path = default_db_path(env);
  o.config_path = env("PONS_CONFIG").value_or("");
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    std::string_view value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto take = [&](std::string_view name) -> std::optional<std::string> {
      if (has_value) return std::string(value);
      if (i + 1 >= args.size()) return std::nullopt;
      (void)name;
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      o.what = server_options::action::help;
    } else if (a == "--version") {
      o.what = server_options::action::version;
    } else if (a == "--read-only") {
      o.read_only = true;
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--db") {
      auto v = take(a);
      if (!v || v->empty()) return std::string("--db needs a file path");
      o.db_path = *v;
    } else if (a == "--config") {
      auto v = take(a);
      if (!v || v->empty()) return std::string("--config needs a file path");
      o.config_path = *v;
    } else if (a == "--upload-dir") {
      auto v = take(a);
      if (!v || v->empty()) return std::string("--upload-dir needs a folder path");
      o.upload_dirs.push_back(*v);
    } else if (a == "--max-line-bytes" || a == "--page-size" || a == "--workers") {
      auto v = take(a);
      auto n = v ? parse_size(*v) : std::nullopt;
      if (!n || *n == 0) return fmt::format("{} needs a positive whole number", a);
      if (a == "--max-line-bytes") {
        o.max_line_bytes = *n;
      } else if (a == "--page-size") {
        o.page_size = *n;
      } else {
        o.workers = std::min<std::size_t>(*n, 64);
      }
    } else if (a == "--print-config") {
      auto v = take(a);
      if (!v || (*v != "claude" && *v != "cursor")) {
        return std::string("--print-config needs claude or cursor");
      }
      o.what = server_options::action::print_config;
      o.config_client = *v;
    } else {
      return fmt::format("unknown option {} (see pons-mcp --help)", a);
    }
  }
  return o;
}

std::string config_snippet(std::string_view client, std::string_view binary_path) {
  boost::json::object env{{"WA_ACCESS_TOKEN", "<your WhatsApp Cloud API access token>"},
                          {"WA_PHONE_NUMBER_ID", "<your phone number id>"},
                          {"WA_WABA_ID", "<your WhatsApp Business Account id>"},
                          {"PONS_DB", "<path to pons.db, shared with pons-webhook>"}};
  boost::json::object server;
  if (client == "cursor") server["type"] = "stdio";
  server["command"] = binary_path;
  server["args"] = boost::json::array{};
  server["env"] = std::move(env);
  boost::json::object root{{"mcpServers", boost::json::object{{"pons", std::move(server)}}}};
  std::string out;
  pretty(root, out, 0);
  out += '\n';
  return out;
}

}  // namespace pons::mcp
