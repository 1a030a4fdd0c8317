// list_accounts, list_templates and get_media.
#include <fmt/core.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "pons/mcp/base64.hpp"
#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/image_scaler.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/like_pattern.hpp"
#include "pons/store/template_repository.hpp"

namespace pons::mcp {

namespace {

// Larger image files are not read at all (Meta sends images up to 5 MB); they are linked.
constexpr std::uintmax_t max_image_file_bytes = 32 * 1024 * 1024;

// get_media decodes one image at a time, whatever the number of tool workers: each decode may
// hold up to image_limits::max_decode_bytes (256 MiB). Held for a whole decode.
using decode_lock = std::mutex;

// Reads and fits an image file. (pons-mcp's main() makes glibc hand the large buffers of a
// decode back to the system when they are freed.)
boost::system::result<fitted_image> fit_image_file(const std::filesystem::path& file,
                                                   std::uintmax_t size, std::string_view mime,
                                                   decode_lock& one_at_a_time) {
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::ifstream in(file, std::ios::binary);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  std::lock_guard decoding(one_at_a_time);
  return fit_image(bytes, mime);
}

std::string human_size(std::uintmax_t bytes) {
  if (bytes < 1024) return fmt::format("{} bytes", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.0f} KB", static_cast<double>(bytes) / 1024);
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / (1024 * 1024));
}

// --- list_accounts --------------------------------------------------------------------------

tool_result list_accounts(const read_tools_deps& deps, const account_scope& scope) {
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT a.waba_id, a.name, p.phone_number_id, p.display_phone_number, p.verified_name, "
      "p.is_default FROM accounts a LEFT JOIN phone_numbers p ON p.account_id = a.id "
      "WHERE 1 = 1{} ORDER BY a.id, p.id",
      scope_waba(scope, "a.waba_id", 1)));
  if (!s) return tool_result::error(database_problem(s.error()));
  bind_scope(*s, scope, 1);
  json::array accounts;
  std::string default_sender;
  std::string text;
  std::size_t numbers = 0;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    std::string waba = s->column_text(0);
    if (accounts.empty() || accounts.back().at("waba_id") != waba.c_str()) {
      accounts.push_back(json::object{
          {"waba_id", waba}, {"name", s->column_text(1)}, {"phone_numbers", json::array{}}});
      text += fmt::format("Account {} ({})\n", s->column_text(1), waba);
    }
    if (s->column_is_null(2)) continue;
    bool is_default = deps.default_sender.empty() ? s->column_int64(5) != 0
                                                  : s->column_text(2) == deps.default_sender;
    ++numbers;
    if (is_default && default_sender.empty()) default_sender = s->column_text(2);
    accounts.back().as_object()["phone_numbers"].as_array().push_back(
        json::object{{"phone_number_id", s->column_text(2)},
                     {"display_phone_number", s->column_text(3)},
                     {"verified_name", s->column_text(4)},
                     {"is_default", is_default}});
    text += fmt::format("- {} {} (phone_number_id {}){}\n", s->column_text(3), s->column_text(4),
                        s->column_text(2), is_default ? " [default sender]" : "");
  }
  // A single number is the default sender even when none is marked.
  if (default_sender.empty() && numbers == 1) {
    for (const auto& a : accounts) {
      for (const auto& p : a.at("phone_numbers").as_array()) {
        default_sender = std::string(p.at("phone_number_id").as_string());
      }
    }
  }
  if (accounts.empty()) {
    text =
        "No WhatsApp account is recorded yet. Ask the user to set WA_PHONE_NUMBER_ID, WA_WABA_ID "
        "and WA_ACCESS_TOKEN in pons-mcp's environment (the MCP host's configuration, see "
        "pons-mcp --print-config) and restart pons-mcp; pons-webhook also records the accounts "
        "of its configuration, and the first webhook records its number.";
  }
  json::object out{{"accounts", std::move(accounts)}, {"default_sender", default_sender}};
  return tool_result::structured_result(std::move(out), text);
}

