#pragma once
// Messages in both directions: inserts (inbound from webhooks, outbound pending -> sent/failed),
// cursor paging by (created_at, id), lookups and full-text search with context.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/domain/message.hpp"
#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;
class group_lookahead;

/// One message as stored, with its contact's identity and its media file state.
struct message_record {
  std::int64_t id = 0;    // the cursor tiebreak; grows with every insert
  std::string direction;  // "inbound" | "outbound"
  std::string wamid;      // "" while an outbound message is pending
  std::string phone_number_id;
  std::int64_t contact_id = 0;
  std::int64_t conversation_id = 0;
  std::string contact_wa_id;
  std::string contact_user_id;
  std::string contact_profile_name;
  std::string type;
  std::string text;
  std::string media_id;
  std::string media_mime;
  std::string media_sha256;
  std::string media_caption;
  std::string media_filename;
  std::string media_path;   // local file once downloaded, else ""
  std::string media_state;  // queued | downloading | done | failed | "" (no media job)
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::string location_name;
  std::string location_address;
  std::string reaction_to;  // wamid the reaction is about
  std::string reaction_emoji;
  std::string reply_to;  // wamid this message replies to
  bool forwarded = false;
  std::string status;  // received (inbound) | pending | sent | delivered | read | played | failed
  std::optional<int> error_code;
  std::string error_title;
  std::string error_details;
  std::int64_t ts = 0;     // Meta's unix seconds (0 for outbound until Meta reports)
  std::string created_at;  // server time, ISO-8601 UTC with milliseconds; never decreases
  std::string updated_at;
  std::string idempotency_key;
  std::string raw_json;
};

/// Where a stored row sits in the (created_at, id) order.
struct message_position {
  std::int64_t id = 0;
  std::string created_at;
};

/// True when a message (either direction) with this wamid is stored. messages_wamid makes it
/// one index lookup; ingest uses it as the idempotency check of inbound messages.
result<bool> wamid_exists(database& db, std::string_view wamid);

/// Joins the caller's transaction to the message writers until it ends, so that a reader's
/// cursor (after a created_at and id, or after an id) that stops at settled_message_id never
/// passes a message that commits later: settled_message_id waits for the writers open when it is
/// called, and new writers wait for it.
/// On SQLite the write lock does it already (one writer at a time, in id order); on PostgreSQL,
/// where writers lock rows only, it is a shared transaction advisory lock (per schema), which
/// writers hold together and readers take alone. Call it first in a transaction that inserts
/// messages, before any row is locked.
result<void> hold_message_order(database& db);

/// The largest message id a cursor may go up to now: every message with an id at or below it has
/// committed or never will, and every message committed later has a larger id and a created_at no
/// earlier than theirs. nullopt on SQLite, where messages commit in id order. On PostgreSQL it
/// takes the message order alone for an instant (see hold_message_order): it waits for the
/// slowest message writer open now (a group's commit, or a writer itself waiting on a lock), and
/// new writers wait for it meanwhile. Refused inside a transaction, where the lock would last
/// until that ends. Read it before the rows it bounds: a statement that started earlier may miss
/// a message that commits below it.
result<std::optional<std::int64_t>> settled_message_id(database& db);

/// What a caller writing many messages in one transaction already knows, so each insert need
/// not look it up again.
struct inbound_insert_hints {
  /// The newest created_at in `messages` as of this transaction ("" = not known yet: read it).
  /// Updated by each insert. Only valid while the caller holds the write lock throughout.
  std::string* newest_created_at = nullptr;
};

/// Stores an inbound message (status "received"). The caller has already checked idempotency
/// (see ingest); a wamid already present is stored as NULL to keep the row (reaction removals
/// reuse the id of the reaction they remove).
result<message_position> insert_inbound_message(database& db, const domain::inbound_message& m,
                                                std::int64_t contact_id,
                                                std::int64_t conversation_id, time_point now,
                                                inbound_insert_hints hints = {});

/// Stores an inbound message that its wamid identifies (see domain::identified_by_wamid), in the
/// same statement that checks it is new: nullopt, with nothing written, when a message with that
/// wamid is stored already (Meta delivered it again, or another instance stored it first).
result<std::optional<message_position>> insert_inbound_message_once(
    database& db, const domain::inbound_message& m, std::int64_t contact_id,
    std::int64_t conversation_id, time_point now, inbound_insert_hints hints = {});

