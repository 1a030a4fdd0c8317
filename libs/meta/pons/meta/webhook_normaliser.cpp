#include "pons/meta/webhook_normaliser.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <climits>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/meta/redaction.hpp"
#include "pons/meta/webhook_ids.hpp"

namespace pons::meta {
namespace {

namespace json = boost::json;
using domain::account_event;
using domain::contact;
using domain::inbound_message;
using domain::meta_error_detail;
using domain::status_update;
using domain::webhook_batch;

class webhook_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.webhook"; }
  std::string message(int ev) const override {
    switch (static_cast<webhook_errc>(ev)) {
      case webhook_errc::invalid_payload:
        return "webhook payload is not a JSON object with an \"object\" member; it is not from "
               "Meta";
    }
    return "unknown webhook error";
  }
};

// --- Tolerant accessors: Meta adds, omits and retypes members; none of that may throw. ---

const json::value* member(const json::value* v, std::string_view key) {
  if (v == nullptr) return nullptr;
  const auto* obj = v->if_object();
  return obj ? obj->if_contains(key) : nullptr;
}

const json::value* at_path(const json::value* v, std::initializer_list<std::string_view> keys) {
  for (auto key : keys) v = member(v, key);
  return v;
}

const json::value* first_of(const json::value* v, std::string_view array_key) {
  const auto* a = member(v, array_key);
  const auto* arr = a ? a->if_array() : nullptr;
  return arr && !arr->empty() ? &arr->front() : nullptr;
}

// Ids and timestamps are strings in Meta's payloads, but some arrive as JSON numbers
// (message_template_id, group wa_id): render those as their digits, never as floating point.
std::string text_of(const json::value* v) {
  if (v == nullptr) return {};
  switch (v->kind()) {
    case json::kind::string:
      return std::string(v->get_string());
    case json::kind::int64:
      return std::to_string(v->get_int64());
    case json::kind::uint64:
      return std::to_string(v->get_uint64());
    case json::kind::double_:
      return fmt::format("{}", v->get_double());
    case json::kind::bool_:
      return v->get_bool() ? "true" : "false";
    default:
      return {};
  }
}

std::string str(const json::value* v, std::string_view key) {
  return text_of(member(v, key));
}

bool flag(const json::value* v, std::string_view key) {
  const auto* f = member(v, key);
  if (f == nullptr) return false;
  if (f->is_bool()) return f->get_bool();
  return f->is_string() && f->get_string() == "true";
}

double number_of(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  if (v->is_string()) {
    const std::string_view s = v->get_string();
    double d = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec == std::errc() && ptr == s.data() + s.size()) return d;
  }
  return 0;
}

// Unix seconds from a numeric string (or number); 0 when absent or not a plain integer.
std::int64_t unix_seconds(const json::value* v) {
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64() > 0 ? v->get_int64() : 0;
  if (!v->is_string()) return 0;
  const std::string_view s = v->get_string();
  std::int64_t n = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc() && ptr == s.data() + s.size() && n > 0 ? n : 0;
}

template <typename F>
void for_each_object(const json::value* v, std::string_view key, F&& f) {
  const auto* a = member(v, key);
  if (a == nullptr || !a->is_array()) return;
  for (const auto& item : a->get_array())
    if (item.is_object()) f(item);
}

std::string compact(const json::value& v) {
  return json::serialize(v);
}

// --- Records ---

meta_error_detail parse_error(const json::value& e) {
  meta_error_detail d;
  const auto* code = member(&e, "code");
  if (code && code->is_int64() && code->get_int64() >= INT_MIN && code->get_int64() <= INT_MAX) {
    d.code = static_cast<int>(code->get_int64());
  } else if (code && code->is_string()) {
    const std::string_view s = code->get_string();
    std::from_chars(s.data(), s.data() + s.size(), d.code);
  }
  d.title = str(&e, "title");
  d.message = str(&e, "message");
  d.details = text_of(at_path(&e, {"error_data", "details"}));
  d.href = str(&e, "href");
  return d;
}

