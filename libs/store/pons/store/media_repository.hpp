#pragma once
// Media files and their download jobs (queued -> downloading -> done | failed). Meta's media URLs
// expire after 5 minutes, so the webhook service claims jobs as soon as they are queued.

#include <chrono>
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

/// One row of `media`.
struct media_record {
  std::int64_t id = 0;
  std::optional<std::int64_t> message_id;
  std::string media_id;  // Meta's media id
  std::string phone_number_id;
  std::string mime;
  std::string sha256;  // as Meta announced it until downloaded, then as computed
  std::optional<std::int64_t> size;
  std::string path;   // local file once done
  std::string state;  // queued | downloading | done | failed
  int attempts = 0;
  std::string next_attempt_at;
  std::string last_error;
};

/// Queues a download for `media` of message `message_id` (due now). A media id already known is
/// left as it is. Returns the media row id.
result<std::int64_t> enqueue_media(database& db, std::optional<std::int64_t> message_id,
                                   std::string_view phone_number_id, const domain::media_ref& media,
                                   time_point now);

/// enqueue_media for a caller that does not need the row's id: a write nobody reads back at
/// once, so it may be queued (statement::run_later).
result<void> queue_media(database& db, std::int64_t message_id, std::string_view phone_number_id,
                         const domain::media_ref& media, time_point now);

/// Claims the oldest due job: queued jobs due by `now`, and downloading jobs whose lease ran out
/// (a crashed worker). Marks it downloading, counts the attempt and leases it until now + lease.
/// Instances sharing one PostgreSQL database pass over a job another one is claiming.
result<std::optional<media_record>> claim_next_media_job(
    database& db, time_point now, std::chrono::seconds lease = std::chrono::seconds(120));

/// Records a finished download.
result<void> mark_media_done(database& db, std::int64_t id, std::string_view path,
                             std::int64_t size, std::string_view sha256, std::string_view mime,
                             time_point now);

/// Records a failed attempt: back to queued with exponential backoff (base * 2^(attempts-1),
/// capped at one hour), or failed for good once `max_attempts` attempts were made.
result<void> mark_media_failed(database& db, std::int64_t id, std::string_view error,
                               time_point now, int max_attempts = 8,
                               std::chrono::seconds base = std::chrono::seconds(5));

/// The media row for Meta's media id, or nullopt.
result<std::optional<media_record>> find_media(database& db, std::string_view media_id);

/// The media rows of a message.
result<std::vector<media_record>> media_for_message(database& db, std::int64_t message_id);

/// How many jobs are in `state` (for /metrics queue depths).
result<std::int64_t> count_media(database& db, std::string_view state);

}  // namespace pons::store
