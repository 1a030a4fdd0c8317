#pragma once
// The webhook ingest: everything one Meta webhook POST carries, written in ONE BEGIN IMMEDIATE
// transaction (idempotency keys, contacts, conversations, messages, statuses, template updates,
// media jobs, forwarding outbox rows and the webhook_log row). ingest_batches() writes several
// POSTs in one transaction (group commit) so one fsync covers many requests.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pons/domain/message.hpp"
#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {
class database;
}  // namespace pons::store

namespace pons::webhook {

/// Facts about the HTTP request a batch came from.
struct ingest_context {
  std::string request_id;
  store::time_point received_at;  // also the "now" of every row written
  std::string redacted_body;      // stored in webhook_log; must already be redacted
  std::string signature = "valid";
  int http_status = 200;
  std::string phone_number_id;  // for webhook_log; "" = the batch's first number
  std::string notes;            // for webhook_log: why parts of the body were not stored
  std::string
      event_source;  // "source" of forwarded envelopes; "" = the forwarder's default ("whatsapp")
};

/// What one batch changed.
struct ingest_summary {
  int messages_new = 0;
  int duplicates = 0;         // messages and statuses already ingested earlier
  int statuses_recorded = 0;  // new status events (applied or not)
  int statuses_applied = 0;   // statuses that moved a message forward
  int statuses_foreign = 0;   // statuses for another number's message: skipped, only logged
  int events = 0;             // forwarding deliveries queued
  int media_jobs = 0;
  int templates = 0;                          // template status updates applied
  std::vector<std::int64_t> new_message_ids;  // row ids of the messages stored
};

/// Writes one batch in one IMMEDIATE transaction (or inside the caller's open transaction).
/// A redelivered batch writes only its webhook_log row and counts duplicates.
store::result<ingest_summary> ingest_batch(store::database& db, const domain::webhook_batch& batch,
                                           const ingest_context& context);

/// One POST for ingest_batches.
struct ingest_request {
  const domain::webhook_batch* batch = nullptr;
  const ingest_context* context = nullptr;
};

/// What a writer remembers from one group commit to the next: the numbers made sure of, the
/// contacts and conversations written or read, the enabled forwarding targets. Repeat senders
/// then cost no lookups. ingest_batches checks at each group whether another connection changed
/// any of that since, and forgets everything when it did, and after any rolled-back write. On
/// SQLite any other connection's commit counts (PRAGMA data_version: pons-mcp, the admin CLI,
/// the media worker). On PostgreSQL the schema's triggers announce the statements that change
/// those facts (database::topic_version), so another instance's messages, which add rows and
/// change nothing remembered, leave the memo as it is. One per writer connection, used by one
/// thread; that connection must not itself change numbers, contacts, conversations or
/// forwarding targets other than through ingest_batches (its own commits are not counted).
/// pons-webhook's writer only adds webhook_log rows and prunes besides.
class ingest_memo {
 public:
  /// Remembers at most about `max_entries` contacts and as many conversations: past that it
  /// starts over (a few MB at the default, whatever the number of people writing in).
  explicit ingest_memo(std::size_t max_entries = 10000);
  ~ingest_memo();
  ingest_memo(const ingest_memo&) = delete;
  ingest_memo& operator=(const ingest_memo&) = delete;

  /// Contacts and conversations remembered now.
  std::size_t size() const;

  /// Groups written a second time, request by request, each in a savepoint of its own: one of
  /// its requests failed, or another writer committed a message or key the group had looked up
  /// as new. Almost every group is written once.
  std::uint64_t groups_written_again() const { return written_again_; }

  struct state;  // defined in ingest.cpp

 private:
  friend store::result<std::vector<store::result<ingest_summary>>> ingest_batches(
      store::database&, std::span<const ingest_request>, ingest_memo*);
  std::unique_ptr<state> state_;
  std::size_t max_entries_;
  std::int64_t data_version_ = -1;
  std::uint64_t written_again_ = 0;
};

/// Writes several POSTs in ONE transaction (group commit), each inside its own SAVEPOINT: a batch
/// that fails is rolled back alone and reported in its slot, the others commit. The outer result
/// fails only when the transaction itself could not begin or commit (then nothing was written;
/// answer every request 500). A request may only be acknowledged after this returns. With a
/// `memo`, lookups are remembered across calls on the same connection (see ingest_memo).
store::result<std::vector<store::result<ingest_summary>>> ingest_batches(
    store::database& db, std::span<const ingest_request> requests, ingest_memo* memo = nullptr);

}  // namespace pons::webhook