std::vector<meta_error_detail> parse_errors(const json::value* v) {
  std::vector<meta_error_detail> out;
  for_each_object(v, "errors", [&](const json::value& e) { out.push_back(parse_error(e)); });
  return out;
}

contact parse_contact(const json::value& c) {
  contact out;
  out.wa_id = str(&c, "wa_id");
  out.user_id = str(&c, "user_id");
  out.username = text_of(at_path(&c, {"profile", "username"}));
  if (out.username.empty()) out.username = str(&c, "username");
  // Meta's examples write a username both with and without its '@': keep it without.
  if (!out.username.empty() && out.username.front() == '@') out.username.erase(0, 1);
  out.profile_name = text_of(at_path(&c, {"profile", "name"}));
  out.parent_user_id = str(&c, "parent_user_id");
  return out;
}

// What one change says about where it happened.
struct change_scope {
  std::string waba_id;
  std::string phone_number_id;
  std::string display_phone_number;
};

// A system message saying the sender's ids changed. Meta names the new phone number `wa_id`
// (older payloads: `new_wa_id`) and gives the new BSUID with the one it replaces.
std::optional<domain::identity_notice> identity_change(const json::value* system) {
  const std::string kind = str(system, "type");
  domain::identity_notice n;
  if (kind == "user_changed_number") {
    n.change = domain::identity_notice::what::number_changed;
  } else if (kind == "user_changed_user_id") {
    n.change = domain::identity_notice::what::user_id_changed;
  } else {
    return std::nullopt;
  }
  n.wa_id = str(system, "wa_id");
  if (n.wa_id.empty()) n.wa_id = str(system, "new_wa_id");
  n.user_id = str(system, "user_id");
  n.parent_user_id = str(system, "parent_user_id");
  n.previous_user_id = str(system, "previous_user_id");
  if (n.wa_id.empty() && n.user_id.empty()) return std::nullopt;
  return n;
}

// The sender's own phone number, shared through a request-contact-info button: a shared contact
// with origin "contact_request" and one WhatsApp number.
std::optional<domain::identity_notice> shared_phone(const json::value* msg) {
  std::optional<domain::identity_notice> found;
  int numbers = 0;
  for_each_object(msg, "contacts", [&](const json::value& c) {
    if (str(&c, "origin") != "contact_request") return;
    for_each_object(&c, "phones", [&](const json::value& p) {
      const std::string wa_id = str(&p, "wa_id");
      if (wa_id.empty()) return;
      ++numbers;
      domain::identity_notice n;
      n.change = domain::identity_notice::what::phone_shared;
      n.wa_id = wa_id;
      found = std::move(n);
    });
  });
  if (numbers != 1) return std::nullopt;
  return found;
}

contact find_sender(const std::vector<contact>& contacts, const std::string& from,
                    const std::string& from_user_id) {
  for (const auto& c : contacts)
    if (!from.empty() && c.wa_id == from) return c;
  for (const auto& c : contacts)
    if (!from_user_id.empty() && c.user_id == from_user_id) return c;
  // A message with no sender ids at all can only be from the change's single contact.
  if (contacts.size() == 1 && from.empty() && from_user_id.empty()) return contacts.front();
  contact unknown;
  unknown.wa_id = from;
  unknown.user_id = from_user_id;
  return unknown;
}

bool is_media_type(std::string_view type) {
  static constexpr std::array<std::string_view, 5> types = {"image", "video", "audio", "document",
                                                            "sticker"};
  for (auto t : types)
    if (t == type) return true;
  return false;
}