// --- list_templates -------------------------------------------------------------------------

// Collects {{n}} / {{name}} placeholders of a component text.
void collect_variables(std::string_view component, std::string_view text, json::array& out) {
  std::size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    std::size_t end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) break;
    std::string name(text.substr(pos + 2, end - pos - 2));
    bool positional = !name.empty() && name.find_first_not_of("0123456789") == std::string::npos;
    out.push_back(
        json::object{{"component", component}, {"name", name}, {"positional", positional}});
    pos = end + 2;
  }
}

// When each account's templates were synced, as JSON and as text for the assistant; the text
// says how to sync when some account never was or its last sync failed.
std::optional<tool_result> sync_states(store::database& db, const account_scope& scope,
                                       json::array& out, std::string& text) {
  auto states = store::list_template_syncs(db);
  if (!states) return tool_result::error(database_problem(states.error()));
  std::erase_if(*states, [&](const auto& st) { return !scope.allows(st.waba_id); });
  bool stale = states->empty();
  for (const auto& st : *states) {
    json::object o{{"waba_id", st.waba_id}, {"synced_at", st.synced_at}};
    if (!st.error.empty()) o["error"] = st.error;
    out.push_back(std::move(o));
    text += st.synced_at.empty()
                ? fmt::format("Account {}: templates have never been synced from Meta.", st.waba_id)
                : fmt::format("Account {}: templates synced from Meta at {}.", st.waba_id,
                              st.synced_at);
    if (!st.error.empty()) text += fmt::format(" The last attempt failed: {}", st.error);
    text += "\n";
    stale = stale || st.synced_at.empty() || !st.error.empty();
  }
  if (states->empty()) {
    text +=
        "Templates have never been synced from Meta (no WhatsApp Business Account is recorded "
        "yet).\n";
  }
  if (stale) {
    text +=
        "To fetch them now, call sync_templates (or, when that tool is not offered, ask the user "
        "to run `pons-webhook templates sync`).\n";
  }
  return std::nullopt;
}

tool_result list_templates(const read_tools_deps& deps, const json::object& args,
                           const account_scope& scope) {
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  std::string status = str_arg(args, "status");
  if (status.empty()) status = "APPROVED";
  if (status == "all") status.clear();
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT name, language, category, status, components_json, parameter_format, "
      "rejected_reason, waba_id, quality_score FROM templates WHERE (?1 = '' OR lower(name) LIKE "
      "'%' || lower(?1) || '%' {}) "
      "AND (?2 = '' OR language = ?2) AND (?3 = '' OR upper(status) = upper(?3)){} "
      "ORDER BY name, language",
      store::like_escape_clause, scope_waba(scope, "waba_id", 4)));
  if (!s) return tool_result::error(database_problem(s.error()));
  s->bind(1, store::escape_like(str_arg(args, "name")))
      .bind(2, str_arg(args, "language"))
      .bind(3, status);
  bind_scope(*s, scope, 4);
  json::array list;
  std::string text;
  for (;;) {
    auto row = s->step();
    if (!row) return tool_result::error(database_problem(row.error()));
    if (!*row) break;
    json::array variables;
    std::string body;
    std::string header_format;
    json::error_code ec;
    json::value components = json::parse(s->column_text(4), ec);
    if (!ec && components.is_array()) {
      for (const auto& c : components.as_array()) {
        if (!c.is_object()) continue;
        const auto& co = c.as_object();
        std::string type = co.contains("type") && co.at("type").is_string()
                               ? std::string(co.at("type").as_string())
                               : "";
        if (const json::value* t = co.if_contains("text"); t && t->is_string()) {
          collect_variables(type, t->get_string(), variables);
          if (type == "BODY") body = t->get_string();
        }
        if (type == "HEADER") {
          if (const json::value* f = co.if_contains("format"); f && f->is_string()) {
            header_format = f->get_string();
          }
        }
      }
    }
    std::string format = s->column_text(5);
    if (format.empty()) {
      bool named = false;
      for (const auto& v : variables) named = named || !v.at("positional").as_bool();
      format = variables.empty() ? "" : (named ? "NAMED" : "POSITIONAL");
    }
    const std::string reason = s->column_text(6);
    const std::string quality = s->column_text(8);
    text += fmt::format("- {} [{}] {} {}{}, {} variable(s){}: {}{}\n", s->column_text(0),
                        s->column_text(1), s->column_text(2), s->column_text(3),
                        quality.empty() ? "" : ", quality " + quality, variables.size(),
                        format.empty() ? "" : " " + format, body,
                        reason.empty() ? "" : " (Meta's reason: " + reason + ")");
    json::object t{{"name", s->column_text(0)},         {"language", s->column_text(1)},
                   {"category", s->column_text(2)},     {"status", s->column_text(3)},
                   {"parameter_format", format},        {"body", body},
                   {"variables", std::move(variables)}, {"waba_id", s->column_text(7)}};
    if (!header_format.empty()) t["header_format"] = header_format;
    if (!reason.empty()) t["rejected_reason"] = reason;
    if (!quality.empty()) t["quality_score"] = quality;
    list.push_back(std::move(t));
  }
  if (list.empty()) {
    text = status.empty() ? "No templates are stored.\n"
                          : fmt::format("No {} templates match. Try status \"all\".\n", status);
  }
  s->reset();
  json::array synced;
  if (auto problem = sync_states(**db, scope, synced, text)) return *problem;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return tool_result::structured_result(
      json::object{{"templates", std::move(list)}, {"synced", std::move(synced)}}, text);
}

