// send_text, send_media, send_template, send_reaction, send_location, send_interactive, mark_read
// and sync_templates.
#include "pons/mcp/tools/send_tools.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <filesystem>

#include "pons/domain/bsuid.hpp"
#include "pons/domain/phone.hpp"
#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/media_sniffer.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/meta/template_sync.hpp"
#include "pons/outbound/sender.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"

namespace pons::mcp {

namespace {

tool_annotations send_hints(bool idempotent = false) {
  tool_annotations a;
  a.read_only = false;
  a.destructive = false;
  a.idempotent = idempotent;
  a.open_world = true;
  return a;
}

// Who to send to and from, resolved; or the tool error to return.
struct route {
  meta::recipient to;
  std::string label;  // for texts
  std::string phone_number_id;
  std::string waba_id;
};

std::optional<tool_result> resolve_route(store::database& db, const send_tools_deps& deps,
                                         const json::object& args, const account_scope& scope,
                                         route& out) {
  std::string to = str_arg(args, "to");
  auto match = resolve_contact(db, to, scope);
  if (!match) return tool_result::error(database_problem(match.error()));
  if (match->found) {
    out.to = {match->found->wa_id, match->found->wa_id.empty() ? match->found->user_id : ""};
    out.label = match->found->profile_name.empty() ? to : match->found->profile_name;
  } else if (domain::looks_like_bsuid(to)) {
    // A username user nobody here has heard from: Meta accepts their BSUID as the recipient.
    out.to = {"", to};
    out.label = to;
  } else if (domain::looks_like_phone(to)) {
    // A number nobody wrote from yet: only a template will reach them (Meta's rule).
    auto digits = domain::to_meta_format(to);
    if (!digits) return tool_result::invalid_argument("to", digits.error().message());
    out.to = {*digits, ""};
    out.label = "+" + *digits;
  } else {
    return tool_result::error(contact_problem_text(to, *match));
  }
  if (!deps.allowed_recipients.empty() && !out.to.wa_id.empty() &&
      std::find(deps.allowed_recipients.begin(), deps.allowed_recipients.end(), out.to.wa_id) ==
          deps.allowed_recipients.end()) {
    return tool_result::error(fmt::format(
        "{} is not in PONS_ALLOWED_RECIPIENTS, so pons-mcp will not message them. Ask the user "
        "to add the number to the allowlist if this is intended.",
        out.label));
  }
  std::string problem;
  auto sender = resolve_sender(db, str_arg(args, "from"), scope, problem);
  if (!sender) return tool_result::error(problem);
  // Without `from`, the number pons-mcp itself is configured with sends, when there is one (and
  // the caller may send from it: a caller limited to another account does not).
  std::string unused;
  const bool configured_default =
      sender->empty() && !deps.read.default_sender.empty() &&
      (scope.everything() || resolve_sender(db, deps.read.default_sender, scope, unused));
  if (configured_default) *sender = deps.read.default_sender;
  // Without a sender: the default number, or the only one (of the caller's account, for a caller
  // limited to one).
  std::string sql = fmt::format(
      "SELECT p.phone_number_id, a.waba_id FROM phone_numbers p JOIN accounts a ON a.id = "
      "p.account_id WHERE ((?1 <> '' AND p.phone_number_id = ?1) OR (?1 = '' AND (p.is_default = 1 "
      "OR (SELECT count(*) FROM phone_numbers q WHERE {}) = 1))){} "
      "ORDER BY p.is_default DESC LIMIT 1",
      scope.everything() ? "1 = 1" : "q.account_id = p.account_id",
      scope_waba(scope, "a.waba_id", 2));
  auto s = db.prepare(sql);
  if (!s) return tool_result::error(database_problem(s.error()));
  s->bind(1, *sender);
  bind_scope(*s, scope, 2);
  auto row = s->step();
  if (!row) return tool_result::error(database_problem(row.error()));
  if (!*row && configured_default) {
    return tool_result::error(fmt::format(
        "pons-mcp is configured to send from the number {} (WA_PHONE_NUMBER_ID), but it is not "
        "recorded here because no WhatsApp Business Account id is configured with it. Ask the "
        "user to set WA_WABA_ID in pons-mcp's environment and restart pons-mcp.",
        deps.read.default_sender));
  }
  if (!*row) {
    auto count = db.prepare(fmt::format("SELECT count(*) FROM phone_numbers WHERE 1 = 1{}",
                                        scope_numbers(scope, "phone_number_id", 1)));
    if (!count) return tool_result::error(database_problem(count.error()));
    bind_scope(*count, scope, 1);
    auto counted = count->step();
    if (!counted) return tool_result::error(database_problem(counted.error()));
    const std::int64_t numbers = *counted ? count->column_int64(0) : 0;
    count->reset();
    if (numbers == 0) {
      return tool_result::error(
          "No WhatsApp number is configured to send from. Ask the user to set "
          "WA_PHONE_NUMBER_ID (the phone number id from Meta's WhatsApp Manager, API Setup), "
          "WA_WABA_ID and WA_ACCESS_TOKEN in pons-mcp's environment (the MCP host's "
          "configuration, see pons-mcp --print-config) and restart pons-mcp.");
    }
    resolve_sender(db, "?", scope, problem);  // lists our numbers
    return tool_result::error(
        fmt::format("{} numbers can send and none is the default: pass `from`. ", numbers) +
        problem);
  }
  out.phone_number_id = s->column_text(0);
  out.waba_id = s->column_text(1);
  return std::nullopt;
}

std::string_view state_name(outbound::send_state s) {
  switch (s) {
    case outbound::send_state::sent:
      return "sent";
    case outbound::send_state::failed:
      return "failed";
    case outbound::send_state::invalid:
      return "invalid";
    case outbound::send_state::window_closed:
      return "window_closed";
    case outbound::send_state::dry_run:
      return "dry_run";
  }
  return "failed";
}

tool_result render_outcome(const outbound::send_outcome& o, const route& r) {
  json::object data{{"wamid", o.wamid},
                    {"status", o.status},
                    {"state", state_name(o.state)},
                    {"message_id", o.message_id},
                    {"replayed", o.replayed}};
  if (o.error_code) data["error_code"] = *o.error_code;
  if (!o.templates.empty()) {
    json::array names;
    for (const auto& t : o.templates) {
      names.push_back(json::object{{"name", t.name}, {"language", t.language}});
    }
    data["templates"] = std::move(names);
  }
  switch (o.state) {
    case outbound::send_state::sent:
      return tool_result::structured_result(
          std::move(data), fmt::format("Sent to {} (wamid {}){}.", r.label, o.wamid,
                                       o.replayed ? ", already sent earlier with this key" : ""));
    case outbound::send_state::dry_run:
      return tool_result::structured_result(
          std::move(data),
          fmt::format("Dry run: the message to {} was validated and recorded (id {}), not sent.",
                      r.label, o.message_id));
    default: {
      tool_result t = tool_result::structured_result(
          std::move(data), o.explanation.empty() ? "The message was not sent." : o.explanation);
      t.is_error = true;
      return t;
    }
  }
}

// A message named by a tool argument: `wamid`, or `message_id` (its id here, as get_messages
// returns it; a string is taken as a wamid, which is how the first clients passed it).
struct named_message {
  std::int64_t id = 0;  // 0 when not stored here
  std::string wamid;
  std::string phone_number_id;
  std::string direction;
};

std::optional<tool_result> find_named_message(store::database& db, const json::object& args,
                                              const account_scope& scope, named_message& out) {
  const json::value* id = args.if_contains("message_id");
  std::string wamid = str_arg(args, "wamid");
  if (id && id->is_string()) {
    if (!wamid.empty() && wamid != id->get_string()) {
      return tool_result::invalid_argument("wamid", "names another message than message_id");
    }
    wamid = std::string(id->get_string());
    id = nullptr;
  }
  if (!id && wamid.empty()) {
    return tool_result::invalid_argument(
        "message_id", "give message_id (the message's id from get_messages) or its wamid");
  }
  // A message of an account the caller may not see is not stored here, as far as it can tell.
  auto s = db.prepare(
      fmt::format("SELECT id, coalesce(wamid, ''), phone_number_id, direction FROM messages "
                  "WHERE ((?1 <> 0 AND id = ?1) OR (?1 = 0 AND wamid = ?2)){}",
                  scope_numbers(scope, "phone_number_id", 3)));
  if (!s) return tool_result::error(database_problem(s.error()));
  s->bind(1, id ? id->to_number<std::int64_t>() : std::int64_t{0}).bind(2, wamid);
  bind_scope(*s, scope, 3);
  auto row = s->step();
  if (!row) return tool_result::error(database_problem(row.error()));
  if (!*row) {
    if (id) {
      return tool_result::error(
          fmt::format("No message has id {}; take the id of a message from get_messages.",
                      id->to_number<std::int64_t>()));
    }
    out.wamid = wamid;  // not stored here: Meta may still know it
    return std::nullopt;
  }
  if (!wamid.empty() && s->column_text(1) != wamid) {
    return tool_result::invalid_argument("wamid", "names another message than message_id");
  }
  out.id = s->column_int64(0);
  out.wamid = s->column_text(1);
  out.phone_number_id = s->column_text(2);
  out.direction = s->column_text(3);
  if (out.wamid.empty()) {
    return tool_result::error(fmt::format(
        "Message {} has no WhatsApp id (it was never sent), so nothing can refer to it.", out.id));
  }
  return std::nullopt;
}

// A number with no token to send with: said before anything is written (not in a dry run,
// which calls no one).
std::optional<tool_result> token_problem(const send_tools_deps& deps,
                                         std::string_view phone_number_id) {
  if (deps.dry_run || !deps.graphs->token_for_number(phone_number_id).empty()) return std::nullopt;
  return tool_result::error(fmt::format(
      "No access token is configured for the number {}, so pons-mcp cannot send from it. Ask "
      "the user to set WA_ACCESS_TOKEN in pons-mcp's environment (the MCP host's configuration), "
      "or access_token for this number's account in the PONS_CONFIG file, and restart pons-mcp.",
      phone_number_id));
}

// Idempotency keys are unique across the database, and a repeated key answers with the first
// message's result: a caller limited to one account must not get the result of a message of
// another (its wamid and status) by reusing that message's key. Such a key is refused instead.
std::optional<tool_result> key_taken_elsewhere(store::database& db, std::string_view key,
                                               const account_scope& scope) {
  if (key.empty() || scope.everything()) return std::nullopt;
  auto s = db.prepare(
      fmt::format("SELECT count(*) FROM messages WHERE idempotency_key = ?1 AND NOT (1 = 1{})",
                  scope_numbers(scope, "phone_number_id", 2)));
  if (!s) return tool_result::error(database_problem(s.error()));
  s->bind(1, key);
  bind_scope(*s, scope, 2);
  auto row = s->step();
  if (!row) return tool_result::error(database_problem(row.error()));
  if (*row && s->column_int64(0) > 0) {
    return tool_result::invalid_argument("idempotency_key",
                                         "is already used; choose another key for this message");
  }
  return std::nullopt;
}

tool_result run_send(const send_tools_deps& deps, const json::object& args,
                     const account_scope& scope, meta::message_content content,
                     std::string reply_to = {}) {
  auto db = deps.read.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  route r;
  if (auto problem = resolve_route(**db, deps, args, scope, r)) return *problem;
  if (auto problem = key_taken_elsewhere(**db, str_arg(args, "idempotency_key"), scope)) {
    return *problem;
  }
  if (auto problem = token_problem(deps, r.phone_number_id)) return *problem;
  auto graph = deps.graphs->for_number(r.phone_number_id);
  outbound::outbound_config config;
  config.dry_run = deps.dry_run;
  outbound::outbound_sender sender(**db, *graph, *deps.pacer, config, deps.read.now);
  outbound::send_request request;
  request.phone_number_id = r.phone_number_id;
  request.waba_id = r.waba_id;
  request.message.to = r.to;
  request.message.content = std::move(content);
  request.message.reply_to = std::move(reply_to);
  request.idempotency_key = str_arg(args, "idempotency_key");
  request.dry_run = deps.dry_run;
  auto outcome = sender.send(request);
  if (!outcome) return tool_result::error(database_problem(outcome.error()));
  return render_outcome(*outcome, r);
}

// A local file for send_media, read and checked: where it is (upload_policy), what it is
// (sniffed from its bytes) and whether WhatsApp takes it as the requested kind.
struct checked_upload {
  std::string bytes;
  std::string mime;
  std::string filename;
};

std::optional<tool_result> read_upload(const send_tools_deps& deps, const std::string& path,
                                       meta::media_message& m, checked_upload& out) {
  if (!deps.uploads) {
    return tool_result::error(
        "This pons-mcp sends no local files (it has no upload folder); send media that is "
        "online with url instead.");
  }
  auto file = deps.uploads->read(path, max_media_bytes(m.kind));
  if (!file) {
    if (file.error() == upload_errc::too_large) {
      return tool_result::error(fmt::format(
          "{} is larger than WhatsApp accepts as {} ({}). Ask the user for a smaller file.", path,
          meta::media_kind_name(m.kind), accepted_formats(m.kind)));
    }
    return tool_result::error(deps.uploads->explain(file.error(), path));
  }
  media_format format = sniff_media(file->bytes);
  if (auto problem = media_problem(m.kind, format, file->bytes.size(), path)) {
    return tool_result::error(*problem);
  }
  out.mime = std::string(*upload_mime(m.kind, format));
  out.filename = std::filesystem::path(path).filename().string();
  if (m.filename.empty() && m.kind == meta::media_kind::document) m.filename = out.filename;
  out.bytes = std::move(file->bytes);
  return std::nullopt;
}

meta::interactive_header header_of(const json::object& args) {
  meta::interactive_header h;
  if (std::string text = str_arg(args, "header"); !text.empty()) {
    h.type = "text";
    h.text = text;
  }
  return h;
}

json::object common_properties() {
  return obj(R"J({
    "to":{"type":"string","minLength":1,"maxLength":256,"description":"contact name, phone number (any format), @username or user id"},
    "from":{"type":"string","minLength":1,"maxLength":64,"description":"our sending number; default: the default sender (list_accounts)"},
    "idempotency_key":{"type":"string","minLength":1,"maxLength":200,"description":"the same key sends once and returns the first result"}})J");
}

json::object input_schema(std::string_view extra_properties, std::vector<std::string> required) {
  json::object props = common_properties();
  for (auto& [k, v] : obj(extra_properties)) props[k] = v;
  json::array req{"to"};
  for (auto& r : required) req.push_back(json::string(r));
  return json::object{{"type", "object"},
                      {"additionalProperties", false},
                      {"required", std::move(req)},
                      {"properties", std::move(props)}};
}

json::object outcome_schema() {
  return obj(
      R"J({"type":"object","required":["wamid","status","state","message_id","replayed"],"properties":{
    "wamid":{"type":"string","description":"WhatsApp message id (empty when not sent)"},
    "status":{"type":"string"},"state":{"type":"string","enum":["sent","failed","invalid","window_closed","dry_run"]},
    "message_id":{"type":"integer"},"replayed":{"type":"boolean"},"error_code":{"type":"integer"},
    "templates":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"language":{"type":"string"}}}}}})J");
}

