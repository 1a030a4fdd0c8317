#include "pons/webhook/ingest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "pons/domain/idempotency.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/meta/account_standing.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/contact_preferences.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/event_log_repository.hpp"
#include "pons/store/group_lookahead.hpp"
#include "pons/store/media_repository.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/number_health.hpp"
#include "pons/store/search_index_deferral.hpp"
#include "pons/store/sql_support.hpp"
#include "pons/store/status_repository.hpp"
#include "pons/store/template_repository.hpp"
#include "pons/webhook/identity_events.hpp"

namespace pons::webhook {

// The transaction composes the store's repositories, written in their vocabulary.
using namespace store;

namespace {

namespace json = boost::json;

// When Meta says it happened; without Meta's timestamp, when we received it.
time_point occurred_at(std::int64_t unix_seconds, time_point now) {
  return unix_seconds > 0 ? time_point(std::chrono::seconds(unix_seconds)) : now;
}

// The forwarding outbox (pons/forward) reports its own error category; the ingest only needs
// to know it failed, with the message kept for the log.
result<int> enqueue(database& db, const forward::event& ev, time_point now) {
  auto r = forward::enqueue_event(db, ev, now);
  if (!r) return r.error();
  return r->deliveries;
}

}  // namespace

// What one transaction already looked up: the numbers made sure of, the contacts and
// conversations, the enabled forwarding targets. Shared by the batches of a group commit (and by
// later groups through an ingest_memo); cleared when a write is rolled back.
struct ingest_memo::state {
  struct target {
    std::string phone_number_id;
    std::string event_types;
  };
  struct number_info {
    std::int64_t account_id = 0;
    std::string waba_id;
  };
  std::map<std::string, number_info, std::less<>> known;
  std::map<std::string, contact_record, std::less<>> contacts;
  std::map<std::string, std::int64_t, std::less<>> conversations;
  std::vector<target> targets;
  bool targets_loaded = false;

  void clear() {
    known.clear();
    contacts.clear();
    conversations.clear();
    targets.clear();
    targets_loaded = false;
  }
};

ingest_memo::ingest_memo(std::size_t max_entries)
    : state_(std::make_unique<state>()), max_entries_(max_entries) {}
ingest_memo::~ingest_memo() = default;

std::size_t ingest_memo::size() const {
  return state_->contacts.size() + state_->conversations.size();
}

namespace {

using number_info = ingest_memo::state::number_info;

// What the PostgreSQL schema's triggers name when a statement changes what an ingest_memo holds
// (schema/postgresql/0025_announce_lookup_changes.sql). On SQLite any other commit counts.
constexpr std::string_view lookup_changes_topic = "lookups";

// Where ingest_memo::state keeps a contact.
std::string contact_memo_key(std::int64_t account_id, std::string_view wa_id,
                             std::string_view user_id) {
  return fmt::format("{}\x1f{}\x1f{}", account_id, wa_id, user_id);
}

// The lookups of ingest_one, served from `state` when it already knows the answer.
class ingest_cache {
 public:
  ingest_cache(database& db, ingest_memo::state& state) : db_(db), s_(state) {}

  result<number_info> resolve(const std::string& phone_number_id, const std::string& waba_id,
                              const std::string& display, time_point now) {
    auto it = s_.known.find(phone_number_id);
    if (it != s_.known.end()) return it->second;
    PONS_STORE_CHECK(ensure_phone_number(db_, waba_id, phone_number_id, display, now));
    PONS_STORE_TRY(p, find_phone_number(db_, phone_number_id));
    if (!p) return store_errc::not_found;
    number_info info{p->account_id, p->waba_id};
    s_.known.emplace(phone_number_id, info);
    return info;
  }

  // True when some enabled target may want `type` from `phone_number_id`: only then is the
  // outbox touched (most installations forward nothing).
  result<bool> wants(std::string_view type, std::string_view phone_number_id) {
    if (!s_.targets_loaded) {
      auto st = db_.prepare(
          "SELECT phone_number_id, event_types FROM webhook_targets "
          "WHERE enabled = 1");
      if (!st) return detail::bool_error(st.error());
      for (;;) {
        auto row = st->step();
        if (!row) return detail::bool_error(row.error());
        if (!*row) break;
        s_.targets.push_back({st->column_text(0), st->column_text(1)});
      }
      s_.targets_loaded = true;
    }
    const std::string quoted = "\"" + std::string(type) + "\"";
    for (const auto& t : s_.targets) {
      if (!t.phone_number_id.empty() && t.phone_number_id != phone_number_id) continue;
      if (t.event_types.find(quoted) != std::string::npos) return true;
    }
    return false;
  }

  // upsert_contact, skipped when the same facts are already stored (a payload's contacts[]
  // entry and its message's sender are usually the same person, and people write again).
  result<contact_record> contact(std::int64_t account_id, const domain::contact& who,
                                 time_point now) {
    const std::string key = contact_memo_key(account_id, who.wa_id, who.user_id);
    auto it = s_.contacts.find(key);
    if (it != s_.contacts.end() && covers(it->second, who)) return it->second;
    if (auto looked_up = contact_looked_up(account_id, who, now)) {
      PONS_STORE_TRY(c, *looked_up);
      s_.contacts.insert_or_assign(key, c);
      return c;
    }
    // A merge may move or join conversations: what is gathered for them is written first.
    PONS_STORE_CHECK(write_touches());
    auto outcome = contact_upsert::found;
    PONS_STORE_TRY(c, upsert_contact(db_, account_id, who, now, &outcome));
    if (outcome == contact_upsert::merged) forget_people();  // a remembered id may be gone
    if (outcome == contact_upsert::created) created_contacts_.push_back(c.id);
    if (ahead_) ahead_->person_stored(c);
    s_.contacts.insert_or_assign(key, c);
    return c;
  }