// --- get_media ------------------------------------------------------------------------------

tool_result get_media(const read_tools_deps& deps, const json::object& args,
                      const account_scope& scope, decode_lock& one_at_a_time) {
  std::int64_t message_id = 0;
  if (const json::value* m = args.if_contains("message_id"); m && m->is_int64()) {
    message_id = m->get_int64();
  }
  std::string media_id = str_arg(args, "media_id");
  if (message_id == 0 && media_id.empty()) {
    return tool_result::invalid_argument("message_id", "give message_id or media_id");
  }
  auto db = deps.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  // A media row of a message belongs to the message's number; one without a message, to its own.
  auto s = db->operator->()->prepare(fmt::format(
      "SELECT md.media_id, md.mime, md.sha256, coalesce(md.size, 0), md.path, md.state, "
      "md.last_error, coalesce(md.message_id, 0), coalesce(m.media_caption, ''), "
      "coalesce(m.media_filename, '') FROM media md LEFT JOIN messages m ON m.id = md.message_id "
      "WHERE ((?1 <> 0 AND md.message_id = ?1) OR (?2 <> '' AND md.media_id = ?2)){} LIMIT 1",
      scope_numbers(scope, "coalesce(m.phone_number_id, md.phone_number_id)", 3)));
  if (!s) return tool_result::error(database_problem(s.error()));
  s->bind(1, message_id).bind(2, media_id);
  bind_scope(*s, scope, 3);
  auto row = s->step();
  if (!row) return tool_result::error(database_problem(row.error()));
  if (!*row) {
    return tool_result::error(fmt::format(
        "No media is stored for {}. Check the message id with get_messages (only messages with "
        "a media field have media).",
        message_id ? fmt::format("message {}", message_id) : "media id " + media_id));
  }
  std::string mime = s->column_text(1);
  std::string state = s->column_text(5);
  std::string path = s->column_text(4);
  json::object info{
      {"message_id", s->column_int64(7)}, {"media_id", s->column_text(0)}, {"mime_type", mime},
      {"sha256", s->column_text(2)},      {"size", s->column_int64(3)},    {"state", state},
      {"caption", s->column_text(8)},     {"filename", s->column_text(9)}};
  if (state != "done" || path.empty()) {
    return tool_result::error(fmt::format(
        "The media file is not downloaded yet (state {}{}). pons-webhook downloads it in the "
        "background; retry in a minute.",
        state, s->column_text(6).empty() ? "" : ", last error: " + s->column_text(6)));
  }
  std::filesystem::path file(path);
  if (file.is_relative()) file = std::filesystem::path(deps.media_dir) / file;
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    return tool_result::error(fmt::format(
        "The media file {} is missing on this machine ({}). pons-mcp must run on the machine "
        "where pons-webhook stores media.",
        file.string(), ec.message()));
  }
  info["path"] = file.string();
  info["size"] = static_cast<std::int64_t>(size);
  std::string name = s->column_text(9).empty() ? s->column_text(0) : s->column_text(9);
  std::string caption = s->column_text(8).empty() ? "" : ": " + s->column_text(8);
  tool_result r;
  // Why an image is linked instead of shown ("" when it is not an image).
  std::string not_shown;
  if (mime.rfind("image/", 0) == 0 && size > max_image_file_bytes) {
    not_shown = "it is too large to open here";
  } else if (mime.rfind("image/", 0) == 0) {
    auto fitted = fit_image_file(file, size, mime, one_at_a_time);
    if (!fitted && fitted.error() == image_errc::corrupt) {
      return tool_result::error(fmt::format(
          "The stored image {} ({}, {}) at {} is corrupt or truncated: it does not decode as an "
          "image. Ask the contact to send it again; the file is kept as it was received.",
          name, mime, human_size(size), file.string()));
    }
    if (fitted) {
      const fitted_image& img = *fitted;
      r.content.push_back(json::object{{"type", "image"},
                                       {"data", base64_encode(img.data, base64_alphabet::standard)},
                                       {"mimeType", img.mime_type}});
      std::string dims = img.width ? fmt::format("{}x{} px, ", img.width, img.height) : "";
      bool resized = img.width != img.original_width || img.height != img.original_height;
      std::string text =
          img.changed ? fmt::format(
                            "Image {} ({}, {}x{} px, {}) {} {}x{} px ({} {}) to fit the "
                            "assistant's limits; the original is at {}{}",
                            name, mime, img.original_width, img.original_height, human_size(size),
                            resized ? "scaled down to" : "converted at", img.width, img.height,
                            human_size(img.data.size()), img.mime_type, file.string(), caption)
                      : fmt::format("Image {} ({}, {}{}){}", name, img.mime_type, dims,
                                    human_size(size), caption);
      r.content.push_back(json::object{{"type", "text"}, {"text", std::move(text)}});
      if (img.width) {
        info["width"] = img.width;
        info["height"] = img.height;
        info["original_width"] = img.original_width;
        info["original_height"] = img.original_height;
      }
      info["scaled"] = img.changed;
      r.structured = std::move(info);
      return r;
    }
    not_shown = fitted.error().message();
  }
  r.content.push_back(json::object{{"type", "resource_link"},
                                   {"uri", "file://" + file.string()},
                                   {"name", name},
                                   {"mimeType", mime},
                                   {"size", static_cast<std::int64_t>(size)}});
  r.content.push_back(json::object{
      {"type", "text"},
      {"text",
       fmt::format("{} ({}, {}) is stored at {}{}{}", name, mime, human_size(size), file.string(),
                   not_shown.empty() ? "" : "; not shown as an image: " + not_shown, caption)}});
  r.structured = std::move(info);
  return r;
}

}  // namespace