void add(registry& reg, std::string name, std::string title, std::string description,
         json::object input, tool_handler handler, bool idempotent = false) {
  tool_def t;
  t.name = std::move(name);
  t.title = std::move(title);
  t.description = std::move(description);
  t.input_schema = std::move(input);
  t.output_schema = outcome_schema();
  t.annotations = send_hints(idempotent);
  t.required_scope = scope::send;
  t.calls_out = true;
  t.handler = std::move(handler);
  reg.add_tool(std::move(t));
}

// --- sync_templates ------------------------------------------------------------------------

tool_result sync_templates(const send_tools_deps& deps, const json::object& args,
                           const account_scope& scope) {
  auto db = deps.read.pool->acquire();
  if (!db) return tool_result::error(database_problem(db.error()));
  // The accounts pons-mcp is configured with, then those pons-webhook recorded.
  std::vector<std::string> known;
  auto add = [&](const std::string& waba) {
    if (!waba.empty() && std::find(known.begin(), known.end(), waba) == known.end())
      known.push_back(waba);
  };
  for (const auto& a : deps.graphs->accounts().accounts) add(a.waba_id);
  auto stored = store::list_accounts(**db);
  if (!stored) return tool_result::error(database_problem(stored.error()));
  for (const auto& a : *stored) add(a.waba_id);
  // A caller limited to one account syncs that account only, and hears of no other.
  std::erase_if(known, [&](const std::string& waba) { return !scope.allows(waba); });
  if (known.empty()) {
    return tool_result::error(
        "No WhatsApp Business Account is known, so there are no templates to sync. Ask the user "
        "to set WA_WABA_ID (with WA_ACCESS_TOKEN) in pons-mcp's environment, or to list the "
        "accounts in the PONS_CONFIG file, and restart pons-mcp.");
  }
  std::string only = str_arg(args, "account");
  if (!only.empty()) {
    if (std::find(known.begin(), known.end(), only) == known.end()) {
      std::string list;
      for (const auto& w : known) list += (list.empty() ? "" : ", ") + w;
      return tool_result::error(fmt::format(
          "Account {} is not known here; the accounts are: {}. Pass one of them as account, or "
          "leave account out to sync them all.",
          only, list));
    }
    known = {only};
  }
  json::array results;
  std::string text;
  std::size_t failures = 0;
  for (const auto& waba : known) {
    json::object one{{"waba_id", waba}};
    std::string problem;
    if (deps.graphs->token_for_account(waba).empty()) {
      problem =
          "no access token is configured for this account; ask the user to set WA_ACCESS_TOKEN "
          "in pons-mcp's environment (or access_token for the account in the PONS_CONFIG file) "
          "and restart pons-mcp";
    } else {
      auto graph = deps.graphs->for_account(waba);
      auto r = meta::sync_account_templates(**db, *graph, waba, deps.read.now());
      if (r) {
        one["templates"] = r->templates;
        one["approved"] = r->approved;
        one["added"] = r->changes.added;
        one["updated"] = r->changes.updated;
        one["removed"] = r->changes.removed;
        if (r->skipped) one["skipped"] = r->skipped;
        text += meta::describe_template_sync(waba, *r) + "\n";
      } else {
        problem = r.error().explain();
      }
    }
    if (!problem.empty()) {
      ++failures;
      one["error"] = problem;
      text += fmt::format("Account {}: not synced: {}\n", waba, problem);
    }
    results.push_back(std::move(one));
  }
  if (failures < known.size()) text += "list_templates shows the templates now stored.";
  tool_result r = tool_result::structured_result(json::object{{"accounts", std::move(results)}},
                                                 std::move(text));
  r.is_error = failures > 0;
  return r;
}

}  // namespace

