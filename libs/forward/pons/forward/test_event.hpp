#pragma once
// A test event for one target: signed with the target's secret and sent by send_once, so an
// operator learns whether the receiver verifies signatures and answers 200. Nothing is stored:
// it is not a delivery and leaves the target's health alone.

#include <cstdint>
#include <string_view>

#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}

namespace pons::forward {

/// The event type of a test event.
inline constexpr std::string_view event_test = "pons.test";

/// One attempt of a "pons.test" envelope for target `target_id` (not_found when absent), whose
/// "source" names who asked (the CLI, the dashboard). The job holds the secret: never log it.
result<delivery_job> make_test_job(store::database& db, std::int64_t target_id,
                                   std::string_view source, store::time_point now);

}  // namespace pons::forward