void register_account_tools(registry& reg, const read_tools_deps& deps) {
  {
    tool_def t;
    t.name = "list_accounts";
    t.title = "List WhatsApp accounts and numbers";
    t.description =
        "Lists the WhatsApp Business accounts and their phone numbers, and which number sends "
        "by default. Pass a number as `from` to other tools to choose the sender.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{}})J");
    t.output_schema =
        obj(R"J({"type":"object","required":["accounts","default_sender"],"properties":{
      "accounts":{"type":"array","items":{"type":"object","required":["waba_id","phone_numbers"],"properties":{
        "waba_id":{"type":"string"},"name":{"type":"string"},
        "phone_numbers":{"type":"array","items":{"type":"object","required":["phone_number_id","display_phone_number","is_default"],
          "properties":{"phone_number_id":{"type":"string"},"display_phone_number":{"type":"string"},
          "verified_name":{"type":"string"},"is_default":{"type":"boolean"}}}}}}},
      "default_sender":{"type":"string","description":"phone_number_id used when from is omitted; empty when there is no single choice"}}})J");
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object&, call_context& ctx) {
      return list_accounts(deps, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "list_templates";
    t.title = "List message templates";
    t.description =
        "Lists the message templates synced from Meta (approved ones by default), with their "
        "body text and variables: named ({{first_name}}) or positional ({{1}}), and when they "
        "were last synced (sync_templates fetches them again). Outside the 24-hour window only "
        "templates can be sent.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "name":{"type":"string","maxLength":512,"description":"part of the template name"},
      "language":{"type":"string","maxLength":32,"description":"language code, e.g. en_US"},
      "status":{"type":"string","maxLength":32,"description":"APPROVED (default), PENDING, REJECTED, PAUSED or all"}}})J");
    t.output_schema = obj(R"J({"type":"object","required":["templates"],"properties":{
      "templates":{"type":"array","items":{"type":"object",
        "required":["name","language","category","status","parameter_format","body","variables"],
        "properties":{"name":{"type":"string"},"language":{"type":"string"},"category":{"type":"string"},
        "status":{"type":"string"},"parameter_format":{"type":"string","description":"NAMED, POSITIONAL or empty when there are no variables"},
        "body":{"type":"string"},"header_format":{"type":"string"},"rejected_reason":{"type":"string","description":"why Meta rejected or paused it, in Meta's words"},
        "quality_score":{"type":"string","description":"Meta's quality rating: GREEN, YELLOW, RED or UNKNOWN"},
        "waba_id":{"type":"string"},
        "variables":{"type":"array","items":{"type":"object","required":["component","name","positional"],
          "properties":{"component":{"type":"string"},"name":{"type":"string"},"positional":{"type":"boolean"}}}}}}},
      "synced":{"type":"array","description":"per account: when its templates were last synced from Meta (empty: never), and why the last attempt failed",
        "items":{"type":"object","required":["waba_id","synced_at"],"properties":{
        "waba_id":{"type":"string"},"synced_at":{"type":"string"},"error":{"type":"string"}}}}}})J");
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return list_templates(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "get_media";
    t.title = "Get a message's media";
    t.description =
        "Returns the media of a message: images as image content you can look at (large ones "
        "scaled down to at most 1568 px on the long side, as JPEG), other files (documents, "
        "audio, video) as a link to the local file with its type and size. Give the message id "
        "(from get_messages) or the media id.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "message_id":{"type":"integer","minimum":1},"media_id":{"type":"string","minLength":1,"maxLength":256}}})J");
    t.output_schema = obj(
        R"J({"type":"object","required":["message_id","media_id","mime_type","size","state"],"properties":{
      "message_id":{"type":"integer"},"media_id":{"type":"string"},"mime_type":{"type":"string"},
      "sha256":{"type":"string"},"size":{"type":"integer"},"state":{"type":"string"},
      "path":{"type":"string"},"caption":{"type":"string"},"filename":{"type":"string"},
      "width":{"type":"integer","description":"of the image returned"},"height":{"type":"integer"},
      "original_width":{"type":"integer"},"original_height":{"type":"integer"},
      "scaled":{"type":"boolean","description":"true when the image was scaled or re-encoded"}}})J");
    t.annotations = read_only_hints();
    t.required_scope = scope::read;
    // Owned by the tool: shared by the workers that run it.
    auto decoding = std::make_shared<decode_lock>();
    t.handler = [deps, decoding](const json::object& args, call_context& ctx) {
      return get_media(deps, args, ctx.account(), *decoding);
    };
    reg.add_tool(std::move(t));
  }
}

}  // namespace pons::mcp
