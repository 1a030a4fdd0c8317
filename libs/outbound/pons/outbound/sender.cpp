#include "pons/outbound/sender.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <thread>

#include "pons/domain/phone.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/store/contact_preferences.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/send_pacing.hpp"
#include "pons/store/status_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::outbound {

namespace json = boost::json;

namespace {

constexpr std::string_view dry_run_title = "dry run";

// The recipient key used for pacing and window lookups.
std::string recipient_key(const meta::recipient& r) {
  return !r.wa_id.empty() ? r.wa_id : r.user_id;
}

// The shared pacing bucket of a business number, and its limits.
std::string number_bucket(std::string_view phone_number_id) {
  return fmt::format("number:{}", phone_number_id);
}
store::bucket_limits number_limits(const meta::pacing_config& config) {
  return {config.number_rate, config.number_burst};
}

// What the store keeps of an outgoing message (type, searchable text, media, place...).
store::outbound_message to_store_row(const send_request& req, const json::object& body) {
  store::outbound_message row;
  row.phone_number_id = req.phone_number_id;
  row.waba_id = req.waba_id;
  row.to.wa_id = req.message.to.wa_id;
  row.to.user_id = req.message.to.user_id;
  row.type = std::string(meta::message_type(req.message.content));
  row.text = meta::preview_text(req.message.content);
  row.reply_to = req.message.reply_to;
  row.idempotency_key = req.idempotency_key;
  row.raw_json = json::serialize(body);
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, meta::media_message>) {
          domain::media_ref media;
          media.media_id = c.id;
          media.url = c.link;
          media.caption = c.caption;
          media.filename = c.filename;
          media.voice = c.voice;
          row.media = media;
        } else if constexpr (std::is_same_v<T, meta::location_message>) {
          row.place = domain::location{c.latitude, c.longitude, c.name, c.address, ""};
        } else if constexpr (std::is_same_v<T, meta::reaction_message>) {
          row.reacted = domain::reaction{c.message_id, c.emoji};
        }
      },
      req.message.content);
  return row;
}

std::string event_payload(const store::message_record& m, std::string_view status,
                          const domain::meta_error_detail* error) {
  json::object p;
  p["messageId"] = m.id;
  if (!m.wamid.empty()) p["wamid"] = m.wamid;
  p["phoneNumberId"] = m.phone_number_id;
  p["to"] = m.contact_wa_id;
  if (!m.contact_user_id.empty()) p["toUserId"] = m.contact_user_id;
  p["type"] = m.type;
  p["text"] = m.text;
  p["status"] = status;
  p["createdAt"] = m.created_at;
  if (!m.reply_to.empty()) p["replyTo"] = m.reply_to;
  if (error) {
    p["error"] =
        json::object{{"code", error->code}, {"title", error->title}, {"details", error->details}};
  }
  return json::serialize(p);
}

// What a send whose idempotency key was used before reports: the first send's result.
send_outcome replayed_outcome(const store::message_record& m) {
  send_outcome out;
  out.replayed = true;
  out.message_id = m.id;
  out.wamid = m.wamid;
  out.status = m.status;
  out.error_code = m.error_code;
  if (m.status == "failed" && m.error_title == dry_run_title) {
    out.state = send_state::dry_run;
    out.explanation = "Dry run: the message was validated and recorded, not sent.";
  } else if (m.status == "failed") {
    out.state = send_state::failed;
    out.explanation =
        fmt::format("The message failed: {} ({}). {}", m.error_title,
                    m.error_code ? std::to_string(*m.error_code) : "no code", m.error_details);
  } else if (m.status == "pending") {
    out.state = send_state::sent;
    out.explanation = "The first send with this idempotency key is still in progress.";
  } else {
    out.state = send_state::sent;
    out.explanation = fmt::format("Already sent with this idempotency key (status {}).", m.status);
  }
  return out;
}

meta::graph_error storage_error(boost::system::error_code ec) {
  return meta::graph_error{ec, std::nullopt, 0};
}

