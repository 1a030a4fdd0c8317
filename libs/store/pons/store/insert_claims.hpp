#pragma once
// Claims on rows a transaction is about to insert, for writers that share a PostgreSQL database
// with other instances. Two instances given the same webhook at once (Meta's redelivery, a load
// balancer's retry) would each look the message up, find nothing, and insert it: the second insert
// then waits on the unique index for the first one's commit and fails, and its whole group with
// it. A claim makes the second writer wait before it looks up instead, so it finds the row stored
// and counts a duplicate. Claims are transaction advisory locks on a hash of what is claimed: two
// unrelated keys with the same hash only wait for each other.

#include <cstdint>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"

namespace pons::store {

class database;

/// What is claimed: a kind (one letter: the table the row goes to) and its key. FNV-1a, not
/// std::hash: every instance, whatever its build, must hash a key the same way.
std::int32_t claim_key(char kind, std::string_view key);

/// A claim on a sender's contact and conversation with a number.
std::int32_t sender_claim_key(std::string_view phone_number_id, std::string_view wa_id);

/// Claims the keys until the caller's transaction ends (PostgreSQL; SQLite has one writer at a
/// time and claims nothing). Taken in ascending order, so two writers claiming overlapping sets
/// never wait for each other crosswise; take them before any row lock of the transaction, after
/// hold_message_order. Queued (statement::run_later): under a write_deferral they travel with the
/// next statement that waits, and the server takes them before running that one.
result<void> claim_keys(database& db, std::vector<std::int32_t> keys);

}  // namespace pons::store