/// insert_inbound_message or, for a message its wamid identifies, insert_inbound_message_once,
/// in a group that looked ahead: the message takes an id the lookahead reserved and its insert is
/// queued (statement::run_later), not waited for. nullopt, with nothing written, for a message
/// whose wamid identifies it and is stored already.
result<std::optional<message_position>> queue_inbound_message(
    database& db, const domain::inbound_message& m, std::int64_t contact_id,
    std::int64_t conversation_id, time_point now, group_lookahead& ahead);

/// A message the business is about to send.
struct outbound_message {
  std::string phone_number_id;  // sender
  std::string waba_id;          // used only when the number is not known yet
  domain::contact to;           // wa_id and/or user_id of the recipient
  std::string type;             // text, image, template, reaction, location, interactive...
  std::string text;             // body, caption or a rendering for search and previews
  std::optional<domain::media_ref> media;
  std::optional<domain::location> place;
  std::optional<domain::reaction> reacted;
  std::string reply_to;         // wamid being replied to
  std::string idempotency_key;  // client key; "" = none
  std::string raw_json;         // the request body sent to Meta, redacted
};

/// Result of insert_outbound_pending.
struct outbound_insert {
  message_position position;
  bool created = true;  // false: the idempotency key was seen before; `existing` is that row
  std::optional<message_record> existing;
};

/// Stores a pending outbound message (creating contact and conversation as needed, updating the
/// conversation preview). With an idempotency key already used, nothing is written and the
/// earlier message is returned. Opens its own IMMEDIATE transaction unless one is open.
result<outbound_insert> insert_outbound_pending(database& db, const outbound_message& m,
                                                time_point now);

/// Marks an outbound message accepted by Meta: sets its wamid, moves pending -> sent, then applies
/// any status webhooks that arrived for that wamid before this call.
result<void> mark_outbound_sent(database& db, std::int64_t message_id, std::string_view wamid,
                                time_point now);

/// Marks an outbound message refused by Meta (status failed with the mapped error).
result<void> mark_outbound_failed(database& db, std::int64_t message_id,
                                  const domain::meta_error_detail& error, time_point now);

/// The message with this row id, or nullopt.
result<std::optional<message_record>> get_message(database& db, std::int64_t id);

/// The message with this wamid, or nullopt.
result<std::optional<message_record>> find_message_by_wamid(database& db, std::string_view wamid);

/// The outbound message created with this client idempotency key, or nullopt.
result<std::optional<message_record>> find_message_by_idempotency_key(database& db,
                                                                      std::string_view key);

/// A page request. Oldest first: rows strictly after (after_created_at, after_id). Newest first:
/// rows strictly before the cursor (or the newest rows when the cursor is empty).
struct message_query {
  std::string after_created_at;                // "" = from the start (or the end when newest_first)
  std::int64_t after_id = 0;                   // tiebreak for rows with the same created_at
  std::optional<domain::direction> direction;  // nullopt = both
  std::int64_t contact_id = 0;                 // 0 = any
  std::int64_t conversation_id = 0;            // 0 = any
  std::string phone_number_id;                 // "" = any
  bool newest_first = false;
  int limit = 20;
};

/// One page of messages and the cursor to continue from.
struct message_page {
  std::vector<message_record> messages;
  bool has_more = false;
  message_position next;  // position of the last row returned (the next cursor)
};

/// Pages messages by (created_at, id). Stable across concurrent writers: it reads only up to
/// settled_message_id (so, on PostgreSQL, not inside a transaction), and no row can commit later
/// behind a cursor it returned.
result<message_page> page_messages(database& db, const message_query& q);

/// A full-text search request.
struct search_query {
  std::string text;  // words; each is matched as a prefix, all must match
  std::string phone_number_id;
  std::int64_t contact_id = 0;
  int limit = 20;
  int context = 2;          // messages of the same conversation shown before and after each hit
  bool best_first = false;  // order by bm25 relevance instead of newest first (slower)
};

/// A search hit with the messages around it.
struct search_hit {
  message_record message;
  std::string snippet;                 // the matching text with [brackets] around matched words
  std::vector<message_record> before;  // oldest first
  std::vector<message_record> after;   // oldest first
};

/// FTS5 search over text, captions and file names, newest first (or best first). User text is
/// quoted, so FTS syntax in it cannot cause errors.
result<std::vector<search_hit>> search_messages(database& db, const search_query& q);

/// A short preview for conversation lists: the text (cut at 120 bytes on a UTF-8 boundary), or
/// "[type]" for messages without text, or the reaction.
std::string message_preview(std::string_view type, std::string_view text,
                            std::string_view reaction_emoji = {});

}  // namespace pons::store