// Fills the type-specific parts and the searchable/preview `text`.
void fill_content(inbound_message& m, const json::value& msg) {
  const std::string& type = m.type;
  const json::value* body = member(&msg, type);

  if (type == "text") {
    m.text = text_of(member(body, "body"));
  } else if (is_media_type(type)) {
    domain::media_ref media;
    media.media_id = str(body, "id");
    media.mime_type = str(body, "mime_type");
    media.sha256 = str(body, "sha256");
    media.caption = str(body, "caption");
    media.filename = str(body, "filename");
    media.url = str(body, "url");
    media.voice = flag(body, "voice");
    media.animated = flag(body, "animated");
    if (!media.caption.empty()) {
      m.text = media.caption;
    } else if (!media.filename.empty()) {
      m.text = media.filename;
    } else if (media.voice) {
      m.text = "[voice message]";
    } else {
      m.text = "[" + type + "]";
    }
    m.media = std::move(media);
  } else if (type == "location") {
    domain::location place;
    place.latitude = number_of(member(body, "latitude"));
    place.longitude = number_of(member(body, "longitude"));
    place.name = str(body, "name");
    place.address = str(body, "address");
    place.url = str(body, "url");
    if (!place.name.empty()) {
      m.text = "[location] " + place.name;
    } else if (!place.address.empty()) {
      m.text = "[location] " + place.address;
    } else {
      m.text = fmt::format("[location] {},{}", place.latitude, place.longitude);
    }
    m.place = std::move(place);
  } else if (type == "contacts") {
    const json::value* shared = member(&msg, "contacts");
    if (shared) m.contacts_json = compact(*shared);
    std::string names;
    for_each_object(&msg, "contacts", [&](const json::value& c) {
      std::string name = text_of(at_path(&c, {"name", "formatted_name"}));
      if (name.empty()) name = text_of(at_path(&c, {"name", "first_name"}));
      if (name.empty()) return;
      if (!names.empty()) names += ", ";
      names += name;
    });
    m.text = names.empty() ? "[contact]" : "[contact] " + names;
    m.identity = shared_phone(&msg);
  } else if (type == "reaction") {
    domain::reaction r;
    r.message_id = str(body, "message_id");
    r.emoji = str(body, "emoji");
    m.text = r.emoji.empty() ? "[reaction removed]" : "[reaction] " + r.emoji;
    m.reacted = std::move(r);
  } else if (type == "interactive") {
    domain::interactive_reply reply;
    reply.kind = str(body, "type");
    const json::value* detail = member(body, reply.kind);
    if (reply.kind == "nfm_reply") {
      // Flow / address replies: `name` says which kind, `body` is what the user saw.
      reply.id = str(detail, "name");
      reply.title = str(detail, "body");
      reply.response_json = str(detail, "response_json");
    } else {
      reply.id = str(detail, "id");
      reply.title = str(detail, "title");
      reply.description = str(detail, "description");
    }
    m.text = !reply.title.empty()
                 ? reply.title
                 : "[interactive" + (reply.kind.empty() ? "" : " " + reply.kind) + "]";
    m.reply = std::move(reply);
  } else if (type == "button") {
    domain::interactive_reply reply;
    reply.kind = "button";
    reply.id = str(body, "payload");
    reply.title = str(body, "text");
    m.text = !reply.title.empty() ? reply.title : reply.id;
    m.reply = std::move(reply);
  } else if (type == "order") {
    if (body) m.order_json = compact(*body);
    m.text = str(body, "text");
    if (m.text.empty()) {
      const auto* items = member(body, "product_items");
      const std::size_t n = items && items->is_array() ? items->get_array().size() : 0;
      m.text = fmt::format("[order] {} item{}", n, n == 1 ? "" : "s");
    }
  } else if (type == "system") {
    if (body) m.system_json = compact(*body);
    m.text = str(body, "body");
    if (m.text.empty()) m.text = "[system " + str(body, "type") + "]";
    m.identity = identity_change(body);
  } else if (type == "unsupported") {
    const std::string sub = str(body, "type");
    m.text = sub.empty() ? "[unsupported]" : "[unsupported " + sub + "]";
  } else {
    // Unknown to us (request_welcome, future types): keep the type and raw JSON, say what it is.
    m.text = "[" + (type.empty() ? std::string("unknown") : type) + "]";
  }
}

