#include "pons/mcp/tools/inbox_model.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <cctype>
#include <charconv>

#include "pons/domain/phone.hpp"
#include "pons/mcp/base64.hpp"
#include "pons/mcp/tools/account_filter.hpp"
#include "pons/mcp/tools/tool_args.hpp"
#include "pons/store/like_pattern.hpp"

namespace pons::mcp {

namespace {

constexpr const char* contact_columns =
    "id, wa_id, user_id, username, profile_name, created_at FROM contacts";

contact_row read_contact(const store::statement& s) {
  return {s.column_int64(0), s.column_text(1), s.column_text(2),
          s.column_text(3),  s.column_text(4), s.column_text(5)};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string display_name(const contact_row& c) {
  std::string name;
  append_display_name(name, c.wa_id, c.user_id, c.username, c.profile_name);
  return name;
}

}  // namespace

// The download's state is looked up only for messages with a media id: ingest queues a download
// only for those, and most rows of a page are texts.
const char* const message_columns =
    "m.id, m.direction, m.wamid, m.phone_number_id, m.contact_id, m.conversation_id, m.type, "
    "m.text, m.media_id, m.media_mime, m.media_caption, m.media_filename, m.latitude, "
    "m.longitude, m.location_name, m.location_address, m.reaction_to, m.reaction_emoji, "
    "m.reply_to, m.forwarded, m.status, m.error_code, m.error_title, m.error_details, m.ts, "
    "m.created_at, c.wa_id, c.user_id, c.profile_name, c.username, "
    "CASE WHEN m.media_id <> '' THEN (SELECT md.state FROM media md WHERE md.message_id = m.id "
    "ORDER BY md.id LIMIT 1) END, "
    "CASE WHEN m.reaction_to <> '' THEN (SELECT r.id FROM messages r WHERE r.wamid = "
    "m.reaction_to) END";

json::object message_json(const store::statement& s, json::storage_ptr storage) {
  // Read as views: SQLite's buffers go straight into the JSON strings, with no std::string
  // between them.
  auto text = [&](int col) { return s.column_view(col); };
  const bool has_media = !text(8).empty() || !text(9).empty() || !s.column_is_null(30);
  const bool has_location = !s.column_is_null(12) && !s.column_is_null(13);
  const bool has_reaction = !text(16).empty();
  const bool has_reply = !text(18).empty();
  const bool forwarded = s.column_int64(19) != 0;
  const auto error_code = s.column_optional_int64(21);
  const std::int64_t ts = s.column_int64(24);
  // Sized once for the members this row has. A message has at most 18, which keeps the object
  // in Boost.JSON's small form: members in order without a hash table to build.
  const std::size_t members = 11 + (ts > 0) + has_media + has_location + has_reaction + has_reply +
                              forwarded + error_code.has_value();
  json::object m(members, std::move(storage));
  const json::storage_ptr& sp = m.storage();
  m.emplace("id", s.column_int64(0));
  m.emplace("direction", text(1));
  m.emplace("wamid", text(2));
  m.emplace("phone_number_id", text(3));
  m.emplace("conversation_id", s.column_int64(5));
  m.emplace("type", text(6));
  m.emplace("text", text(7));
  m.emplace("status", text(20));
  m.emplace("created_at", text(25));
  if (ts > 0) m.emplace("sent_at", store::format_unix_seconds(ts));
  {
    json::object c(5, sp);
    c.emplace("id", s.column_int64(4));
    c.emplace("wa_id", text(26));
    c.emplace("user_id", text(27));
    c.emplace("username", text(29));
    json::string name(sp);
    append_display_name(name, text(26), text(27), text(29), text(28));
    c.emplace("name", std::move(name));
    m.emplace("contact", std::move(c));
  }
  if (has_media) {
    json::object media(5, sp);
    media.emplace("media_id", text(8));
    media.emplace("mime_type", text(9));
    media.emplace("caption", text(10));
    media.emplace("filename", text(11));
    media.emplace("state", text(30));
    m.emplace("media", std::move(media));
  }
  if (has_location) {
    json::object location(4, sp);
    location.emplace("latitude", s.column_double(12));
    location.emplace("longitude", s.column_double(13));
    location.emplace("name", text(14));
    location.emplace("address", text(15));
    m.emplace("location", std::move(location));
  }
  if (has_reaction) {
    const bool stored = !s.column_is_null(31);
    json::object reaction(2 + stored, sp);
    reaction.emplace("to", text(16));
    reaction.emplace("emoji", text(17));
    if (stored) reaction.emplace("message_id", s.column_int64(31));
    m.emplace("reaction", std::move(reaction));
  }
  if (has_reply) m.emplace("reply_to", text(18));
  if (forwarded) m.emplace("forwarded", true);
  if (error_code) {
    json::object error(3, sp);
    error.emplace("code", *error_code);
    error.emplace("title", text(22));
    error.emplace("details", text(23));
    m.emplace("error", std::move(error));
  }
  m.emplace("summary", message_summary(m));
  return m;
}

namespace {

std::string_view text_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// The text after a kind marker: empty when it only repeats what the marker says (the webhook
// normaliser stores "[image]", "[reaction] 👍" and the like for messages without words).
std::string words_after(std::string_view text, std::string_view marker_prefix) {
  if (!marker_prefix.empty() && text.rfind(marker_prefix, 0) == 0) {
    text.remove_prefix(marker_prefix.size());
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  }
  return std::string(text);
}

}  // namespace

std::string message_summary(const json::object& m) {
  const std::string_view type = text_field(m, "type");
  const std::string_view text = text_field(m, "text");
  const std::int64_t id = m.contains("id") ? m.at("id").to_number<std::int64_t>() : 0;
  auto join = [](std::string marker, std::string_view words) {
    return words.empty() ? marker : marker + " " + std::string(words);
  };
  if (type == "text" || type.empty()) return text.empty() ? "[text]" : std::string(text);

  if (type == "image" || type == "video" || type == "audio" || type == "document" ||
      type == "sticker") {
    const json::value* media = m.if_contains("media");
    const json::object* mo = media ? media->if_object() : nullptr;
    const std::string filename(mo ? text_field(*mo, "filename") : "");
    const std::string caption(mo ? text_field(*mo, "caption") : "");
    std::string kind(text == "[voice message]" ? "voice message" : type);
    if (!filename.empty()) kind += " " + filename;
    // A media row means get_media can answer (with the file, or with why it is not there yet).
    const bool stored = mo && mo->contains("state") && !text_field(*mo, "state").empty();
    std::string marker = stored ? fmt::format("[{}: call get_media with message_id {}]", kind, id)
                                : fmt::format("[{}: no copy is stored here]", kind);
    std::string words(text);
    if (words == fmt::format("[{}]", type) || words == "[voice message]" || words == filename)
      words.clear();
    if (words.empty()) words = caption;
    return join(std::move(marker), words);
  }
  if (type == "reaction") {
    const json::value* r = m.if_contains("reaction");
    const json::object* ro = r ? r->if_object() : nullptr;
    std::string emoji(ro ? text_field(*ro, "emoji") : "");
    std::string target = ro && ro->contains("message_id")
                             ? fmt::format("#{}", ro->at("message_id").to_number<std::int64_t>())
                             : std::string(ro ? text_field(*ro, "to") : "");
    if (target.empty()) target = "a message";
    return emoji.empty() ? fmt::format("[reaction removed from {}]", target)
                         : fmt::format("[reaction {} to {}]", emoji, target);
  }
  if (type == "location") {
    const json::value* l = m.if_contains("location");
    const json::object* lo = l ? l->if_object() : nullptr;
    std::string marker = "[location]";
    if (lo && lo->contains("latitude") && lo->contains("longitude")) {
      marker = fmt::format("[location {},{}]", lo->at("latitude").to_number<double>(),
                           lo->at("longitude").to_number<double>());
    }
    std::string words = words_after(text, "[location]");
    if (marker == "[" + std::string("location ") + words + "]") words.clear();
    return join(std::move(marker), words);
  }
  // Contacts, orders, system notices and unsupported types: the normaliser's own "[kind] ..."
  // rendering already leads with the kind.
  if (!text.empty() && text.front() == '[') return std::string(text);
  if (type == "template") return join("[template]", words_after(text, "template"));
  return join(fmt::format("[{}]", type), text);
}

void append_message_line(std::string& out, const json::object& m) {
  const auto& contact = m.at("contact").as_object();
  const bool inbound = m.at("direction") == "inbound";
  // message_json stored the summary already; a message from elsewhere gets it made here.
  std::string made;
  std::string_view body;
  if (const json::value* stored = m.if_contains("summary"); stored && stored->is_string()) {
    body = stored->get_string();
  } else {
    made = message_summary(m);
    body = made;
  }
  auto to = std::back_inserter(out);
  fmt::format_to(to, "#{} {} {} {}: {}", m.at("id").as_int64(),
                 std::string_view(m.at("created_at").as_string()), inbound ? "from" : "to",
                 std::string_view(contact.at("name").as_string()), body);
  if (!inbound) fmt::format_to(to, " ({})", std::string_view(m.at("status").as_string()));
}

std::string message_line(const json::object& m) {
  std::string line;
  append_message_line(line, m);
  return line;
}

json::object contact_json(const contact_row& c) {
  return json::object{{"id", c.id},
                      {"wa_id", c.wa_id},
                      {"user_id", c.user_id},
                      {"username", c.username},
                      {"name", display_name(c)}};
}

json::object window_json(const std::string& expires_at, store::time_point now) {
  auto expires = store::parse_timestamp(expires_at);
  if (!expires) {
    return json::object{{"open", false}, {"expires_at", ""}, {"seconds_left", 0}};
  }
  auto left = std::chrono::duration_cast<std::chrono::seconds>(*expires - now).count();
  return json::object{{"open", left > 0},
                      {"expires_at", expires_at},
                      {"seconds_left", std::max<std::int64_t>(left, 0)}};
}

std::string encode_message_cursor(const std::string& created_at, std::int64_t id) {
  return base64_encode(fmt::format("m1|{}|{}", created_at, id), base64_alphabet::url);
}

std::optional<std::pair<std::string, std::int64_t>> decode_message_cursor(std::string_view cursor) {
  auto raw = base64_decode(cursor, base64_alphabet::url);
  if (!raw || raw->rfind("m1|", 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(*raw).substr(3);
  auto bar = rest.rfind('|');
  if (bar == std::string_view::npos) return std::nullopt;
  std::string created(rest.substr(0, bar));
  std::string_view digits = rest.substr(bar + 1);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc() || end != digits.data() + digits.size() ||
      !store::parse_timestamp(created)) {
    return std::nullopt;
  }
  return std::pair{created, id};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: insertions, deletions, substitutions and adjacent swaps ("alcie").
  auto eq = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::size_t> two(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (eq(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1])) {
        cur[j] = std::min(cur[j], two[j - 2] + 1);
      }
    }
    std::swap(two, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

store::result<contact_match> resolve_contact(store::database& db, std::string_view raw,
                                             const account_scope& scope) {
  contact_match match;
  std::string query(raw);
  while (!query.empty() && std::isspace(static_cast<unsigned char>(query.back()))) query.pop_back();
  while (!query.empty() && std::isspace(static_cast<unsigned char>(query.front())))
    query.erase(0, 1);
  std::vector<contact_row> exact;
  // Schemas bound what assistants send; a longer query from elsewhere matches nobody rather than
  // costing a scan of every name (or SQLite's LIKE pattern limit, reported as a database error).
  if (query.size() > 4 * max_contact_chars) return match;
  // Each lookup below is "SELECT ... WHERE (condition on ?1)", kept within the scope by ?2.
  const std::string in_scope = scope_account_id(scope, "account_id", 2);
  auto collect = [&](std::string_view sql, std::string_view value,
                     std::string_view tail = {}) -> store::result<void> {
    auto s = db.prepare(fmt::format("{}{}{}", sql, in_scope, tail));
    if (!s) return s.error();
    s->bind(1, value);
    bind_scope(*s, scope, 2);
    for (;;) {
      auto more = s->step();
      if (!more) return more.error();
      if (!*more) break;
      exact.push_back(read_contact(*s));
    }
    return {};
  };
  if (domain::looks_like_phone(query)) {
    if (auto digits = domain::to_meta_format(query)) {
      if (auto r = collect(fmt::format("SELECT {} WHERE (wa_id = ?1)", contact_columns), *digits);
          !r) {
        return r.error();
      }
    }
  }
  if (exact.empty() && domain::looks_like_phone(query)) {
    // A number the contact had before Meta told us it changed.
    if (auto digits = domain::to_meta_format(query)) {
      if (auto r = collect(fmt::format("SELECT {} WHERE (id IN (SELECT contact_id FROM "
                                       "contact_identity_changes WHERE previous_wa_id = ?1))",
                                       contact_columns),
                           *digits);
          !r) {
        return r.error();
      }
    }
  }
  // "#12": contact 12. Only digits are looked up: text is no id on any engine.
  const std::string_view id_digits = std::string_view(query).substr(query.empty() ? 0 : 1);
  if (exact.empty() && query.rfind("#", 0) == 0 && !id_digits.empty() && id_digits.size() <= 18 &&
      id_digits.find_first_not_of("0123456789") == std::string_view::npos) {
    if (auto r = collect(fmt::format("SELECT {} WHERE (id = CAST(?1 AS BIGINT))", contact_columns),
                         id_digits);
        !r) {
      return r.error();
    }
  }
  if (exact.empty()) {
    std::string handle = query.rfind("@", 0) == 0 ? query.substr(1) : query;
    if (auto r = collect(fmt::format("SELECT {} WHERE (wa_id = ?1 OR user_id = ?1 OR "
                                     "(username <> '' AND lower(username) = lower(?1)))",
                                     contact_columns),
                         handle);
        !r) {
      return r.error();
    }
  }
  if (exact.empty()) {
    if (auto r = collect(
            fmt::format("SELECT {} WHERE (lower(profile_name) = lower(?1))", contact_columns),
            query);
        !r) {
      return r.error();
    }
  }
  if (exact.empty() && !query.empty()) {
    // A unique partial match ("Alice" for "Alice Smith") is what the user meant.
    if (auto r = collect(fmt::format("SELECT {0} WHERE (lower(profile_name) LIKE '%' || "
                                     "lower(?1) || '%' {1} OR lower(username) LIKE '%' || "
                                     "lower(?1) || '%' {1})",
                                     contact_columns, store::like_escape_clause),
                         store::escape_like(query), " LIMIT 10");
        !r) {
      return r.error();
    }
    if (exact.size() > 1) {
      match.candidates = std::move(exact);
      match.ambiguous = true;
      return match;
    }
  }
  if (exact.size() == 1) {
    match.found = std::move(exact.front());
    return match;
  }
  if (exact.size() > 1) {
    match.candidates = std::move(exact);
    match.ambiguous = true;
    return match;
  }
  // Nothing matched: suggest the closest names and numbers among recent contacts.
  auto s = db.prepare(fmt::format("SELECT {} WHERE 1 = 1{} ORDER BY updated_at DESC LIMIT 1000",
                                  contact_columns, scope_account_id(scope, "account_id", 1)));
  if (!s) return s.error();
  bind_scope(*s, scope, 1);
  std::vector<std::pair<std::size_t, contact_row>> scored;
  std::string q = lower(query);
  for (;;) {
    auto more = s->step();
    if (!more) return more.error();
    if (!*more) break;
    contact_row c = read_contact(*s);
    std::size_t best = std::string::npos;
    for (const std::string* field : {&c.profile_name, &c.username, &c.wa_id}) {
      if (field->empty()) continue;
      std::string f = lower(*field);
      std::size_t d = edit_distance(q, f);
      // Compare with each word too, so "alcie" finds "Alice Smith".
      std::size_t start = 0;
      while (start < f.size()) {
        std::size_t end = f.find(' ', start);
        std::string_view word = std::string_view(f).substr(start, end - start);
        d = std::min(d, edit_distance(q, word));
        if (end == std::string::npos) break;
        start = end + 1;
      }
      best = std::min(best, d);
    }
    std::size_t allowed = std::max<std::size_t>(2, q.size() / 3);
    if (best <= allowed) scored.emplace_back(best, std::move(c));
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < scored.size() && i < 5; ++i) {
    match.candidates.push_back(std::move(scored[i].second));
  }
  return match;
}

std::string contact_problem_text(std::string_view query, const contact_match& match) {
  std::string list;
  for (const auto& c : match.candidates) {
    list += fmt::format("\n- {} (wa_id {}{})", display_name(c), c.wa_id.empty() ? "-" : c.wa_id,
                        c.user_id.empty() ? "" : ", user_id " + c.user_id);
  }
  if (match.ambiguous) {
    return fmt::format("\"{}\" matches several contacts; pass the wa_id of the one you mean:{}",
                       query, list);
  }
  if (match.candidates.empty()) {
    return fmt::format(
        "No contact matches \"{}\". Use search_contacts to look people up by "
        "name or number.",
        query);
  }
  return fmt::format("No contact matches \"{}\". Did you mean:{}", query, list);
}

void bind_params(store::statement& s, const std::vector<sql_param>& params) {
  int i = 0;
  for (const auto& p : params) {
    ++i;
    if (const auto* n = std::get_if<std::int64_t>(&p)) {
      s.bind(i, *n);
    } else {
      s.bind(i, std::get<std::string>(p));
    }
  }
}

void restrict_label(std::string_view label, std::string_view conversation_id_column,
                    std::string& where, std::vector<sql_param>& params) {
  if (label.empty()) return;
  params.emplace_back(std::string(label));
  where += fmt::format(
      " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = {} AND "
      "lower(l.label) = lower(?{}))",
      conversation_id_column, params.size());
}

json::object paged_list_schema(std::string_view key, json::object item) {
  json::object properties;
  properties[key] = json::object{{"type", "array"}, {"items", std::move(item)}};
  properties["next_cursor"] = json::object{{"type", "string"}};
  return json::object{{"type", "object"},
                      {"required", json::array{json::string(key)}},
                      {"properties", std::move(properties)}};
}

json::object contact_schema() {
  return json::parse(R"J({"type":"object","required":["id","wa_id","name"],"properties":{
    "id":{"type":"integer"},"wa_id":{"type":"string","description":"WhatsApp id (phone digits); empty for username users"},
    "user_id":{"type":"string"},"username":{"type":"string"},"name":{"type":"string"}}})J")
      .as_object();
}

json::object message_schema() {
  auto m = json::parse(R"J({"type":"object",
    "required":["id","direction","type","text","status","created_at","conversation_id","contact"],
    "properties":{
      "id":{"type":"integer","description":"monotonic message id"},
      "direction":{"type":"string","enum":["inbound","outbound"]},
      "wamid":{"type":"string"},"phone_number_id":{"type":"string"},
      "conversation_id":{"type":"integer"},"type":{"type":"string"},"text":{"type":"string"},
      "status":{"type":"string"},
      "created_at":{"type":"string","description":"server time the message was stored (ISO 8601 UTC); use with since"},
      "sent_at":{"type":"string"},
      "summary":{"type":"string","description":"what the message says as one line: a message that is not text starts with its kind and how to fetch it, e.g. [image: call get_media with message_id 8]"},
      "media":{"type":"object","description":"media_id, mime_type, caption, filename, and state: the download state of the copy stored here (empty when none is)"},"location":{"type":"object"},
      "reaction":{"type":"object","description":"to (the wamid reacted to), emoji (empty: removed), message_id (its id here, when stored)"},
      "reply_to":{"type":"string"},"forwarded":{"type":"boolean"},"error":{"type":"object"}}})J")
               .as_object();
  m["properties"].as_object()["contact"] = contact_schema();
  return m;
}

json::object window_schema() {
  return json::parse(R"J({"type":"object","required":["open","expires_at","seconds_left"],
    "properties":{"open":{"type":"boolean"},"expires_at":{"type":"string"},
    "seconds_left":{"type":"integer"}}})J")
      .as_object();
}

}  // namespace pons::mcp