send_outcome refused(meta::graph_error error, std::string explanation) {
  send_outcome out;
  out.state = send_state::invalid;
  out.error = std::move(error);
  out.explanation = std::move(explanation);
  return out;
}

// The request's Graph body, or the outcome refusing the request.
using checked_body = boost::system::result<json::object, send_outcome>;

// Puts the recipient in Meta's form and builds the body within Meta's limits: what Meta would
// refuse on its face is refused before anything is written.
checked_body validate(meta::outgoing_message& message) {
  if (!message.to.wa_id.empty()) {
    auto wa_id = domain::to_meta_format(message.to.wa_id);
    if (!wa_id) {
      // The phone messages are whole sentences, ending with their own period.
      return refused({wa_id.error(), std::nullopt, 0},
                     fmt::format("Not sent: {}", wa_id.error().message()));
    }
    message.to.wa_id = *wa_id;
  }
  auto body = meta::build_message(message);
  if (!body) {
    meta::graph_error error{body.error(), std::nullopt, 0};
    auto explanation = error.explain();
    return refused(std::move(error), std::move(explanation));
  }
  return std::move(*body);
}

send_outcome window_closed(std::vector<store::template_record> templates,
                           std::string_view window_expires_at) {
  send_outcome out;
  out.state = send_state::window_closed;
  out.error_code = 131047;
  auto meta = domain::meta_error_from_code(131047, 400);
  out.error = meta::graph_error{meta.error_code(), meta, 0};
  out.templates = std::move(templates);
  out.explanation = window_closed_explanation(out.templates, window_expires_at);
  return out;
}

// What the row keeps of a refusal. Without an answer from Meta the message may or may not have
// gone out, and the details say so.
domain::meta_error_detail failure_detail(const meta::graph_error& error) {
  domain::meta_error_detail detail;
  if (error.meta) {
    detail.code = error.meta->meta_code;
    detail.title = std::string(error.meta->title());
    detail.message = error.meta->message;
    detail.details = !error.meta->details.empty() ? error.meta->details : error.meta->message;
  } else {
    detail.code = 0;
    detail.title = "network error";
    detail.details =
        error.explain() +
        " Meta may still have accepted it: check for a status update before resending.";
  }
  return detail;
}

forward::event_origin origin_of(const send_request& req) {
  return {.account_id = req.waba_id, .phone_number_id = req.phone_number_id};
}

// The distinct placeholders of a template text, in order of first appearance ("1", "name"...).
std::vector<std::string> placeholders(std::string_view text) {
  std::vector<std::string> out;
  for (auto pos = text.find("{{"); pos != std::string_view::npos; pos = text.find("{{", pos)) {
    auto end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) break;
    std::string name(text.substr(pos + 2, end - pos - 2));
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    pos = end + 2;
  }
  return out;
}

}  // namespace

std::string check_template_message(const store::template_record& tpl,
                                   const meta::template_message& msg) {
  if (tpl.status != "APPROVED") {
    return fmt::format("Template '{}' ({}) is {}, not APPROVED: Meta will refuse it.", tpl.name,
                       tpl.language, tpl.status.empty() ? "of unknown status" : tpl.status);
  }
  boost::system::error_code ec;
  auto components = json::parse(tpl.components_json, ec);
  if (ec || !components.is_array()) return {};  // nothing to check against
  for (const auto& c : components.get_array()) {
    const auto* o = c.if_object();
    if (!o) continue;
    const auto* type = o->if_contains("type");
    const auto* text = o->if_contains("text");
    if (!type || !type->is_string() || !text || !text->is_string()) continue;
    std::string kind(type->get_string());
    for (auto& ch : kind) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (kind != "body" && kind != "header") continue;
    auto expected = placeholders(text->get_string());
    const meta::template_component* given = nullptr;
    for (const auto& g : msg.components) {
      if (g.type == kind) given = &g;
    }
    std::vector<const meta::template_parameter*> texts;
    if (given) {
      for (const auto& p : given->parameters) texts.push_back(&p);
    }
    // Header media parameters (image, video, document) are not text placeholders.
    if (kind == "header" && expected.empty()) continue;
    if (texts.size() != expected.size()) {
      std::string names;
      for (const auto& e : expected) names += (names.empty() ? "" : ", ") + ("{{" + e + "}}");
      return fmt::format("Template '{}' expects {} {} parameter(s) ({}), the message has {}.",
                         tpl.name, expected.size(), kind, names.empty() ? "none" : names,
                         texts.size());
    }
    if (tpl.parameter_format == "NAMED") {
      for (const auto* p : texts) {
        if (std::find(expected.begin(), expected.end(), p->name) == expected.end()) {
          std::string names;
          for (const auto& e : expected) names += (names.empty() ? "" : ", ") + e;
          return fmt::format("Template '{}' has named {} parameters ({}); '{}' is not one of them.",
                             tpl.name, kind, names, p->name);
        }
      }
    }
  }
  return {};
}