  // upsert_conversation, remembered. A contact created in this transaction has no conversation
  // to look for yet.
  result<std::int64_t> conversation(const std::string& phone_number_id, std::int64_t contact_id,
                                    time_point now) {
    const std::string key = phone_number_id + '\x1f' + std::to_string(contact_id);
    auto it = s_.conversations.find(key);
    if (it != s_.conversations.end()) return it->second;
    const bool new_contact = std::find(created_contacts_.begin(), created_contacts_.end(),
                                       contact_id) != created_contacts_.end();
    // What the group's lookahead knows: a conversation it found, or that there is none.
    const auto known = !ahead_       ? std::optional<std::int64_t>()
                       : new_contact ? std::optional<std::int64_t>(0)
                                     : ahead_->conversation(phone_number_id, contact_id);
    if (known && *known != 0) {
      s_.conversations.emplace(key, *known);
      return *known;
    }
    if (auto placed = known ? ahead_->place_conversation() : std::nullopt) {
      PONS_STORE_CHECK(queue_new_conversation(db_, phone_number_id, contact_id, now, *placed));
      ahead_->conversation_stored(phone_number_id, contact_id, *placed);
      s_.conversations.emplace(key, *placed);
      return *placed;
    }
    PONS_STORE_TRY(id, new_contact ? insert_conversation(db_, phone_number_id, contact_id, now)
                                   : upsert_conversation(db_, phone_number_id, contact_id, now));
    if (ahead_) ahead_->conversation_stored(phone_number_id, contact_id, id);
    s_.conversations.emplace(key, id);
    return id;
  }

  // Forgets the contacts and conversations remembered: Meta linked or changed someone's ids.
  void forget_people() {
    if (ahead_) ahead_->forget_people();
    s_.contacts.clear();
    s_.conversations.clear();
    created_contacts_.clear();
  }

  // Answers from what the group looked up before writing, when it did (see write_group).
  void look_ahead(group_lookahead* ahead) { ahead_ = ahead; }

  // mark_processed, answered by the lookahead when the group has one (as are the next three).
  result<bool> mark_processed(std::string_view key, time_point now) {
    return ahead_ ? ahead_->mark_processed(db_, key, now) : store::mark_processed(db_, key, now);
  }

  // find_status_target: the message a status names.
  result<std::optional<store::status_target>> target_of(std::string_view wamid) {
    if (!ahead_) return find_status_target(db_, wamid);
    const store::status_target* known = ahead_->message(wamid);
    return known ? std::optional<store::status_target>(*known) : std::nullopt;
  }

  // apply_status, noted for the statuses after it.
  result<status_outcome> apply_status(const domain::status_update& s,
                                      const std::optional<store::status_target>& target,
                                      time_point now) {
    PONS_STORE_TRY(outcome, store::apply_status(db_, s, target, now));
    if (ahead_ && outcome.applied) ahead_->status_applied(s.wamid, outcome.current_status);
    return outcome;
  }

  // A new inbound message, or nullopt for one already stored (see insert_inbound_message_once).
  result<std::optional<message_position>> store_message(const domain::inbound_message& m,
                                                        std::int64_t contact_id,
                                                        std::int64_t conversation_id,
                                                        time_point now) {
    if (ahead_) return queue_inbound_message(db_, m, contact_id, conversation_id, now, *ahead_);
    // The newest created_at is kept for the inserts of this transaction (never across
    // transactions: another connection may insert in between).
    const inbound_insert_hints hints{&newest_};
    if (domain::identified_by_wamid(m))
      return insert_inbound_message_once(db_, m, contact_id, conversation_id, now, hints);
    PONS_STORE_TRY(row, insert_inbound_message(db_, m, contact_id, conversation_id, now, hints));
    return std::optional<message_position>(std::move(row));
  }

  // record_inbound. With a lookahead, gathered per conversation instead, and written by
  // write_touches, several conversations to a statement.
  result<void> record_inbound(std::int64_t conversation_id, const std::string& created_at,
                              const std::string& window_expires_at, std::string preview) {
    if (!ahead_) {
      return store::record_inbound(db_, conversation_id, created_at, window_expires_at, preview);
    }
    auto [at, fresh] = touch_of_.try_emplace(conversation_id, touches_.size());
    if (fresh) {
      touches_.emplace_back();
      touches_.back().conversation_id = conversation_id;
    }
    inbound_touch& t = touches_[at->second];
    ++t.messages;
    t.last = created_at;
    t.window_expires_at = std::max(t.window_expires_at, window_expires_at);
    t.preview = std::move(preview);
    return {};
  }

  // Writes what record_inbound gathered: before the group commits, and before anything that
  // may move a conversation.
  result<void> write_touches() {
    if (touches_.empty()) return {};
    auto written = record_inbound_many(db_, touches_);
    touches_.clear();
    touch_of_.clear();
    return written;
  }

  void clear() {
    s_.clear();
    newest_.clear();
    created_contacts_.clear();
    touches_.clear();
    touch_of_.clear();
  }

 private:
  // The contact as the group's lookahead found it, or a new one with the id it reserved:
  // nullopt when the lookahead cannot answer (no lookahead, a sender with a user id, a number
  // not known before the group, no ids reserved, or facts that changed), and upsert_contact must.
  std::optional<result<contact_record>> contact_looked_up(std::int64_t account_id,
                                                          const domain::contact& who,
                                                          time_point now) {
    if (!ahead_ || !who.user_id.empty() || who.wa_id.empty()) return std::nullopt;
    const std::optional<contact_record>* known = ahead_->person(account_id, who.wa_id);
    if (!known) return std::nullopt;
    if (*known) {
      if (!covers(**known, who)) return std::nullopt;
      return result<contact_record>(**known);
    }
    auto id = ahead_->place_contact();
    if (!id) return std::nullopt;
    auto created = queue_new_contact(db_, account_id, who, now, *id);
    if (created) {
      created_contacts_.push_back(created->id);
      ahead_->person_stored(*created);
    }
    return created;
  }