inbound_message parse_message(const json::value& msg, const change_scope& scope,
                              const std::vector<contact>& contacts) {
  inbound_message m;
  m.phone_number_id = scope.phone_number_id;
  m.display_phone_number = scope.display_phone_number;
  m.waba_id = scope.waba_id;
  m.wamid = str(&msg, "id");
  m.from = str(&msg, "from");
  m.from_user_id = str(&msg, "from_user_id");
  m.sender = find_sender(contacts, m.from, m.from_user_id);
  // Keep username users addressable even when the message itself omits from_user_id.
  if (m.from_user_id.empty()) m.from_user_id = m.sender.user_id;
  m.from_parent_user_id = str(&msg, "from_parent_user_id");
  if (m.sender.parent_user_id.empty()) m.sender.parent_user_id = m.from_parent_user_id;
  m.timestamp = str(&msg, "timestamp");
  m.timestamp_unix = unix_seconds(member(&msg, "timestamp"));
  m.type = str(&msg, "type");
  fill_content(m, msg);

  if (const json::value* ctx = member(&msg, "context"); ctx && ctx->is_object()) {
    domain::message_context c;
    c.message_id = str(ctx, "id");
    c.from = str(ctx, "from");
    c.forwarded = flag(ctx, "forwarded");
    c.frequently_forwarded = flag(ctx, "frequently_forwarded");
    c.referred_product_catalog_id = text_of(at_path(ctx, {"referred_product", "catalog_id"}));
    c.referred_product_retailer_id =
        text_of(at_path(ctx, {"referred_product", "product_retailer_id"}));
    m.context = std::move(c);
  }
  if (const json::value* referral = member(&msg, "referral")) m.referral_json = compact(*referral);
  m.errors = parse_errors(&msg);
  m.raw_json = compact(msg);
  return m;
}

status_update parse_status(const json::value& st, const change_scope& scope) {
  status_update s;
  s.phone_number_id = scope.phone_number_id;
  s.waba_id = scope.waba_id;
  s.wamid = str(&st, "id");
  s.status = str(&st, "status");
  s.timestamp = str(&st, "timestamp");
  s.timestamp_unix = unix_seconds(member(&st, "timestamp"));
  s.recipient_id = str(&st, "recipient_id");
  s.recipient_user_id = str(&st, "recipient_user_id");
  s.biz_opaque_callback_data = str(&st, "biz_opaque_callback_data");
  const json::value* conversation = member(&st, "conversation");
  const json::value* pricing = member(&st, "pricing");
  if ((conversation && conversation->is_object()) || (pricing && pricing->is_object())) {
    domain::status_pricing p;
    p.conversation_id = str(conversation, "id");
    p.conversation_origin = text_of(at_path(conversation, {"origin", "type"}));
    p.conversation_expiration = str(conversation, "expiration_timestamp");
    p.billable = flag(pricing, "billable");
    p.pricing_model = str(pricing, "pricing_model");
    p.pricing_category = str(pricing, "category");
    p.pricing_type = str(pricing, "type");
    s.pricing = std::move(p);
  }
  s.errors = parse_errors(&st);
  s.raw_json = compact(st);
  return s;
}

// The most telling short name for an event in a non-message field, first match wins.
std::string event_name(const json::value* value, const std::string& field) {
  const std::initializer_list<std::string_view> candidates[] = {
      {"event"},
      {"decision"},
      {"new_quality_score"},
      {"new_category"},
      {"alert_info", "alert_type"},
      {"status"},
      {"solution_status"},
  };
  for (const auto& path : candidates) {
    std::string s = text_of(at_path(value, path));
    if (!s.empty()) return s;
  }
  if (auto s = str(first_of(value, "groups"), "type"); !s.empty()) return s;
  if (auto s = str(first_of(value, "user_preferences"), "value"); !s.empty()) return s;
  return field.empty() ? "unknown" : field;
}

// What an event is about (a template, a group, a user, a number...), first match wins.
std::string event_subject(const json::value* value) {
  const std::initializer_list<std::string_view> candidates[] = {
      {"message_template_name"}, {"message_template_id"},
      {"display_phone_number"},  {"entity_id"},
      {"waba_info", "waba_id"},  {"solution_id"},
      {"configuration_name"},    {"partner_client_certification_info", "client_business_id"},
  };
  if (auto s = str(first_of(value, "groups"), "group_id"); !s.empty()) return s;
  if (auto s = str(first_of(value, "user_preferences"), "wa_id"); !s.empty()) return s;
  for (const auto& path : candidates) {
    std::string s = text_of(at_path(value, path));
    if (!s.empty()) return s;
  }
  return {};
}