std::string window_closed_explanation(const std::vector<store::template_record>& templates,
                                      std::string_view window_expires_at) {
  std::string out = fmt::format(
      "Not sent: the 24-hour customer service window is closed ({}). Outside the window only "
      "an approved template can be sent, with send_template.",
      window_expires_at.empty() ? "the contact has never written to this number"
                                : fmt::format("it closed at {}", window_expires_at));
  if (templates.empty()) {
    out +=
        " No approved template of this account is stored here: call sync_templates to fetch "
        "the account's templates from Meta (list_templates shows them and when they were last "
        "synced). If Meta has none approved either, the user must create one in WhatsApp "
        "Manager and wait for Meta's approval.";
  } else {
    out += " Approved templates:";
    for (const auto& t : templates) {
      out += fmt::format(" {} ({}, {})", t.name, t.language, t.category);
      if (&t != &templates.back()) out += ";";
    }
    out += ".";
  }
  return out;
}

outbound_sender::outbound_sender(store::database& db, meta::graph_client& graph,
                                 meta::send_pacer& pacer, outbound_config config, clock_fn now,
                                 sleep_fn sleep)
    : db_(db),
      graph_(graph),
      pacer_(pacer),
      config_(config),
      now_(std::move(now)),
      sleep_(std::move(sleep)) {
  if (!now_) now_ = [] { return std::chrono::system_clock::now(); };
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

store::result<send_outcome> outbound_sender::send(const send_request& input) {
  send_request req = input;
  auto body = validate(req.message);
  if (!body) return body.error();

  // A check that ends the send returns its outcome, or the storage error it met.
  const auto ended = [](check_result r) -> store::result<send_outcome> {
    if (!r) return r.error();
    return std::move(**r);
  };
  if (auto r = check_template(req); !r || *r) return ended(std::move(r));
  if (auto r = find_replay(req.idempotency_key); !r || *r) return ended(std::move(r));
  const auto now = now_();
  if (auto r = check_window(req, now); !r || *r) return ended(std::move(r));

  const bool dry_run = config_.dry_run || req.dry_run;
  auto reserved = reserve_pending(req, *body, now, !dry_run);
  if (!reserved) return reserved.error();
  if (reserved->replay) return std::move(*reserved->replay);
  const auto row_id = reserved->row_id;
  if (dry_run) return record_dry_run(req, row_id);

  // Wait for our turn rather than collect 130429/131056 from Meta.
  const auto wait = std::max(reserved->number_wait,
                             pacer_.reserve(req.phone_number_id, recipient_key(req.message.to),
                                            std::chrono::steady_clock::now()));
  if (wait > config_.max_queue_wait) return give_up_turn(req, row_id, wait);
  if (wait.count() > 0) sleep_(wait);

  auto sent = graph_.send_body(req.phone_number_id, *body);
  if (!sent) return record_refusal(req, row_id, sent.error(), wait);
  return record_sent(req, row_id, sent->wamid, wait);
}

// With a synced copy of the template, a template that is not approved or parameters that do not
// fit are refused before Meta is called; without one, Meta decides.
auto outbound_sender::check_template(const send_request& req) -> check_result {
  const auto* tpl = std::get_if<meta::template_message>(&req.message.content);
  if (!tpl) return std::nullopt;
  auto synced = store::find_template(db_, req.waba_id, tpl->name, tpl->language);
  if (!synced) return synced.error();
  if (!*synced) return std::nullopt;
  auto problem = check_template_message(**synced, *tpl);
  if (problem.empty()) {
    if (auto r = check_phone_needed(req, **synced); !r || *r) return r;
    return check_marketing_preference(req, **synced);
  }
  auto meta = domain::meta_error_from_code(132000, 400);
  meta.details = problem;
  return refused({meta.error_code(), meta, 0}, "Not sent: " + problem);
}

// Authentication templates (one-tap, zero-tap, copy code) need the user's phone number: Meta
// refuses them to a business-scoped user id (131062).
auto outbound_sender::check_phone_needed(const send_request& req, const store::template_record& tpl)
    -> check_result {
  if (tpl.category != "AUTHENTICATION" || !req.message.to.wa_id.empty()) return std::nullopt;
  auto meta = domain::meta_error_from_code(131062, 400);
  meta.details =
      "Authentication templates need the user's phone number; only a business-scoped "
      "user id is known";
  return refused(
      {meta.error_code(), meta, 0},
      fmt::format("Not sent: {} is an authentication template, and Meta sends those only to a "
                  "phone number, while this contact is known only by their business-scoped user "
                  "id ({}; they use a WhatsApp username). Meta would refuse it (131062). Ask the "
                  "user for their phone number (for example a template with a request-contact-info "
                  "button), or verify them another way.",
                  tpl.name, req.message.to.user_id));
}

// A marketing template to someone who stopped marketing messages from this number would be
// refused by Meta (131050) and counts against the number's quality: refuse it here.
auto outbound_sender::check_marketing_preference(const send_request& req,
                                                 const store::template_record& tpl)
    -> check_result {
  if (tpl.category != "MARKETING") return std::nullopt;
  auto contacts = store::find_contacts(db_, recipient_key(req.message.to));
  if (!contacts) return contacts.error();
  for (const auto& c : *contacts) {
    auto pref =
        store::find_contact_preference(db_, c.id, req.phone_number_id, store::marketing_messages);
    if (!pref) return pref.error();
    if (!*pref || (*pref)->value != "stop") continue;
    auto meta = domain::meta_error_from_code(store::marketing_opted_out_code, 400);
    meta.details = fmt::format("The contact stopped marketing messages from this number on {}",
                               (*pref)->changed_at);
    return refused(
        {meta.error_code(), meta, 0},
        fmt::format("Not sent: this contact stopped marketing messages from this number ({}, {}), "
                    "and {} is a marketing template. Meta would refuse it (131050). Send a "
                    "utility template or, inside the 24-hour window, a normal message; marketing "
                    "templates reach them again only once they resume marketing messages in "
                    "WhatsApp.",
                    (*pref)->changed_at,
                    (*pref)->source == "user_preferences" ? "they told WhatsApp"
                                                          : "an earlier send failed with 131050",
                    tpl.name));
  }
  return std::nullopt;
}

// The same idempotency key returns the first result instead of sending again.
auto outbound_sender::find_replay(std::string_view idempotency_key) -> check_result {
  if (idempotency_key.empty()) return std::nullopt;
  auto existing = store::find_message_by_idempotency_key(db_, idempotency_key);
  if (!existing) return existing.error();
  if (!*existing) return std::nullopt;
  return replayed_outcome(**existing);
}

// Meta refuses a free-form message outside the 24-hour window (131047): say so before trying,
// with the templates that may be sent instead.
auto outbound_sender::check_window(const send_request& req,
                                   std::chrono::system_clock::time_point now) -> check_result {
  if (!config_.enforce_window || !meta::is_free_form(req.message.content)) return std::nullopt;
  // The recipient may be a contact of several accounts; any conversation with this number counts.
  std::string expires;
  auto contacts = store::find_contacts(db_, recipient_key(req.message.to));
  if (!contacts) return contacts.error();
  for (const auto& c : *contacts) {
    auto conv = store::find_conversation(db_, req.phone_number_id, c.id);
    if (!conv) return conv.error();
    if (*conv && !(*conv)->window_expires_at.empty()) {
      expires = std::max(expires, (*conv)->window_expires_at);
    }
  }
  if (!expires.empty() && expires > store::format_timestamp(now)) return std::nullopt;
  auto templates = store::list_templates(db_, req.waba_id, "APPROVED");
  if (!templates) return templates.error();
  return window_closed(std::move(*templates), expires);
}

// The row is written before Meta is called, so that a crash or a second caller with the same key
// finds the send instead of making it again. The number's turn is taken in the same commit: every
// process sending from this database shares that pace, and a send that was never recorded holds
// no turn.
auto outbound_sender::reserve_pending(const send_request& req, const json::object& body,
                                      std::chrono::system_clock::time_point now, bool takes_turn)
    -> store::result<reservation> {
  auto tx = store::transaction::begin(db_, store::transaction_mode::immediate);
  if (!tx) return tx.error();
  auto inserted = store::insert_outbound_pending(db_, to_store_row(req, body), now);
  if (!inserted) return inserted.error();
  if (!inserted->created && inserted->existing) {
    // Another thread or process used the key between our lookup and the insert.
    return reservation{0, replayed_outcome(*inserted->existing), {}};
  }
  reservation out{inserted->position.id, std::nullopt, {}};
  if (takes_turn) {
    auto wait = store::reserve_shared_turn(db_, number_bucket(req.phone_number_id),
                                           number_limits(pacer_.config()), now);
    if (!wait) return wait.error();
    out.number_wait = *wait;
  }
  if (auto committed = tx->commit(); !committed) return committed.error();
  return out;
}

// A dry run keeps its row, failed under its own title (which a replay of its key recognises), so
// that it is never counted as sent.
store::result<send_outcome> outbound_sender::record_dry_run(const send_request& req,
                                                            std::int64_t row_id) {
  const domain::meta_error_detail detail{0, std::string(dry_run_title), "dry run",
                                         "validated and recorded, not sent (dry-run mode)", ""};
  if (auto r = record_failed(req, row_id, detail); !r) return r.error();
  send_outcome out;
  out.state = send_state::dry_run;
  out.message_id = row_id;
  out.status = "failed";
  out.explanation = "Dry run: the message was validated and recorded, not sent.";
  return out;
}

// A turn further away than the longest wait fails the send now, as Meta's 131056 would, and
// gives the reservation back so that it does not delay the sends behind it.
store::result<send_outcome> outbound_sender::give_up_turn(const send_request& req,
                                                          std::int64_t row_id,
                                                          std::chrono::milliseconds wait) {
  pacer_.release(req.phone_number_id, recipient_key(req.message.to));
  // Not giving the number's turn back only delays the next send by one turn: the send still
  // fails as it should.
  (void)store::release_shared_turn(db_, number_bucket(req.phone_number_id));
  auto meta = domain::meta_error_from_code(131056, 400);
  meta.details = fmt::format(
      "Pons paced this send: the next slot for this recipient is in {} s, longer than the {} s "
      "it waits. Try again later.",
      (wait.count() + 999) / 1000, config_.max_queue_wait.count() / 1000);
  const domain::meta_error_detail detail{131056, std::string(meta.title()), meta.message,
                                         meta.details, ""};
  if (auto r = record_failed(req, row_id, detail); !r) return r.error();
  send_outcome out;
  out.state = send_state::failed;
  out.message_id = row_id;
  out.status = "failed";
  out.error_code = 131056;
  out.error = meta::graph_error{meta.error_code(), meta, 0};
  out.explanation = meta.explain();
  return out;
}

// The row and its forwarded event change in one transaction, so a target hears of exactly the
// sends the database holds.
store::result<send_outcome> outbound_sender::record_sent(const send_request& req,
                                                         std::int64_t row_id,
                                                         const std::string& wamid,
                                                         std::chrono::milliseconds waited) {
  send_outcome out;
  out.message_id = row_id;
  out.waited = waited;
  auto tx = store::transaction::begin(db_);
  if (!tx) return tx.error();
  if (auto r = store::mark_outbound_sent(db_, row_id, wamid, now_()); !r) return r.error();
  auto row = store::get_message(db_, row_id);
  if (!row) return row.error();
  if (*row) {
    const auto ev =
        forward::make_event(forward::event_outbound_sent, fmt::format("out:{}:sent", row_id),
                            origin_of(req), now_(), event_payload(**row, "sent", nullptr));
    if (auto r = forward::enqueue_event(db_, ev, now_()); !r) return r.error();
    out.status = (*row)->status;
  }
  if (auto r = tx->commit(); !r) return r.error();
  out.state = send_state::sent;
  out.wamid = wamid;
  out.explanation = fmt::format("Sent (wamid {}).", wamid);
  return out;
}

store::result<send_outcome> outbound_sender::record_refusal(const send_request& req,
                                                            std::int64_t row_id,
                                                            const meta::graph_error& error,
                                                            std::chrono::milliseconds waited) {
  if (auto r = record_failed(req, row_id, failure_detail(error)); !r) return r.error();
  // Meta says the user stopped marketing messages: the next marketing template is refused here.
  if (error.meta && error.meta->meta_code == store::marketing_opted_out_code) {
    if (auto r = store::record_opt_out(db_, row_id, 0, now_()); !r) return r.error();
  }
  send_outcome out;
  out.state = send_state::failed;
  out.message_id = row_id;
  out.status = "failed";
  if (error.meta) out.error_code = error.meta->meta_code;
  out.error = error;
  out.explanation = error.explain();
  out.waited = waited;
  return out;
}

store::result<void> outbound_sender::record_failed(const send_request& req, std::int64_t row_id,
                                                   const domain::meta_error_detail& detail) {
  auto tx = store::transaction::begin(db_);
  if (!tx) return tx.error();
  if (auto r = store::mark_outbound_failed(db_, row_id, detail, now_()); !r) return r.error();
  auto row = store::get_message(db_, row_id);
  if (!row) return row.error();
  // A dry run reached no one: a target has nothing to hear about it.
  if (*row && detail.title != dry_run_title) {
    const auto ev =
        forward::make_event(forward::event_outbound_failed, fmt::format("out:{}:failed", row_id),
                            origin_of(req), now_(), event_payload(**row, "failed", &detail));
    if (auto r = forward::enqueue_event(db_, ev, now_()); !r) return r.error();
  }
  return tx->commit();
}

meta::graph_result<void> outbound_sender::mark_read(std::string_view phone_number_id,
                                                    std::string_view wamid, bool typing_indicator) {
  auto res = graph_.mark_read(phone_number_id, wamid, typing_indicator);
  if (!res) return res.error();

  auto tx = store::transaction::begin(db_);
  if (!tx) return storage_error(tx.error());
  auto row = store::find_message_by_wamid(db_, wamid);
  if (!row) return storage_error(row.error());
  if (*row && (*row)->direction == "inbound") {
    // Reading a message reads everything before it in the chat, as WhatsApp shows it.
    auto st = db_.prepare(
        "UPDATE messages SET status = 'read', updated_at = ?3 "
        "WHERE conversation_id = ?1 AND direction = 'inbound' AND status = 'received' "
        "AND id <= ?2");
    if (!st) return storage_error(st.error());
    st->bind_all((*row)->conversation_id, (*row)->id, store::format_timestamp(now_()));
    if (auto r = st->run(); !r) return storage_error(r.error());
    if (auto r = store::mark_conversation_read(db_, (*row)->conversation_id); !r) {
      return storage_error(r.error());
    }
  }
  if (auto r = tx->commit(); !r) return storage_error(r.error());
  return {};
}

meta::graph_result<meta::template_sync_result> outbound_sender::sync_templates(
    std::string_view waba_id) {
  return sync_account_templates(db_, graph_, waba_id, now_());
}

}  // namespace pons::outbound