  static bool covers(const contact_record& stored, const domain::contact& who) {
    auto same = [](const std::string& have, const std::string& got) {
      return got.empty() || have == got;
    };
    return same(stored.wa_id, who.wa_id) && same(stored.user_id, who.user_id) &&
           same(stored.username, who.username) && same(stored.profile_name, who.profile_name) &&
           same(stored.parent_user_id, who.parent_user_id);
  }

  database& db_;
  ingest_memo::state& s_;
  std::string newest_;
  group_lookahead* ahead_ = nullptr;
  // Contacts this transaction created (the cache lives as long as the transaction).
  std::vector<std::int64_t> created_contacts_;
  std::vector<inbound_touch> touches_;  // by conversation, in the order first recorded
  std::unordered_map<std::int64_t, std::size_t> touch_of_;
};

std::string event_payload_inbound(const domain::inbound_message& m, std::int64_t id,
                                  const std::string& created_at) {
  json::object p;
  p["messageId"] = id;
  p["wamid"] = m.wamid;
  p["phoneNumberId"] = m.phone_number_id;
  p["displayPhoneNumber"] = m.display_phone_number;
  p["from"] = m.from;
  if (!m.from_user_id.empty()) p["fromUserId"] = m.from_user_id;
  p["profileName"] = m.sender.profile_name;
  p["type"] = m.type;
  p["text"] = m.text;
  p["timestamp"] = m.timestamp;
  p["createdAt"] = created_at;
  if (m.context && !m.context->message_id.empty()) p["replyTo"] = m.context->message_id;
  if (m.media) {
    p["media"] = json::object{{"id", m.media->media_id},
                              {"mimeType", m.media->mime_type},
                              {"sha256", m.media->sha256},
                              {"caption", m.media->caption},
                              {"filename", m.media->filename}};
  }
  if (m.place) {
    p["location"] = json::object{{"latitude", m.place->latitude},
                                 {"longitude", m.place->longitude},
                                 {"name", m.place->name},
                                 {"address", m.place->address}};
  }
  if (m.reacted) {
    p["reaction"] = json::object{{"messageId", m.reacted->message_id}, {"emoji", m.reacted->emoji}};
  }
  return json::serialize(p);
}

std::string event_payload_status(const domain::status_update& s, const status_outcome& o) {
  json::object p;
  p["wamid"] = s.wamid;
  p["status"] = s.status;
  p["timestamp"] = s.timestamp;
  p["phoneNumberId"] = s.phone_number_id;
  p["recipientId"] = s.recipient_id;
  if (!s.recipient_user_id.empty()) p["recipientUserId"] = s.recipient_user_id;
  if (o.known_message) p["messageId"] = o.message_id;
  p["applied"] = o.applied;
  p["currentStatus"] = o.current_status;
  if (!s.errors.empty()) {
    json::array errors;
    for (const auto& e : s.errors) {
      errors.push_back(json::object{
          {"code", e.code}, {"title", e.title}, {"message", e.message}, {"details", e.details}});
    }
    p["errors"] = std::move(errors);
  }
  if (s.pricing) {
    p["pricing"] = json::object{{"billable", s.pricing->billable},
                                {"model", s.pricing->pricing_model},
                                {"category", s.pricing->pricing_category},
                                {"type", s.pricing->pricing_type}};
  }
  return json::serialize(p);
}

// Meta sends ids as numbers or strings depending on the field's age; keep them as text.
std::string json_text(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return {};
  if (it->value().is_string()) return std::string(it->value().as_string());
  if (it->value().is_int64()) return std::to_string(it->value().as_int64());
  if (it->value().is_uint64()) return std::to_string(it->value().as_uint64());
  return {};
}

// A webhook_log note names at most this many skipped statuses one by one, then counts the rest.
constexpr int max_foreign_notes = 8;

// Ids quoted in a note are cut short: they come from the body, whose size is the sender's choice.
std::string clipped(std::string_view id) {
  constexpr std::size_t max = 80;
  return id.size() <= max ? std::string(id) : std::string(id.substr(0, max)) + "...";
}

void add_note(std::string& notes, std::string_view note) {
  if (!notes.empty()) notes += "; ";
  notes += note;
}

// The kinds of template webhook, told apart by what the value carries: Meta's own example of a
// quality update is filed under message_template_status_update.
enum class template_change { none, status, quality, category };

template_change template_change_of(const domain::account_event& e, const json::object& o) {
  if (!json_text(o, "new_quality_score").empty()) return template_change::quality;
  if (e.field == "template_category_update" && !json_text(o, "new_category").empty()) {
    return template_change::category;
  }
  if (e.field == "message_template_status_update" && !json_text(o, "event").empty()) {
    return template_change::status;
  }
  return template_change::none;
}

// Meta's reason code with its words, when it sends them (rejection_info).
std::string rejection_reason(const json::object& o) {
  std::string reason = json_text(o, "reason");
  if (reason == "NONE") reason.clear();
  const json::value* info = o.if_contains("rejection_info");
  if (info && info->is_object()) {
    for (const char* key : {"reason", "recommendation"}) {
      const std::string words = json_text(info->get_object(), key);
      if (words.empty()) continue;
      reason += reason.empty() ? words : (key == std::string_view("reason") ? ": " : " ") + words;
    }
  }
  // A paused (locked) template: Meta's title and description of why, and until when.
  const json::value* other = o.if_contains("other_info");
  if (other && other->is_object()) {
    for (const char* key : {"title", "description"}) {
      const std::string words = json_text(other->get_object(), key);
      if (!words.empty()) reason += (reason.empty() ? "" : ": ") + words;
    }
  }
  const json::value* disabled = o.if_contains("disable_info");
  if (disabled && disabled->is_object()) {
    const std::string date = json_text(disabled->get_object(), "disable_date");
    if (!date.empty()) reason += (reason.empty() ? "disabled on " : "; disabled on ") + date;
  }
  return reason;
}

result<template_change> apply_template_event(database& db, const domain::account_event& e,
                                             const json::object& o, time_point now) {
  template_ref ref{e.waba_id, json_text(o, "message_template_id"),
                   json_text(o, "message_template_name"),
                   json_text(o, "message_template_language")};
  if (ref.name.empty() && ref.meta_template_id.empty()) return template_change::none;
  const template_change kind = template_change_of(e, o);
  switch (kind) {
    case template_change::quality:
      PONS_STORE_CHECK(update_template_quality(db, ref, json_text(o, "new_quality_score"), now));
      break;
    case template_change::category:
      PONS_STORE_CHECK(update_template_category(db, ref, json_text(o, "new_category"), now));
      break;
    case template_change::status:
      PONS_STORE_CHECK(update_template_status(db, e.waba_id, ref.meta_template_id, ref.name,
                                              ref.language, json_text(o, "event"),
                                              rejection_reason(o), now));
      break;
    case template_change::none:
      break;
  }
  return kind;
}

// True when a template status update changes what is stored (an unknown template, or a stored
// one in another status): a redelivered webhook is not forwarded again.
result<bool> template_status_changes(database& db, const domain::account_event& e,
                                     const json::object& o) {
  std::string status = json_text(o, "event");
  if (status.empty()) status = e.event;
  auto st = db.prepare(
      "SELECT count(*), coalesce(sum(CASE WHEN status <> ?4 THEN 1 ELSE 0 END), 0) FROM templates "
      "WHERE waba_id = ?1 AND "
      "(name = ?2 OR (?3 <> '' AND meta_template_id = ?3))");
  if (!st) return detail::bool_error(st.error());
  st->bind_all(e.waba_id, json_text(o, "message_template_name"),
               json_text(o, "message_template_id"), status);
  auto row = st->step();
  if (!row) return detail::bool_error(row.error());
  if (!*row) return true;
  return st->column_int64(0) == 0 || st->column_int64(1) > 0;
}

// A template whose status Meta changed, for the targets of every number (a template belongs to
// the account, not to one number). Each change is its own event (a random id): the same
// transition may legitimately happen twice.
result<void> forward_template_event(database& db, const domain::account_event& e,
                                    const json::object& o, ingest_cache& cache, time_point now) {
  PONS_STORE_TRY(wanted, cache.wants(forward::event_template_status_updated, ""));
  if (!wanted) return {};
  std::string status = json_text(o, "event");
  if (status.empty()) status = e.event;
  const std::string reason = rejection_reason(o);
  json::object payload{{"wabaId", e.waba_id},
                       {"templateId", json_text(o, "message_template_id")},
                       {"name", json_text(o, "message_template_name")},
                       {"language", json_text(o, "message_template_language")},
                       {"status", status},
                       {"reason", reason}};
  const auto ev =
      forward::make_event(forward::event_template_status_updated, "",
                          {.account_id = e.waba_id, .phone_number_id = "", .source = ""}, now,
                          json::serialize(payload));
  PONS_STORE_CHECK(enqueue(db, ev, now));
  return {};
}

// A phone_number_name_update: Meta's decision on a number's display name, kept on the number.
result<void> apply_name_event(database& db, const domain::account_event& e, const json::object& o,
                              time_point now) {
  PONS_STORE_CHECK(record_name_update(
      db, e.waba_id, json_text(o, "display_phone_number"), json_text(o, "decision"),
      json_text(o, "requested_verified_name"), json_text(o, "rejection_reason"), now));
  return {};
}

// An account_update about the account's standing (a violation, a restriction, a ban, a
// deletion): kept on the account and forwarded to targets for every number. Other
// account_update events stay in the webhook log only.
result<void> apply_account_update(database& db, const domain::account_event& e,
                                  const json::object& o, ingest_cache& cache, time_point now) {
  const auto standing = meta::describe_account_update(o);
  if (!standing) return {};
  PONS_STORE_TRY(known,
                 record_account_standing(db, e.waba_id, standing->event, standing->detail, now));
  if (known == 0) return {};
  PONS_STORE_TRY(wanted, cache.wants(forward::event_account_standing_updated, ""));
  if (!wanted) return {};
  json::object payload{{"wabaId", e.waba_id},
                       {"event", standing->event},
                       {"canMessage", standing->can_message},
                       {"detail", standing->detail}};
  const auto ev =
      forward::make_event(forward::event_account_standing_updated, "",
                          {.account_id = e.waba_id, .phone_number_id = "", .source = ""}, now,
                          json::serialize(payload));
  PONS_STORE_CHECK(enqueue(db, ev, now));
  return {};
}

// A phone_number_quality_update: kept on the number it names (by its display number), and
// forwarded to the targets of that number. Meta sends no time in it: each one is its own event.
result<void> apply_quality_event(database& db, const domain::account_event& e,
                                 const json::object& o, ingest_cache& cache, time_point now) {
  const std::string display = json_text(o, "display_phone_number");
  const std::string event = json_text(o, "event");
  const std::string limit = json_text(o, "current_limit");
  PONS_STORE_TRY(pnid, record_quality_update(db, e.waba_id, display, event, limit, now));
  if (pnid.empty()) return {};
  PONS_STORE_TRY(wanted, cache.wants(forward::event_number_quality_updated, pnid));
  if (!wanted) return {};
  json::object payload{{"phoneNumberId", pnid},
                       {"displayPhoneNumber", display},
                       {"event", event},
                       {"currentLimit", limit}};
  const auto ev =
      forward::make_event(forward::event_number_quality_updated, "",
                          {.account_id = e.waba_id, .phone_number_id = pnid, .source = ""}, now,
                          json::serialize(payload));
  PONS_STORE_CHECK(enqueue(db, ev, now));
  return {};
}

// A user_preferences change: each user's marketing preference ("stop" or "resume") for the
// change's number, kept per contact (the contact is stored as its contacts[] entry says).
result<int> apply_preference_event(database& db, const domain::account_event& e,
                                   const json::object& o, ingest_cache& cache, time_point now) {
  if (e.phone_number_id.empty()) return 0;
  const json::value* list = o.if_contains("user_preferences");
  if (!list || !list->is_array()) return 0;
  int applied = 0;
  for (const auto& item : list->as_array()) {
    if (!item.is_object()) continue;
    const auto& o = item.as_object();
    domain::contact who;
    who.wa_id = json_text(o, "wa_id");
    who.user_id = json_text(o, "user_id");
    const std::string value = json_text(o, "value");
    if ((who.wa_id.empty() && who.user_id.empty()) || (value != "stop" && value != "resume")) {
      continue;
    }
    PONS_STORE_TRY(num, cache.resolve(e.phone_number_id, e.waba_id, "", now));
    PONS_STORE_TRY(contact, cache.contact(num.account_id, who, now));
    contact_preference p;
    p.contact_id = contact.id;
    p.phone_number_id = e.phone_number_id;
    p.category = json_text(o, "category");
    if (p.category.empty()) p.category = std::string(marketing_messages);
    p.value = value;
    p.detail = json_text(o, "detail");
    p.source = "user_preferences";
    std::int64_t ts = 0;
    if (const json::value* t = o.if_contains("timestamp")) {
      if (t->is_int64()) ts = t->get_int64();
      if (t->is_string()) ts = std::atoll(std::string(t->get_string()).c_str());
    }
    p.changed_at = ts > 0 ? format_unix_seconds(ts) : format_timestamp(now);
    PONS_STORE_TRY(stored, record_contact_preference(db, p, now));
    if (stored == 0) continue;
    ++applied;
    PONS_STORE_TRY(wanted, cache.wants(forward::event_preferences_updated, e.phone_number_id));
    if (!wanted) continue;
    json::object payload{{"contact", json::object{{"id", contact.id},
                                                  {"waId", contact.wa_id},
                                                  {"userId", contact.user_id},
                                                  {"name", contact.profile_name}}},
                         {"phoneNumberId", p.phone_number_id},
                         {"category", p.category},
                         {"value", p.value},
                         {"detail", p.detail},
                         {"changedAt", p.changed_at}};
    const auto ev = forward::make_event(
        forward::event_preferences_updated,
        fmt::format("pref:{}:{}:{}:{}:{}", contact.id, p.phone_number_id, p.category, p.changed_at,
                    p.value),
        {.account_id = e.waba_id, .phone_number_id = e.phone_number_id, .source = ""},
        occurred_at(ts, now), json::serialize(payload));
    PONS_STORE_CHECK(enqueue(db, ev, now));
  }
  return applied;
}

result<ingest_summary> ingest_one(database& db, const domain::webhook_batch& batch,
                                  const ingest_context& ctx, ingest_cache& cache) {
  ingest_summary sum;
  const time_point now = ctx.received_at;

  // Contacts listed in the payload (also those of statuses-only changes, if any).
  for (std::size_t i = 0; i < batch.contacts.size(); ++i) {
    const auto& c = batch.contacts[i];
    if (c.wa_id.empty() && c.user_id.empty()) continue;
    if (i >= batch.contact_phone_number_ids.size()) break;
    const std::string& pnid = batch.contact_phone_number_ids[i];
    if (pnid.empty()) continue;
    // The WABA of a contact's number comes with its messages; look for one.
    std::string waba, display;
    for (const auto& m : batch.messages) {
      if (m.phone_number_id == pnid) {
        waba = m.waba_id;
        display = m.display_phone_number;
        break;
      }
    }
    PONS_STORE_TRY(num, cache.resolve(pnid, waba, display, now));
    PONS_STORE_CHECK(cache.contact(num.account_id, c, now));
  }

  for (const auto& m : batch.messages) {
    const auto key = domain::idempotency_key(m);
    // A message's wamid is unique in `messages` (messages_wamid, kept for good): that index is
    // its idempotency check, and a processed_events key would be one more b-tree insert per
    // message. Reactions keep their keys (reaction:<wamid>:<emoji>): a change reuses the wamid.
    // Such a message is looked up by the insert itself, after its contact and conversation
    // (which a message stored before already has).
    if (!domain::identified_by_wamid(m) && key) {
      PONS_STORE_TRY(fresh, cache.mark_processed(*key, now));
      if (!fresh) {
        ++sum.duplicates;
        continue;
      }
    }
    PONS_STORE_TRY(num, cache.resolve(m.phone_number_id, m.waba_id, m.display_phone_number, now));
    domain::contact who = m.sender;
    if (who.wa_id.empty()) who.wa_id = m.from;
    if (who.user_id.empty()) who.user_id = m.from_user_id;
    if (who.wa_id.empty() && who.user_id.empty()) who.wa_id = "unknown";
    PONS_STORE_TRY(contact, cache.contact(num.account_id, who, now));
    PONS_STORE_TRY(conversation_id, cache.conversation(m.phone_number_id, contact.id, now));
    PONS_STORE_TRY(stored, cache.store_message(m, contact.id, conversation_id, now));
    if (!stored) {
      ++sum.duplicates;
      continue;
    }
    const message_position& pos = *stored;
    // Meta's timestamp opens the window; without one, the time we received the message does.
    const std::string window = m.timestamp_unix > 0
                                   ? window_expiry_for(m.timestamp_unix)
                                   : format_timestamp(now + std::chrono::hours(24));
    PONS_STORE_CHECK(
        cache.record_inbound(conversation_id, pos.created_at, window,
                             message_preview(m.type, m.text, m.reacted ? m.reacted->emoji : "")));
    if (m.identity) {
      PONS_STORE_CHECK(cache.write_touches());
      PONS_STORE_CHECK(apply_identity_notice(db, num.account_id, contact.id, *m.identity, now));
      cache.forget_people();
    }
    if (m.media && !m.media->media_id.empty()) {
      PONS_STORE_CHECK(queue_media(db, pos.id, m.phone_number_id, *m.media, now));
      ++sum.media_jobs;
    }
    PONS_STORE_TRY(wanted, cache.wants(forward::event_inbound_received, m.phone_number_id));
    if (wanted) {
      const auto ev = forward::make_event(
          forward::event_inbound_received, key ? *key : "row:" + std::to_string(pos.id),
          {.account_id = num.waba_id,
           .phone_number_id = m.phone_number_id,
           .source = ctx.event_source},
          occurred_at(m.timestamp_unix, now), event_payload_inbound(m, pos.id, pos.created_at));
      PONS_STORE_TRY(queued, enqueue(db, ev, now));
      sum.events += queued;
    }
    ++sum.messages_new;
    sum.new_message_ids.push_back(pos.id);
  }

  std::string notes = ctx.notes;
  for (const auto& s : batch.statuses) {
    const auto key = domain::idempotency_key(s);
    if (!key) continue;  // no wamid or no status: nothing to apply it to
    // Whose message it is decides before the key is used up: a status signed for another number
    // must not make the owner's own report of the same status look like a redelivery.
    PONS_STORE_TRY(target, cache.target_of(s.wamid));
    if (foreign_status(target, s.phone_number_id)) {
      if (sum.statuses_foreign++ < max_foreign_notes)
        add_note(notes, "status " + clipped(s.status) + " for " + clipped(s.wamid) +
                            ": that message belongs to another number; not applied");
      continue;
    }
    PONS_STORE_TRY(fresh, cache.mark_processed(*key, now));
    if (!fresh) {
      ++sum.duplicates;
      continue;
    }
    PONS_STORE_TRY(outcome, cache.apply_status(s, target, now));
    ++sum.statuses_recorded;
    if (outcome.applied) ++sum.statuses_applied;
    PONS_STORE_TRY(wanted, cache.wants(forward::event_status_updated, s.phone_number_id));
    if (wanted) {
      const auto ev =
          forward::make_event(forward::event_status_updated, *key,
                              {.account_id = s.waba_id,
                               .phone_number_id = s.phone_number_id,
                               .source = ctx.event_source},
                              occurred_at(s.timestamp_unix, now), event_payload_status(s, outcome));
      PONS_STORE_TRY(queued, enqueue(db, ev, now));
      sum.events += queued;
    }
  }

  for (const auto& e : batch.events) {
    const bool about_templates =
        e.field == "message_template_status_update" || e.field == "template_category_update";
    if (!about_templates && e.field != "user_preferences" &&
        e.field != "phone_number_quality_update" && e.field != "phone_number_name_update" &&
        e.field != "account_update") {
      continue;  // kept in the webhook log only
    }
    // Each value is parsed once, for whichever of the steps below use it.
    boost::system::error_code ec;
    const json::value v = json::parse(e.value_json, ec);
    if (ec || !v.is_object()) continue;
    const json::object& o = v.get_object();
    if (e.field == "user_preferences") {
      PONS_STORE_CHECK(apply_preference_event(db, e, o, cache, now));
    } else if (e.field == "phone_number_quality_update") {
      PONS_STORE_CHECK(apply_quality_event(db, e, o, cache, now));
    } else if (e.field == "phone_number_name_update") {
      PONS_STORE_CHECK(apply_name_event(db, e, o, now));
    } else if (e.field == "account_update") {
      PONS_STORE_CHECK(apply_account_update(db, e, o, cache, now));
    } else {
      PONS_STORE_TRY(changes, template_status_changes(db, e, o));
      PONS_STORE_TRY(kind, apply_template_event(db, e, o, now));
      if (kind == template_change::none) continue;
      ++sum.templates;
      if (kind == template_change::status && changes) {
        PONS_STORE_CHECK(forward_template_event(db, e, o, cache, now));
      }
    }
  }

  webhook_log_entry log;
  log.received_at = format_timestamp(now);
  log.request_id = ctx.request_id;
  log.phone_number_id = !ctx.phone_number_id.empty()     ? ctx.phone_number_id
                        : batch.phone_number_ids.empty() ? std::string()
                                                         : batch.phone_number_ids.front();
  log.signature = ctx.signature;
  log.http_status = ctx.http_status;
  log.messages = sum.messages_new;
  log.statuses = sum.statuses_recorded;
  log.duplicates = sum.duplicates;
  log.body = ctx.redacted_body;
  if (sum.statuses_foreign > max_foreign_notes)
    add_note(notes, std::to_string(sum.statuses_foreign - max_foreign_notes) +
                        " more statuses for messages of another number; not applied");
  log.notes = std::move(notes);
  PONS_STORE_CHECK(insert_webhook_log(db, log));
  return sum;
}

}  // namespace

result<ingest_summary> ingest_batch(database& db, const domain::webhook_batch& batch,
                                    const ingest_context& context) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  if (!batch.messages.empty()) PONS_STORE_CHECK(hold_message_order(db));
  ingest_memo::state local;
  ingest_cache cache(db, local);
  PONS_STORE_TRY(sum, ingest_one(db, batch, context, cache));
  PONS_STORE_CHECK(scope.commit());
  return std::move(sum);
}

