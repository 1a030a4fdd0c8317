#pragma once
// Token buckets kept in the database, so that every process and instance sending from it shares
// one pace: Meta's throughput limit is per business number, whichever host sends. A bucket's
// balance may go negative: a negative balance is a queue of reserved turns, and the wait says
// when the caller's turn comes.

#include <chrono>
#include <string_view>

#include "pons/store/error.hpp"

namespace pons::store {

class database;

/// A bucket's refill rate and size.
struct bucket_limits {
  double rate_per_second = 80;
  double burst = 80;
};

/// Takes one turn from the shared bucket `bucket` at `now` and returns how long the caller waits
/// before acting (0: now). A bucket not seen before starts full. One statement, so two
/// connections taking turns at once both count; inside the caller's transaction when one is open
/// (the bucket's row then stays locked until it ends).
result<std::chrono::milliseconds> reserve_shared_turn(database& db, std::string_view bucket,
                                                      bucket_limits limits,
                                                      std::chrono::system_clock::time_point now);

/// Gives back a turn that reserve_shared_turn handed out and the caller did not use.
result<void> release_shared_turn(database& db, std::string_view bucket);

}  // namespace pons::store
