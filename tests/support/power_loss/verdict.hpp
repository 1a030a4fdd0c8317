#pragma once
// What survived: the database after the last power cut, checked against everything the
// processes under test acknowledged. Reads the database with SQLite directly (no Pons code in
// the judge).

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "mcp_sends.hpp"
#include "webhook_load.hpp"

namespace pons::power_loss {

/// The outcome of the checks.
struct verdict {
  std::uint64_t webhooks_checked = 0;  // payloads answered 200
  std::uint64_t sends_checked = 0;     // sends pons-mcp reported done
  std::uint64_t events_checked = 0;    // forwarding events of acknowledged messages
  std::uint64_t lost = 0;              // acknowledged, but not (all) there
  std::uint64_t duplicated = 0;        // stored more than once
  std::uint64_t partial = 0;           // a payload stored in part (never acknowledged or not)
  std::uint64_t unknown_stored = 0;    // never acknowledged, stored whole (allowed)
  std::uint64_t events_delivered = 0;  // of events_checked: received by the target
  std::uint64_t events_queued = 0;     // of events_checked: still waiting in the outbox
  std::string integrity = "unchecked";
  std::vector<std::string> examples;  // a few of the failures, for the log

  std::uint64_t checked() const { return webhooks_checked + sends_checked + events_checked; }
  bool clean() const { return lost == 0 && duplicated == 0 && partial == 0 && integrity == "ok"; }
};

/// `text` on one line (line breaks as spaces), cut to `max` characters.
std::string one_line(std::string text, std::size_t max);

/// PRAGMA integrity_check and foreign_key_check of the database at `db_path`: "ok", or what
/// they reported (opening it recovers its WAL, as the next start of a process would).
std::string integrity_of(const std::string& db_path);

/// Checks the database at `db_path` against the acknowledged payloads and sends, and the
/// forwarding events the target received (their envelopes' bodies).
verdict judge(const std::string& db_path, const std::vector<webhook_sent>& payloads,
              const std::vector<send_record>& sends, const std::vector<std::string>& received);

}  // namespace pons::power_loss