namespace {

// How often a request, or a whole group, is written again after losing a race to another
// writer: on PostgreSQL shared by several instances, a unique index that another instance's
// commit filled meanwhile, or a deadlock between two groups. SQLite has one writer at a time;
// there such an error is the request's own and comes back the same.
constexpr int max_lost_races = 3;

// Runs once the group holds the write lock (see ingest_batches: the memo's validity check).
using after_begin_fn = std::function<result<void>()>;

// The results of a group, one per request.
using group_results = std::vector<result<ingest_summary>>;

// What a group will ask: the wamids of its messages and of the messages its statuses name, the
// keys of its reactions and statuses, one id for each of its messages, and the people (by phone
// alone: a sender with a user id is asked about as it comes) that `state` does not remember.
lookahead_request lookahead_for(std::span<const ingest_request> requests,
                                const ingest_memo::state& state) {
  lookahead_request wanted;
  std::set<std::pair<std::string_view, std::string_view>> people;
  auto ask_about = [&](std::string_view phone_number_id, std::string_view wa_id,
                       std::string_view user_id) {
    if (wa_id.empty() || !user_id.empty()) return;
    auto number = state.known.find(phone_number_id);
    if (number != state.known.end() &&
        state.contacts.count(contact_memo_key(number->second.account_id, wa_id, ""))) {
      return;
    }
    if (people.emplace(phone_number_id, wa_id).second)
      wanted.senders.push_back({phone_number_id, wa_id});
  };
  for (const auto& req : requests) {
    if (!req.batch) continue;
    const auto& contacts = req.batch->contacts;
    for (std::size_t i = 0; i < contacts.size() && i < req.batch->contact_phone_number_ids.size();
         ++i) {
      ask_about(req.batch->contact_phone_number_ids[i], contacts[i].wa_id, contacts[i].user_id);
    }
    for (const auto& m : req.batch->messages) {
      ++wanted.new_messages;
      ask_about(m.phone_number_id, !m.sender.wa_id.empty() ? m.sender.wa_id : m.from,
                !m.sender.user_id.empty() ? m.sender.user_id : m.from_user_id);
      if (!m.wamid.empty()) {
        wanted.wamids.push_back(m.wamid);
        wanted.message_wamids.push_back(m.wamid);
      }
      if (!domain::identified_by_wamid(m)) {
        if (auto key = domain::idempotency_key(m)) wanted.keys.push_back(std::move(*key));
      }
    }
    for (const auto& st : req.batch->statuses) {
      if (st.wamid.empty()) continue;
      wanted.wamids.push_back(st.wamid);
      if (auto key = domain::idempotency_key(st)) wanted.keys.push_back(std::move(*key));
    }
  }
  return wanted;
}

// Writes a group in one transaction. With `savepoints`, each request runs in its own SAVEPOINT,
// so one that fails is rolled back alone and reported in its slot. Without, the first failure
// rolls the whole group back and the answer is nullopt: the caller writes it again with
// savepoints (two statements per request that almost every group does without).
result<std::optional<group_results>> write_group(database& db,
                                                 std::span<const ingest_request> requests,
                                                 ingest_memo::state& state,
                                                 const after_begin_fn& after_begin,
                                                 bool savepoints) {
  PONS_STORE_TRY(scope, detail::write_scope::begin(db));
  // Writes whose results are not read travel with the next statement that waits (PostgreSQL's
  // pipeline mode): a failure among them then fails that statement, which only the whole group
  // may do. With savepoints, where each request's failure must stay its own, nothing waits.
  std::optional<store::write_deferral> deferral;
  if (!savepoints) deferral.emplace(db);
  // First, before any row is locked (see hold_message_order), and queued with the group's first
  // statement; a group of statuses alone inserts no message and need not wait for one that does.
  if (std::any_of(requests.begin(), requests.end(),
                  [](const ingest_request& r) { return r.batch && !r.batch->messages.empty(); })) {
    PONS_STORE_CHECK(hold_message_order(db));
  }
  if (after_begin) PONS_STORE_CHECK(after_begin());
  PONS_STORE_TRY(fts, search_index_deferral::begin(db));
  group_results out;
  out.reserve(requests.size());
  ingest_cache cache(db, state);
  // Without savepoints, the group's messages, statuses and keys are looked up in one statement
  // first, and their inserts queued rather than waited for. A request written again alone (with
  // savepoints) asks as it goes: the lookahead would not see what it rolled back.
  std::optional<group_lookahead> ahead;
  if (!savepoints) {
    auto fetched = group_lookahead::fetch(db, lookahead_for(requests, state));
    // A value the server cannot take (a NUL in a wamid or name) fails the whole statement: the
    // group is written request by request, where the failure is that request's own.
    if (!fetched) {
      if (fetched.error() == store_errc::unavailable) return fetched.error();
      return std::optional<group_results>();
    }
    ahead.emplace(std::move(*fetched));
    cache.look_ahead(&*ahead);
  }
  for (const auto& req : requests) {
    if (!req.batch || !req.context) {
      out.emplace_back(boost::system::in_place_error,
                       make_error_code(store_errc::invalid_argument));
      continue;
    }
    if (savepoints) PONS_STORE_CHECK(db.exec("SAVEPOINT ingest_one"));
    auto sum = ingest_one(db, *req.batch, *req.context, cache);
    // Another instance on the same PostgreSQL database may have been writing the same message
    // or contact: the unique index made this write wait for that one's commit and then refused
    // it. Written again, the request finds the row and stores nothing twice.
    for (int lost = 0;
         savepoints && !sum && sum.error() == store_errc::constraint && lost < max_lost_races;
         ++lost) {
      cache.clear();
      PONS_STORE_CHECK(db.exec("ROLLBACK TO ingest_one"));
      sum = ingest_one(db, *req.batch, *req.context, cache);
    }
    if (!sum) {
      cache.clear();  // what it cached may have been rolled back with it
      if (!savepoints) return std::optional<group_results>();  // the scope rolls back
      // A deadlock with another instance's group: rolling this request back does not release
      // the rows the requests before it hold, so the whole group gives way (the scope rolls
      // back) and is written again.
      if (sum.error() == store_errc::busy) return sum.error();
      PONS_STORE_CHECK(db.exec("ROLLBACK TO ingest_one; RELEASE ingest_one"));
    } else if (savepoints) {
      PONS_STORE_CHECK(db.exec("RELEASE ingest_one"));
    }
    out.push_back(std::move(sum));
  }
  // A queued write that failed shows here at the latest: without savepoints, the group is then
  // written again request by request, as for a failure the requests saw themselves (a wamid or a
  // key that another instance committed since the lookahead is such a failure).
  auto finished = cache.write_touches();
  if (finished) finished = fts.finish();
  if (finished) finished = scope.commit();
  if (!finished) {
    cache.clear();
    if (!savepoints && finished.error() != store_errc::unavailable)
      return std::optional<group_results>();
    return finished.error();
  }
  return std::optional<group_results>(std::move(out));
}

// Who a request is about, for ordering a group: the number and the person of its first message,
// or else of its first status.
std::pair<std::string_view, std::string_view> conversation_key(const ingest_request& r) {
  if (!r.batch) return {};
  if (!r.batch->messages.empty()) {
    const auto& m = r.batch->messages.front();
    return {m.phone_number_id, m.from};
  }
  if (!r.batch->statuses.empty()) {
    const auto& st = r.batch->statuses.front();
    return {st.phone_number_id, st.recipient_id};
  }
  return {};
}

// The order a PostgreSQL group is written in, as indexes into `requests`. Another instance's
// group may be writing the same rows (a redelivery that reached both, a conversation both
// update), each waiting for the other's row locks: taken in arrival order, two groups can take
// them crosswise and deadlock, and the server breaks that only after its deadlock_timeout (a
// second by default), with the webhooks of both groups waiting. Both instances writing each
// group by conversation take them in the same order. A stable sort keeps one conversation's
// requests in the order they came. (SQLite has one writer: arrival order.)
std::vector<std::size_t> conversation_order(std::span<const ingest_request> requests) {
  std::vector<std::size_t> order(requests.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return conversation_key(requests[a]) < conversation_key(requests[b]);
  });
  return order;
}

}  // namespace

