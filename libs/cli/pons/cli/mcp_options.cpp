#include "pons/cli/mcp_options.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <filesystem>

#include "pons/store/db_location.hpp"

namespace pons::cli {

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

// A word the shell reads back unchanged: bare when it is plain, else in single quotes.
// True when the Graph API base URL names this machine (the sandbox's or a test's fake Graph API),
// whose token opens nothing elsewhere.
bool graph_is_local(const env_lookup& env) {
  auto base = env("WA_GRAPH_BASE_URL");
  if (!base || base->empty()) return false;
  auto url = boost::urls::parse_uri(*base);
  // Boost.URL 1.81 reads "http://127.0.0.1.example.com" as 127.0.0.1 and a path ".example.com".
  if (!url || (!url->encoded_path().empty() && url->encoded_path().front() != '/')) return false;
  const std::string host(url->encoded_host());
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

std::string shell_word(std::string_view word) {
  const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (plain) return std::string(word);
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string mcp_usage() {
  return "usage: pons-mcp [options]\n"
         "\n"
         "The Pons MCP server: WhatsApp Business conversations for assistants, over stdio.\n"
         "stdout carries only the MCP protocol; logs go to stderr.\n"
         "\n"
         "options:\n"
         "  --db PATH              database file, shared with pons-webhook (default: $PONS_DB,\n"
         "                         else $XDG_DATA_HOME/pons/pons.db, else\n"
         "                         ~/.local/share/pons/pons.db)\n"
         "  --read-only            do not offer the send tools\n"
         "  --dry-run              validate and record sends, but do not call Meta\n"
         "  --max-line-bytes N     longest accepted JSON-RPC line (default 4194304)\n"
         "  --page-size N          items per tools/list, resources/list, prompts/list page\n"
         "                         (default 50)\n"
         "  --workers N            threads running the quick tool calls, the reads (default:\n"
         "                         one fewer than the cores, at least 1)\n"
         "  --call-out-workers N   threads running the tool calls that wait on Meta or on the\n"
         "                         client: sends, template changes (default 4)\n"
         "  --config FILE          accounts, numbers and their access tokens, the JSON file\n"
         "                         pons-webhook reads (mode 0600; default: $PONS_CONFIG)\n"
         "  --upload-dir DIR       folder send_media may upload local files from; repeat for\n"
         "                         more (default: $PONS_UPLOAD_DIR, a ':' list, else outbox/\n"
         "                         beside the database)\n"
         "  --print-config CLIENT  print the configuration that starts this server with these\n"
         "                         options: claude or cursor (the mcpServers JSON document),\n"
         "                         claude-code (the `claude mcp add` command); or that reaches\n"
         "                         pons-webhook's /mcp with an API key: claude-code-http,\n"
         "                         cursor-http\n"
         "  --url URL              the /mcp URL for the -http forms (default\n"
         "                         http://127.0.0.1:8080/mcp)\n"
         "  --version              print the version\n"
         "  --help                 print this help\n"
         "\n"
         "environment: WA_ACCESS_TOKEN, WA_PHONE_NUMBER_ID, WA_WABA_ID, PONS_DB,\n"
         "  WA_GRAPH_BASE_URL, WA_GRAPH_VERSION, WA_GRAPH_CA_FILE, PONS_ALLOWED_RECIPIENTS,\n"
         "  PONS_UPLOAD_DIR, PONS_CONFIG\n";
}

std::variant<mcp_options, std::string> parse_mcp_options(const std::vector<std::string>& args,
                                                         const env_lookup& env,
                                                         std::string_view cwd) {
  mcp_options o;
  o.config_path = env("PONS_CONFIG").value_or("");
  std::optional<std::string> db_flag;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::size_t first = i;
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
      o.what = mcp_options::action::help;
    } else if (a == "--version") {
      o.what = mcp_options::action::version;
    } else if (a == "--read-only") {
      o.read_only = true;
    } else if (a == "--dry-run") {
      o.dry_run = true;
    } else if (a == "--db") {
      auto v = take(a);
      if (!v || v->empty()) return std::string("--db needs a file path");
      db_flag = *v;
      continue;
    } else if (a == "--config") {
      auto v = take(a);
      if (!v || v->empty()) return std::string("--config needs a file path");
      o.config_path = *v;
      // --print-config repeats it absolute: the client starts the server in a folder of its own.
      auto file = std::filesystem::path(*v);
      if (file.is_relative() && !cwd.empty()) file = std::filesystem::path(cwd) / file;
      o.server_args.insert(o.server_args.end(), {"--config", file.lexically_normal().string()});
      continue;
    } else if (a == "--upload-dir") {
      auto v = take(a);
      if (!v || v->empty()) return std::string("--upload-dir needs a folder path");
      o.upload_dirs.push_back(*v);
      // --print-config repeats it absolute: the client starts the server in a folder of its own.
      auto dir = std::filesystem::path(*v);
      if (dir.is_relative() && !cwd.empty()) dir = std::filesystem::path(cwd) / dir;
      o.server_args.insert(o.server_args.end(), {"--upload-dir", dir.lexically_normal().string()});
      continue;
    } else if (a == "--max-line-bytes" || a == "--page-size" || a == "--workers" ||
               a == "--call-out-workers") {
      auto v = take(a);
      auto n = v ? parse_size(*v) : std::nullopt;
      if (!n || *n == 0) return fmt::format("{} needs a positive whole number", a);
      if (a == "--max-line-bytes") {
        o.max_line_bytes = *n;
      } else if (a == "--page-size") {
        o.page_size = *n;
      } else if (a == "--workers") {
        o.workers = std::min<std::size_t>(*n, 64);
      } else {
        o.call_out_workers = std::min<std::size_t>(*n, 64);
      }
    } else if (a == "--print-config") {
      auto v = take(a);
      const std::string_view clients[] = {"claude", "cursor", "claude-code", "claude-code-http",
                                          "cursor-http"};
      if (!v || std::find(std::begin(clients), std::end(clients), *v) == std::end(clients)) {
        return std::string(
            "--print-config needs claude, cursor, claude-code, claude-code-http or cursor-http");
      }
      o.what = mcp_options::action::print_config;
      o.config_client = *v;
      continue;
    } else if (a == "--url") {
      auto v = take(a);
      auto url =
          v ? boost::urls::parse_absolute_uri(*v) : boost::system::result<boost::urls::url_view>{};
      if (!url || (url->scheme() != "http" && url->scheme() != "https") || !url->has_authority() ||
          url->encoded_host().empty() ||
          (!url->encoded_path().empty() && url->encoded_path().front() != '/')) {
        return std::string(
            "--url needs the http(s) URL of /mcp, such as https://pons.example.com/mcp");
      }
      o.config_url = *v;
      continue;
    } else {
      return fmt::format("unknown option {} (see pons-mcp --help)", a);
    }
    // Kept as given, so --print-config reproduces the same server.
    o.server_args.insert(o.server_args.end(), args.begin() + static_cast<std::ptrdiff_t>(first),
                         args.begin() + static_cast<std::ptrdiff_t>(i) + 1);
  }
  if (o.what == mcp_options::action::serve || o.what == mcp_options::action::print_config) {
    auto db = store::resolve_db_location(db_flag, env, cwd);
    if (!db) return db.message;
    o.db_path = std::move(db.path);
    o.data_dir = std::move(db.data_dir);
  }
  return o;
}

namespace {

// The HTTP forms: the URL and the header, the key left for the user to fill in.
std::string remote_config_snippet(const mcp_options& options) {
  constexpr std::string_view key_placeholder = "<API key from pons-webhook keys create>";
  const std::string header = fmt::format("Authorization: Bearer {}", key_placeholder);
  if (options.config_client == "claude-code-http") {
    return fmt::format("claude mcp add --transport http --scope user pons {} \\\n  --header {}\n",
                       shell_word(options.config_url), shell_word(header));
  }
  boost::json::object server{
      {"url", options.config_url},
      {"headers",
       boost::json::object{{"Authorization", fmt::format("Bearer {}", key_placeholder)}}}};
  boost::json::object root{{"mcpServers", boost::json::object{{"pons", std::move(server)}}}};
  std::string out;
  pretty(root, out, 0);
  out += '\n';
  return out;
}

}  // namespace

std::string config_snippet(const mcp_options& options, std::string_view binary_path,
                           const env_lookup& env) {
  if (options.config_client.ends_with("-http")) return remote_config_snippet(options);
  // The account's values when this environment has them, placeholders otherwise; the optional
  // settings only when set (the sandbox's fake Graph API, for one).
  std::vector<std::pair<std::string, std::string>> vars;
  const std::pair<const char*, const char*> required[] = {
      {"WA_ACCESS_TOKEN", "<your WhatsApp Cloud API access token>"},
      {"WA_PHONE_NUMBER_ID", "<your phone number id>"},
      {"WA_WABA_ID", "<your WhatsApp Business Account id>"}};
  // A real access token is a secret: it is never printed (the output may land in a terminal's
  // scrollback or a service's journal). Only a fake Graph API's token on this machine is.
  const bool token_printable = graph_is_local(env);
  for (const auto& [name, placeholder] : required) {
    auto v = env(name);
    const bool secret = std::string_view(name) == "WA_ACCESS_TOKEN" && !token_printable;
    vars.emplace_back(name, v && !v->empty() && !secret ? *v : placeholder);
  }
  for (const char* name : {"WA_GRAPH_BASE_URL", "WA_GRAPH_VERSION", "WA_GRAPH_CA_FILE",
                           "PONS_ALLOWED_RECIPIENTS", "PONS_UPLOAD_DIR"}) {
    if (auto v = env(name); v && !v->empty()) vars.emplace_back(name, *v);
  }
  std::vector<std::string> args{"--db", options.db_path};
  args.insert(args.end(), options.server_args.begin(), options.server_args.end());

  if (options.config_client == "claude-code") {
    // Claude Code's `--env` takes several values: the server name goes before it.
    std::string out = "claude mcp add pons --scope user";
    for (const auto& [name, value] : vars) {
      out += " \\\n  --env " + shell_word(name + "=" + value);
    }
    out += " \\\n  -- " + shell_word(binary_path);
    for (const auto& a : args) out += " " + shell_word(a);
    out += '\n';
    return out;
  }
  boost::json::object env_block;
  for (const auto& [name, value] : vars) env_block[name] = value;
  boost::json::array json_args;
  for (const auto& a : args) json_args.emplace_back(a);
  boost::json::object server;
  if (options.config_client == "cursor") server["type"] = "stdio";
  server["command"] = binary_path;
  server["args"] = std::move(json_args);
  server["env"] = std::move(env_block);
  boost::json::object root{{"mcpServers", boost::json::object{{"pons", std::move(server)}}}};
  std::string out;
  pretty(root, out, 0);
  out += '\n';
  return out;
}

}  // namespace pons::cli
