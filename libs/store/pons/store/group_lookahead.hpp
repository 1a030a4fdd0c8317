#pragma once
// What a group of webhooks written in one transaction is about to ask the database, asked once
// before it writes. On PostgreSQL every statement whose answer the writer waits for is a round
// trip to the server, and a group asked one per new message (its id), per status (its message,
// its key) and per reaction (its key); with the answers at hand those writes need no answer and
// travel together (statement::run_later under a write_deferral).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pons/store/contact_repository.hpp"
#include "pons/store/error.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/status_repository.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// What the group will ask about.
struct lookahead_request {
  std::vector<std::string_view> wamids;  // of its messages and of the messages its statuses name
  /// The wamids of the messages it may insert (a part of `wamids`): on PostgreSQL these, its
  /// keys and its senders are claimed before they are looked up (see fetch).
  std::vector<std::string_view> message_wamids;
  std::vector<std::string> keys;  // processed_events keys it may use
  std::size_t new_messages = 0;   // messages it may insert: ids to reserve
  /// People it writes about, by number and phone (wa_id), once each: their contacts and
  /// conversations, and on PostgreSQL an id reserved for each contact and conversation missing.
  struct sender {
    std::string_view phone_number_id;
    std::string_view wa_id;
  };
  std::vector<sender> senders;
};

/// The answers, kept up to date by the group's own writes. Valid only inside the transaction that
/// fetched it, and only while nothing else in that transaction inserts messages or uses keys.
/// Another writer that does not claim (see insert_claims.hpp) committing the same wamid or key
/// meanwhile makes the group's insert fail on the unique index (a constraint error), and the
/// caller writes the group again without a lookahead.
class group_lookahead {
 public:
  /// Looks everything up in one statement. The caller holds the write lock (SQLite) or has joined
  /// the message writers (PostgreSQL, hold_message_order). On PostgreSQL the group first claims
  /// its messages' wamids, its keys and its senders (claim_keys), so that another instance's
  /// group with the same ones waits for this one's commit before it looks them up.
  static result<group_lookahead> fetch(database& db, const lookahead_request& wanted);

  /// The message with this wamid, stored before the group or by it; nullptr when none.
  const status_target* message(std::string_view wamid) const;

  /// A message the group stores now: its id (reserved) and created_at, never below the newest.
  /// nullopt once the reserved ids are used up.
  std::optional<message_position> place_message(time_point now);

  /// Notes a message the group stored, for later lookups by its wamid.
  void stored(std::string_view wamid, status_target message);

  /// Notes a status the group applied to the message with this wamid.
  void status_applied(std::string_view wamid, std::string_view status);

  /// The contact with this wa_id in the account: nullptr when it was not looked up (its number
  /// was not known yet, or forget_people was called), else the contact or nullopt when none is
  /// stored.
  const std::optional<contact_record>* person(std::int64_t account_id,
                                              std::string_view wa_id) const;

  /// The conversation of a looked-up contact with this number: nullopt when it was not looked
  /// up, 0 when there is none.
  std::optional<std::int64_t> conversation(std::string_view phone_number_id,
                                           std::int64_t contact_id) const;

  /// Ids reserved for a new contact and a new conversation; nullopt when none are left (on
  /// SQLite there are none: insert as usual).
  std::optional<std::int64_t> place_contact();
  std::optional<std::int64_t> place_conversation();

  /// Notes a contact or conversation the group stored.
  void person_stored(const contact_record& contact);
  void conversation_stored(std::string_view phone_number_id, std::int64_t contact_id,
                           std::int64_t id);

  /// Stops answering about people: contacts were merged or changed ids in the group.
  void forget_people() { people_forgotten_ = true; }

  /// mark_processed without waiting for an answer: false when the key was used before or earlier
  /// in the group, else its row is queued (a plain insert) and true.
  result<bool> mark_processed(database& db, std::string_view key, time_point now);

 private:
  // Ids a sequence gave the group, handed out in order.
  struct reserved_ids {
    std::vector<std::int64_t> ids;
    std::size_t next = 0;
    std::optional<std::int64_t> take() {
      if (next >= ids.size()) return std::nullopt;
      return ids[next++];
    }
  };

  std::map<std::string, status_target, std::less<>> messages_;
  std::set<std::string, std::less<>> keys_;
  reserved_ids message_ids_;
  std::string newest_;
  std::map<std::pair<std::int64_t, std::string>, std::optional<contact_record>> people_;
  std::map<std::pair<std::string, std::int64_t>, std::int64_t> conversations_;
  reserved_ids contact_ids_;
  reserved_ids conversation_ids_;
  bool people_forgotten_ = false;
};

}  // namespace pons::store