result<std::vector<result<ingest_summary>>> ingest_batches(database& db,
                                                           std::span<const ingest_request> requests,
                                                           ingest_memo* memo) {
  // Inside a caller's transaction nothing is remembered (the caller may still roll it back), and
  // each request gets its savepoint.
  ingest_memo::state local;
  if (db.in_transaction()) {
    PONS_STORE_TRY(isolated, write_group(db, requests, local, {}, true));
    return std::move(*isolated);
  }
  ingest_memo::state& state = memo ? *memo->state_ : local;
  std::vector<std::size_t> order;  // empty: arrival order
  std::vector<ingest_request> ordered;
  if (db.kind() == backend::postgresql && requests.size() > 1) {
    order = conversation_order(requests);
    ordered.reserve(order.size());
    for (auto i : order) ordered.push_back(requests[i]);
    requests = ordered;
  }
  // The memo holds until another connection changes what it remembers. Checked once the
  // transaction has begun (on SQLite, once the write lock is held, so no other commit can come
  // between the check and the group).
  after_begin_fn check_memo;
  if (memo && memo->data_version_ < 0) {
    // The first look starts PostgreSQL's LISTEN. Inside the transaction it would hold only from
    // the commit, which would then count as a change, and the memo filled by the first group
    // would be forgotten at the second.
    PONS_STORE_CHECK(db.topic_version(lookup_changes_topic));
  }
  if (memo) {
    check_memo = [&db, memo, &state]() -> result<void> {
      PONS_STORE_TRY(version, db.topic_version(lookup_changes_topic));
      if (version != memo->data_version_ || memo->size() > 2 * memo->max_entries_) {
        state.clear();
        memo->data_version_ = version;
      }
      return {};
    };
  }
  // Almost every group succeeds whole: first without savepoints, and only when a request fails
  // is the group written again with one per request, so the failure stays its own.
  bool clean = true;
  for (const auto& req : requests) clean = clean && req.batch && req.context;
  auto written = clean ? write_group(db, requests, state, check_memo, false)
                       : result<std::optional<group_results>>(std::optional<group_results>());
  if (written && !*written) {
    if (memo && clean) ++memo->written_again_;
    written = write_group(db, requests, state, check_memo, true);
  }
  for (int lost = 0; !written && written.error() == store_errc::busy && lost < max_lost_races;
       ++lost) {
    state.clear();
    written = write_group(db, requests, state, check_memo, true);
  }
  if (!written) {
    state.clear();  // what a rolled-back write cached may not exist any more
    return written.error();
  }
  if (order.empty()) return std::move(**written);
  group_results in_arrival_order(order.size(), result<ingest_summary>(ingest_summary{}));
  for (std::size_t i = 0; i < order.size(); ++i)
    in_arrival_order[order[i]] = std::move((**written)[i]);
  return in_arrival_order;
}

}  // namespace pons::webhook