void add_distinct(std::vector<std::string>& ids, const std::string& id) {
  if (id.empty()) return;
  for (const auto& known : ids)
    if (known == id) return;
  ids.push_back(id);
}

// Where in the payload a part is: entry[e], entry[e].changes[c], or an item of a change's array.
struct place {
  std::size_t entry = 0;
  std::optional<std::size_t> change;
  std::string_view array;  // "messages", "statuses", or empty
  std::size_t item = 0;
};

// Records that a part of the payload became no record, and why. Described one by one up to
// max_skip_notes (a body can hold millions of bad parts; the note must stay small), counted all.
// The text names places, never values: nothing from the body reaches the note.
void skip(webhook_batch& batch, const place& where, std::string_view why) {
  if (batch.skipped_total++ >= domain::max_skip_notes) return;
  std::string note = fmt::format("entry[{}]", where.entry);
  if (where.change) note += fmt::format(".changes[{}]", *where.change);
  if (!where.array.empty()) note += fmt::format(".{}[{}]", where.array, where.item);
  note += ": ";
  note += why;
  batch.skipped.push_back(std::move(note));
}

// A message or status id that can identify it: a non-empty string (Meta's wamids).
bool usable_wamid(const json::value* id) {
  return id != nullptr && id->is_string() && !id->get_string().empty();
}

// An entry id (the WABA id) as text: a string as it is, a JSON integer that is not negative as
// its digits; nullopt for anything else. A double such as 222.0 must not pass for account 222.
std::optional<std::string> entry_id(const json::value* v) {
  if (v == nullptr) return std::string();
  if (const auto* s = v->if_string()) return std::string(*s);
  if (v->is_int64() || v->is_uint64()) return canonical_id(v);
  return std::nullopt;
}

void add_event(webhook_batch& batch, const change_scope& scope, std::string field,
               const json::value* value, std::string event) {
  account_event ev;
  ev.waba_id = scope.waba_id;
  ev.phone_number_id = scope.phone_number_id;
  ev.event = event.empty() ? event_name(value, field) : std::move(event);
  ev.subject = event_subject(value);
  ev.value_json = value ? compact(*value) : "null";
  ev.field = std::move(field);
  batch.events.push_back(std::move(ev));
}

void normalise_change(webhook_batch& batch, const json::value& entry, const json::value& change,
                      const std::string& waba_id, place where) {
  const json::value* value = member(&change, "value");
  // Meta's own examples sometimes put `field` inside value or on the entry: accept any of them.
  std::string field = str(&change, "field");
  if (field.empty()) field = str(value, "field");
  if (field.empty()) field = str(&entry, "field");

  change_scope scope;
  scope.waba_id = waba_id;
  // The number is what records are stored under and what the account check compares: only a
  // canonical id counts. Messages and statuses need one; another field needs one only when it
  // carries metadata at all (template updates have none and route by the WABA id).
  const json::value* metadata = member(value, "metadata");
  if (metadata != nullptr || field == "messages") {
    auto id = canonical_id(member(metadata, "phone_number_id"));
    if (!id) {
      skip(batch, where,
           "metadata.phone_number_id is missing or not a digit string; change skipped");
      return;
    }
    scope.phone_number_id = std::move(*id);
  }
  scope.display_phone_number = text_of(member(metadata, "display_phone_number"));
  add_distinct(batch.phone_number_ids, scope.phone_number_id);

  std::vector<contact> contacts;
  for_each_object(value, "contacts", [&](const json::value& c) {
    contacts.push_back(parse_contact(c));
    batch.contacts.push_back(contacts.back());
    batch.contact_phone_number_ids.push_back(scope.phone_number_id);
  });

  if (field != "messages") {
    add_event(batch, scope, std::move(field), value, {});
    return;
  }
  // Without a usable id a message would be stored under no wamid and never deduplicated; a
  // status could not say which message it is about. Such items are only described.
  const auto items = [&](std::string_view key, auto&& accept) {
    const json::value* list = member(value, key);
    if (list == nullptr) return;
    place at = where;
    at.array = key;
    if (!list->is_array()) {
      skip(batch, where, fmt::format("{} is not an array; ignored", key));
      return;
    }
    for (const auto& item : list->get_array()) {
      if (!item.is_object())
        skip(batch, at, "not an object; skipped");
      else
        accept(item, at);
      ++at.item;
    }
  };
  items("messages", [&](const json::value& msg, const place& at) {
    if (!usable_wamid(member(&msg, "id")))
      skip(batch, at, "id is missing or not a non-empty string; message skipped");
    else
      batch.messages.push_back(parse_message(msg, scope, contacts));
  });
  items("statuses", [&](const json::value& st, const place& at) {
    const json::value* status = member(&st, "status");
    if (!usable_wamid(member(&st, "id")) || status == nullptr || !status->is_string() ||
        status->get_string().empty())
      skip(batch, at, "id or status is missing or not a non-empty string; status skipped");
    else
      batch.statuses.push_back(parse_status(st, scope));
  });
  for (auto& e : parse_errors(value)) batch.value_errors.push_back(std::move(e));
}

}  // namespace

