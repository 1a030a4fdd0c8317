#pragma once
// What people and assistants keep on a conversation here, beside what WhatsApp says: archived,
// marked unread, a note and labels (update_conversation, the dashboard). Changes are applied in
// one write transaction; labels are compared without ASCII case.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// A conversation's local state.
struct conversation_state {
  std::int64_t id = 0;
  std::string phone_number_id;
  bool archived = false;
  std::int64_t unread_count = 0;  // inbound messages not yet read
  bool marked_unread = false;     // "come back to this", set by a person or an assistant
  std::string note;
  std::vector<std::string> labels;  // in the order they were added
};

/// A change to apply; what is unset stays as it is.
struct conversation_change {
  std::optional<bool> archived;
  /// true: marked unread. false: read here (unread_count 0, the mark cleared); WhatsApp is not
  /// told (mark_read does that).
  std::optional<bool> unread;
  std::optional<std::string> note;                 // "" clears it
  std::optional<std::vector<std::string>> labels;  // replaces every label
  std::vector<std::string> add_labels;
  std::vector<std::string> remove_labels;
};

/// The state of conversation `id`, or nullopt when there is none.
result<std::optional<conversation_state>> read_conversation_state(database& db, std::int64_t id);

/// Applies `change` to conversation `id` in one transaction and returns the new state, or nullopt
/// when there is no such conversation.
result<std::optional<conversation_state>> change_conversation(database& db, std::int64_t id,
                                                              const conversation_change& change,
                                                              time_point now);

/// The labels after `change`, from `current` (replace, then add, then remove; a label already
/// there in another ASCII case is not added twice).
std::vector<std::string> labels_after(const std::vector<std::string>& current,
                                      const conversation_change& change);

}  // namespace pons::store
