#include "pons/outbound/sender.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <thread>

#include "pons/domain/phone.hpp"
#include "pons/forward/outbox.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/conversation_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::outbound {

namespace json = boost::json;

namespace {

constexpr std::string_view dry_run_title = "dry run";

// The recipient key used for pacing and window lookups.
std::string recipient_key(const meta::recipient& r) {
  return !r.wa_id.empty() ? r.wa_id : r.user_id;
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

send_outcome outcome_from_row(const store::message_record& m) {
  send_outcome out;
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
  send_outcome out;

  // 1. Validate: the number in Meta's form, the body within Meta's limits.
  if (!req.message.to.wa_id.empty()) {
    auto wa_id = domain::to_meta_format(req.message.to.wa_id);
    if (!wa_id) {
      out.state = send_state::invalid;
      out.error = meta::graph_error{wa_id.error(), std::nullopt, 0};
      // The phone messages are whole sentences, ending with their own period.
      out.explanation = fmt::format("Not sent: {}", wa_id.error().message());
      return out;
    }
    req.message.to.wa_id = *wa_id;
  }
  auto body = meta::build_message(req.message);
  if (!body) {
    out.state = send_state::invalid;
    out.error = meta::graph_error{body.error(), std::nullopt, 0};
    out.explanation = out.error->explain();
    return out;
  }

  // A template is checked against the synced copy when there is one (else Meta decides).
  if (const auto* tpl = std::get_if<meta::template_message>(&req.message.content)) {
    auto synced = store::find_template(db_, req.waba_id, tpl->name, tpl->language);
    if (!synced) return synced.error();
    if (*synced) {
      if (auto problem = check_template_message(**synced, *tpl); !problem.empty()) {
        out.state = send_state::invalid;
        auto meta = domain::meta_error_from_code(132000, 400);
        meta.details = problem;
        out.error = meta::graph_error{meta.error_code(), meta, 0};
        out.explanation = "Not sent: " + problem;
        return out;
      }
    }
  }

  // 2. The same idempotency key returns the first result.
  if (!req.idempotency_key.empty()) {
    auto existing = store::find_message_by_idempotency_key(db_, req.idempotency_key);
    if (!existing) return existing.error();
    if (*existing) {
      out = outcome_from_row(**existing);
      out.replayed = true;
      return out;
    }
  }

  // 3. Free-form messages need an open 24-hour window (Meta answers 131047 otherwise).
  const auto now = now_();
  if (config_.enforce_window && meta::is_free_form(req.message.content)) {
    std::string expires;
    bool open = false;
    auto contacts = store::find_contacts(db_, recipient_key(req.message.to));
    if (!contacts) return contacts.error();
    for (const auto& c : *contacts) {
      auto conv = store::find_conversation(db_, req.phone_number_id, c.id);
      if (!conv) return conv.error();
      if (*conv && !(*conv)->window_expires_at.empty()) {
        expires = std::max(expires, (*conv)->window_expires_at);
      }
    }
    open = !expires.empty() && expires > store::format_timestamp(now);
    if (!open) {
      auto templates = store::list_templates(db_, req.waba_id, "APPROVED");
      if (!templates) return templates.error();
      out.state = send_state::window_closed;
      out.error_code = 131047;
      auto meta = domain::meta_error_from_code(131047, 400);
      out.error = meta::graph_error{meta.error_code(), meta, 0};
      out.templates = std::move(*templates);
      out.explanation = window_closed_explanation(out.templates, expires);
      return out;
    }
  }

  // 4. Record the message as pending before calling Meta.
  auto inserted = store::insert_outbound_pending(db_, to_store_row(req, *body), now);
  if (!inserted) return inserted.error();
  if (!inserted->created && inserted->existing) {
    // Another thread or process used the key between our lookup and the insert.
    out = outcome_from_row(*inserted->existing);
    out.replayed = true;
    return out;
  }
  const auto row_id = inserted->position.id;
  out.message_id = row_id;

  auto finish_failed = [&](const domain::meta_error_detail& detail) -> store::result<void> {
    auto tx = store::transaction::begin(db_);
    if (!tx) return tx.error();
    if (auto r = store::mark_outbound_failed(db_, row_id, detail, now_()); !r) return r.error();
    auto row = store::get_message(db_, row_id);
    if (!row) return row.error();
    if (*row && detail.title != dry_run_title) {
      const auto ev =
          forward::make_event(forward::event_outbound_failed, fmt::format("out:{}:failed", row_id),
                              {.account_id = req.waba_id, .phone_number_id = req.phone_number_id},
                              now_(), event_payload(**row, "failed", &detail));
      if (auto r = forward::enqueue_event(db_, ev, now_()); !r) return r.error();
    }
    return tx->commit();
  };

  if (config_.dry_run || req.dry_run) {
    domain::meta_error_detail detail{0, std::string(dry_run_title), "dry run",
                                     "validated and recorded, not sent (dry-run mode)", ""};
    if (auto r = finish_failed(detail); !r) return r.error();
    out.state = send_state::dry_run;
    out.status = "failed";
    out.explanation = "Dry run: the message was validated and recorded, not sent.";
    return out;
  }

  // 5. Pace: wait for our turn rather than collect 130429/131056 from Meta.
  auto recipient = recipient_key(req.message.to);
  auto wait = pacer_.reserve(req.phone_number_id, recipient, std::chrono::steady_clock::now());
  if (wait > config_.max_queue_wait) {
    pacer_.release(req.phone_number_id, recipient);
    auto meta = domain::meta_error_from_code(131056, 400);
    meta.details = fmt::format(
        "Pons paced this send: the next slot for this recipient is in {} s, longer than the {} s "
        "it waits. Try again later.",
        (wait.count() + 999) / 1000, config_.max_queue_wait.count() / 1000);
    domain::meta_error_detail detail{131056, std::string(meta.title()), meta.message, meta.details,
                                     ""};
    if (auto r = finish_failed(detail); !r) return r.error();
    out.state = send_state::failed;
    out.status = "failed";
    out.error_code = 131056;
    out.error = meta::graph_error{meta.error_code(), meta, 0};
    out.explanation = meta.explain();
    return out;
  }
  if (wait.count() > 0) sleep_(wait);
  out.waited = wait;

  // 6. Call Meta and record the outcome.
  auto sent = graph_.send_body(req.phone_number_id, *body);
  if (sent) {
    auto tx = store::transaction::begin(db_);
    if (!tx) return tx.error();
    if (auto r = store::mark_outbound_sent(db_, row_id, sent->wamid, now_()); !r) return r.error();
    auto row = store::get_message(db_, row_id);
    if (!row) return row.error();
    if (*row) {
      const auto ev =
          forward::make_event(forward::event_outbound_sent, fmt::format("out:{}:sent", row_id),
                              {.account_id = req.waba_id, .phone_number_id = req.phone_number_id},
                              now_(), event_payload(**row, "sent", nullptr));
      if (auto r = forward::enqueue_event(db_, ev, now_()); !r) return r.error();
      out.status = (*row)->status;
    }
    if (auto r = tx->commit(); !r) return r.error();
    out.state = send_state::sent;
    out.wamid = sent->wamid;
    out.explanation = fmt::format("Sent (wamid {}).", sent->wamid);
    return out;
  }

  const auto& error = sent.error();
  domain::meta_error_detail detail;
  if (error.meta) {
    detail.code = error.meta->meta_code;
    detail.title = std::string(error.meta->title());
    detail.message = error.meta->message;
    detail.details = !error.meta->details.empty() ? error.meta->details : error.meta->message;
    out.error_code = error.meta->meta_code;
  } else {
    // No answer from Meta: the message may or may not have gone out.
    detail.code = 0;
    detail.title = "network error";
    detail.details =
        error.explain() +
        " Meta may still have accepted it: check for a status update before resending.";
  }
  if (auto r = finish_failed(detail); !r) return r.error();
  out.state = send_state::failed;
  out.status = "failed";
  out.error = error;
  out.explanation = error.explain();
  return out;
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