std::vector<std::string> parse_allowed_recipients(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    std::string digits;
    for (char c : item) {
      if (c >= '0' && c <= '9') digits += c;
    }
    if (!digits.empty()) out.push_back(digits);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

void register_send_tools(registry& reg, const send_tools_deps& given) {
  // Every handler holds a copy of deps: they share one pool through the pointer.
  send_tools_deps deps = given;
  if (!deps.graphs) deps.graphs = std::make_shared<graph_pool>(deps.graph, deps.accounts);
  const std::string note =
      " Free-form messages only reach a contact within 24 hours of their last message; outside "
      "that window the result lists the approved templates to use instead (send_template).";
  add(reg, "send_text", "Send a WhatsApp text",
      "Sends a text message to a contact. Set preview_url to render a link preview and reply_to "
      "(a wamid from get_messages) to quote a message." +
          note,
      input_schema(R"J({"text":{"type":"string","minLength":1,"maxLength":4096},
        "preview_url":{"type":"boolean"},"reply_to":{"type":"string","minLength":1,"maxLength":256}})J",
                   {"text"}),
      [deps](const json::object& args, call_context& ctx) {
        meta::text_message m;
        m.body = str_arg(args, "text");
        if (const json::value* p = args.if_contains("preview_url"); p && p->is_bool()) {
          m.preview_url = p->get_bool();
        }
        return run_send(deps, args, ctx.account(), m, str_arg(args, "reply_to"));
      });
  const std::string uploads = deps.uploads
                                  ? " " + deps.uploads->summary()
                                  : std::string(" Local files are not sent by this server.");
  add(reg, "send_media", "Send a photo, video, audio or document",
      "Sends media: a local file `path` (uploaded first), a public `url`, or an uploaded "
      "`media_id` (exactly one). Captions for image, video and document; filename for "
      "documents. WhatsApp takes image: JPEG or PNG up to 5 MB; video: MP4 or 3GPP up to 16 MB; "
      "audio: AAC, AMR, MP3, M4A or Ogg Opus up to 16 MB; document: PDF, text, Word, Excel or "
      "PowerPoint up to 100 MB; sticker: WebP up to 100 KB (500 KB animated). A file's type is "
      "read from its content, not its name." +
          uploads + note,
      input_schema(
          R"J({"kind":{"type":"string","enum":["image","video","audio","document","sticker"]},
        "path":{"type":"string","minLength":1,"maxLength":4096,"description":"a file in the upload folder (absolute, or relative to it)"},
        "url":{"type":"string","minLength":1,"maxLength":2048},
        "media_id":{"type":"string","minLength":1,"maxLength":256},"caption":{"type":"string","maxLength":1024},
        "filename":{"type":"string","minLength":1,"maxLength":255}})J",
          {"kind"}),
      [deps](const json::object& args, call_context& ctx) -> tool_result {
        meta::media_message m;
        std::string kind = str_arg(args, "kind");
        m.kind = kind == "video"      ? meta::media_kind::video
                 : kind == "audio"    ? meta::media_kind::audio
                 : kind == "document" ? meta::media_kind::document
                 : kind == "sticker"  ? meta::media_kind::sticker
                                      : meta::media_kind::image;
        std::string path = str_arg(args, "path");
        m.link = str_arg(args, "url");
        m.id = str_arg(args, "media_id");
        if (static_cast<int>(!path.empty()) + static_cast<int>(!m.link.empty()) +
                static_cast<int>(!m.id.empty()) !=
            1) {
          return tool_result::invalid_argument("path", "give exactly one of path, url, media_id");
        }
        m.caption = str_arg(args, "caption");
        m.filename = str_arg(args, "filename");
        checked_upload upload;
        if (!path.empty()) {
          if (auto problem = read_upload(deps, path, m, upload)) return *problem;
          if (deps.dry_run) {
            m.id = "dry-run-upload";
          } else {
            auto db = deps.read.pool->acquire();
            if (!db) return tool_result::error(database_problem(db.error()));
            route r;
            if (auto problem = resolve_route(**db, deps, args, ctx.account(), r)) return *problem;
            if (auto problem = token_problem(deps, r.phone_number_id)) return *problem;
            auto graph = deps.graphs->for_number(r.phone_number_id);
            // The bytes already read and checked are what goes out: the path is not opened again.
            auto id =
                graph->upload_media(r.phone_number_id, upload.bytes, upload.mime, upload.filename);
            if (!id) {
              return tool_result::error(fmt::format("Uploading {} to WhatsApp failed: {}", path,
                                                    id.error().code.message()));
            }
            m.id = *id;
          }
        }
        return run_send(deps, args, ctx.account(), m);
      });
  add(reg, "send_template", "Send a message template",
      "Sends an approved template (see list_templates), the only way to reach a contact outside "
      "the 24-hour window. `parameters` fills the body: an array for positional templates "
      "({{1}}, {{2}}) or an object for named ones ({{first_name}}). `header_text` fills a text "
      "header's {{1}}.",
      input_schema(
          R"J({"name":{"type":"string","minLength":1,"maxLength":512},
        "language":{"type":"string","minLength":2,"maxLength":32},
        "parameters":{"type":["array","object"],"maxItems":100,
          "items":{"type":"string","maxLength":1024},
          "additionalProperties":{"type":"string","maxLength":1024}},
        "header_text":{"type":"string","maxLength":1024}})J",
          {"name", "language"}),
      [deps](const json::object& args, call_context& ctx) -> tool_result {
        meta::template_message m;
        m.name = str_arg(args, "name");
        m.language = str_arg(args, "language");
        if (std::string header = str_arg(args, "header_text"); !header.empty()) {
          meta::template_component c;
          c.type = "header";
          c.parameters.push_back({"text", "", header, nullptr});
          m.components.push_back(std::move(c));
        }
        if (const json::value* p = args.if_contains("parameters")) {
          meta::template_component body;
          body.type = "body";
          if (p->is_array()) {
            for (const auto& v : p->get_array()) {
              if (!v.is_string()) {
                return tool_result::invalid_argument("parameters", "must hold strings");
              }
              body.parameters.push_back({"text", "", std::string(v.get_string()), nullptr});
            }
          } else {
            for (const auto& [k, v] : p->get_object()) {
              if (!v.is_string()) {
                return tool_result::invalid_argument("parameters", "must map names to strings");
              }
              body.parameters.push_back(
                  {"text", std::string(k), std::string(v.get_string()), nullptr});
            }
          }
          if (!body.parameters.empty()) m.components.push_back(std::move(body));
        }
        return run_send(deps, args, ctx.account(), m);
      });
  add(
      reg, "send_reaction", "React to a message",
      "Reacts to a message with an emoji (message_id = its id from get_messages, or its "
      "wamid); an empty emoji removes the reaction.",
      input_schema(
          R"J({"message_id":{"type":["integer","string"],"minimum":1,"minLength":1,"maxLength":256,"description":"the message's id from get_messages (a wamid string is accepted too)"},
        "wamid":{"type":"string","minLength":1,"maxLength":256,"description":"the message's WhatsApp id, instead of message_id"},
        "emoji":{"type":"string","maxLength":16}})J",
          {"emoji"}),
      [deps](const json::object& args, call_context& ctx) -> tool_result {
        named_message target;
        {
          auto db = deps.read.pool->acquire();
          if (!db) return tool_result::error(database_problem(db.error()));
          if (auto problem = find_named_message(**db, args, ctx.account(), target)) {
            return *problem;
          }
        }
        return run_send(deps, args, ctx.account(),
                        meta::reaction_message{target.wamid, str_arg(args, "emoji")});
      },
      true);
  add(reg, "send_location", "Send a location",
      "Sends a map pin with an optional name and address." + note,
      input_schema(R"J({"latitude":{"type":"number","minimum":-90,"maximum":90},
        "longitude":{"type":"number","minimum":-180,"maximum":180},
        "name":{"type":"string","maxLength":1000},"address":{"type":"string","maxLength":1000}})J",
                   {"latitude", "longitude"}),
      [deps](const json::object& args, call_context& ctx) {
        meta::location_message m;
        m.latitude = args.at("latitude").to_number<double>();
        m.longitude = args.at("longitude").to_number<double>();
        m.name = str_arg(args, "name");
        m.address = str_arg(args, "address");
        return run_send(deps, args, ctx.account(), m);
      });
  add(reg, "send_interactive", "Send buttons, a list or a link button",
      "Sends an interactive message. kind buttons: up to 3 `buttons` [{id, title}]; kind list: a "
      "`button` label and `sections` [{title, rows: [{id, title, description}]}] (10 rows at "
      "most); kind cta_url: `display_text` and `url`. `body` is required; `header` and `footer` "
      "are optional text." +
          note,
      input_schema(R"J({"kind":{"type":"string","enum":["buttons","list","cta_url"]},
        "body":{"type":"string","minLength":1,"maxLength":4096},
        "header":{"type":"string","maxLength":1024},"footer":{"type":"string","maxLength":1024},
        "buttons":{"type":"array","maxItems":3,"items":{"type":"object","required":["id","title"],
          "properties":{"id":{"type":"string","maxLength":256},"title":{"type":"string","maxLength":256}}}},
        "button":{"type":"string","maxLength":256},
        "sections":{"type":"array","maxItems":10,"items":{"type":"object","required":["rows"],
          "properties":{"title":{"type":"string","maxLength":256},"rows":{"type":"array","maxItems":10,"items":{"type":"object",
            "required":["id","title"],"properties":{"id":{"type":"string","maxLength":256},
            "title":{"type":"string","maxLength":256},"description":{"type":"string","maxLength":1024}}}}}}},
        "display_text":{"type":"string","maxLength":256},"url":{"type":"string","maxLength":2048}})J",
                   {"kind", "body"}),
      [deps](const json::object& args, call_context& ctx) -> tool_result {
        std::string kind = str_arg(args, "kind");
        if (kind == "buttons") {
          meta::buttons_message m;
          m.header = header_of(args);
          m.body = str_arg(args, "body");
          m.footer = str_arg(args, "footer");
          if (const json::value* b = args.if_contains("buttons"); b && b->is_array()) {
            for (const auto& x : b->get_array()) {
              m.buttons.push_back({str_arg(x.as_object(), "id"), str_arg(x.as_object(), "title")});
            }
          }
          return run_send(deps, args, ctx.account(), m);
        }
        if (kind == "list") {
          meta::list_message m;
          m.header_text = str_arg(args, "header");
          m.body = str_arg(args, "body");
          m.footer = str_arg(args, "footer");
          m.button = str_arg(args, "button");
          if (const json::value* s = args.if_contains("sections"); s && s->is_array()) {
            for (const auto& x : s->get_array()) {
              meta::list_section section;
              section.title = str_arg(x.as_object(), "title");
              for (const auto& row : x.at("rows").as_array()) {
                section.rows.push_back({str_arg(row.as_object(), "id"),
                                        str_arg(row.as_object(), "title"),
                                        str_arg(row.as_object(), "description")});
              }
              m.sections.push_back(std::move(section));
            }
          }
          return run_send(deps, args, ctx.account(), m);
        }
        meta::cta_url_message m;
        m.header = header_of(args);
        m.body = str_arg(args, "body");
        m.footer = str_arg(args, "footer");
        m.display_text = str_arg(args, "display_text");
        m.url = str_arg(args, "url");
        return run_send(deps, args, ctx.account(), m);
      });
  {
    tool_def t;
    t.name = "sync_templates";
    t.title = "Sync message templates from Meta";
    t.description =
        "Fetches the account's message templates from Meta now (every account, or only "
        "`account`, a WABA id from list_accounts) and stores them for list_templates and "
        "send_template; says how many were added, updated and removed. pons-webhook also syncs "
        "them in the background; call this when list_templates is empty or out of date, or "
        "after the user created or edited a template in WhatsApp Manager.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,"properties":{
      "account":{"type":"string","minLength":1,"maxLength":64,"description":"a WABA id; default: every account"}}})J");
    t.output_schema = obj(R"J({"type":"object","required":["accounts"],"properties":{
      "accounts":{"type":"array","items":{"type":"object","required":["waba_id"],"properties":{
        "waba_id":{"type":"string"},"templates":{"type":"integer"},"approved":{"type":"integer"},
        "added":{"type":"integer"},"updated":{"type":"integer"},"removed":{"type":"integer"},
        "skipped":{"type":"integer","description":"listed by Meta but not valid template data, left out"},
        "error":{"type":"string","description":"why this account was not synced"}}}}}})J");
    t.annotations = send_hints(true);
    t.calls_out = true;
    t.required_scope = scope::send;
    t.administrative = true;
    t.handler = [deps](const json::object& args, call_context& ctx) {
      return sync_templates(deps, args, ctx.account());
    };
    reg.add_tool(std::move(t));
  }
  {
    tool_def t;
    t.name = "mark_read";
    t.title = "Mark a message read";
    t.description =
        "Marks an inbound message (message_id = its id from get_messages, or its wamid) and the "
        "earlier ones of its conversation as read, showing blue ticks to the contact; "
        "typing_indicator also shows \"typing...\" for up to 25 seconds while you prepare an "
        "answer.";
    t.input_schema = obj(R"J({"type":"object","additionalProperties":false,
      "properties":{"message_id":{"type":["integer","string"],"minimum":1,"minLength":1,"maxLength":256,"description":"the message's id from get_messages (a wamid string is accepted too)"},
      "wamid":{"type":"string","minLength":1,"maxLength":256,"description":"the message's WhatsApp id, instead of message_id"},
      "typing_indicator":{"type":"boolean"}}})J");
    t.output_schema =
        obj(R"J({"type":"object","required":["wamid","message_id","read"],"properties":{
      "wamid":{"type":"string"},"message_id":{"type":"integer","description":"the message's id here"},
      "read":{"type":"boolean"},"dry_run":{"type":"boolean"}}})J");
    t.annotations = send_hints(true);
    t.calls_out = true;
    t.required_scope = scope::send;
    t.handler = [deps](const json::object& args, call_context& ctx) -> tool_result {
      bool typing = false;
      if (const json::value* v = args.if_contains("typing_indicator"); v && v->is_bool()) {
        typing = v->get_bool();
      }
      auto db = deps.read.pool->acquire();
      if (!db) return tool_result::error(database_problem(db.error()));
      named_message m;
      if (auto problem = find_named_message(**db, args, ctx.account(), m)) return *problem;
      if (m.id == 0 || m.direction != "inbound") {
        return tool_result::error(
            fmt::format("{} is not a message we received; take the id of a received message from "
                        "get_messages.",
                        m.id ? fmt::format("Message {}", m.id) : "wamid " + m.wamid));
      }
      if (deps.dry_run) {
        return tool_result::structured_result(
            json::object{
                {"wamid", m.wamid}, {"message_id", m.id}, {"read", false}, {"dry_run", true}},
            "Dry run: the message would have been marked read.");
      }
      if (auto problem = token_problem(deps, m.phone_number_id)) return *problem;
      auto graph = deps.graphs->for_number(m.phone_number_id);
      outbound::outbound_sender sender(**db, *graph, *deps.pacer, {}, deps.read.now);
      auto done = sender.mark_read(m.phone_number_id, m.wamid, typing);
      if (!done) {
        return tool_result::error(
            fmt::format("WhatsApp did not mark the message read: {}", done.error().explain()));
      }
      return tool_result::structured_result(
          json::object{{"wamid", m.wamid}, {"message_id", m.id}, {"read", true}}, "Marked read.");
    };
    reg.add_tool(std::move(t));
  }
}

}  // namespace pons::mcp