const boost::system::error_category& webhook_category() noexcept {
  static const webhook_category_impl category;
  return category;
}

boost::system::error_code make_error_code(webhook_errc e) noexcept {
  return {static_cast<int>(e), webhook_category()};
}

std::string skip_notes(const domain::webhook_batch& batch) {
  std::string out = fmt::format("{}", fmt::join(batch.skipped, "; "));
  if (batch.skipped_total > batch.skipped.size())
    out += fmt::format("; and {} more parts skipped", batch.skipped_total - batch.skipped.size());
  return out;
}

boost::system::result<webhook_batch> normalise_webhook(const json::value& payload) {
  // Walk a redacted copy: no record can then carry a secret, whatever Meta or a sender put in.
  // Most payloads have nothing to redact: then the payload itself is walked, without a copy.
  if (may_need_redaction(payload)) return normalise_redacted_webhook(redacted(payload));
  return normalise_redacted_webhook(payload);
}

boost::system::result<webhook_batch> normalise_redacted_webhook(const json::value& payload) {
  const json::value* object = member(&payload, "object");
  // Some of Meta's documented examples carry `object` on the first entry or inside the first
  // change's value instead: accept those places too.
  const json::value* entry = first_of(&payload, "entry");
  if (object == nullptr) object = member(entry, "object");
  if (object == nullptr) object = at_path(first_of(entry, "changes"), {"value", "object"});
  if (object == nullptr || !object->is_string())
    return make_error_code(webhook_errc::invalid_payload);

  webhook_batch batch;
  batch.object = std::string(object->get_string());
  if (batch.object != "whatsapp_business_account") return batch;

  const json::value* entries = member(&payload, "entry");
  if (entries == nullptr || !entries->is_array()) return batch;

  place where;
  for (const auto& entry : entries->get_array()) {
    auto id = entry_id(member(&entry, "id"));
    if (!id) {
      skip(batch, where, "id is not a string or an integer; entry skipped");
      ++where.entry;
      continue;
    }
    const std::string waba_id = std::move(*id);
    add_distinct(batch.waba_ids, waba_id);
    const json::value* changes = member(&entry, "changes");
    if (changes == nullptr || !changes->is_array()) {
      // Not the shape we know: keep it as an event rather than dropping it silently.
      change_scope scope;
      scope.waba_id = waba_id;
      add_event(batch, scope, str(&entry, "field"), &entry, "entry_without_changes");
      ++where.entry;
      continue;
    }
    where.change = 0;
    for (const auto& change : changes->get_array()) {
      normalise_change(batch, entry, change, waba_id, where);
      ++*where.change;
    }
    where.change.reset();
    ++where.entry;
  }
  return batch;
}

}  // namespace pons::meta
