// Fuzzes the webhook path after the signature check: bounded JSON read, then normalisation.
// Any input must give a batch or an error, never a crash; the redacted raw JSON the batch keeps
// for storage must itself be valid JSON; every message and status has a wamid and a canonical
// number (what the account check compares is what is stored), and the skip notes stay bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pons/meta/json_reader.hpp"
#include "pons/meta/webhook_ids.hpp"
#include "pons/meta/webhook_normaliser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto json = pons::meta::read_json(text);
  if (!json) return 0;
  auto batch = pons::meta::normalise_webhook(*json);
  if (!batch) return 0;
  for (const auto& m : batch->messages) {
    if (!m.raw_json.empty() && !pons::meta::read_json(m.raw_json)) std::abort();
    if (m.wamid.empty() || !pons::meta::is_canonical_id(m.phone_number_id)) std::abort();
  }
  for (const auto& s : batch->statuses) {
    if (!s.raw_json.empty() && !pons::meta::read_json(s.raw_json)) std::abort();
    if (s.wamid.empty() || s.status.empty() || !pons::meta::is_canonical_id(s.phone_number_id))
      std::abort();
  }
  for (const auto& id : batch->phone_number_ids)
    if (!pons::meta::is_canonical_id(id)) std::abort();
  if (batch->skipped.size() > pons::domain::max_skip_notes ||
      batch->skipped.size() > batch->skipped_total)
    std::abort();
  for (const auto& e : batch->events) {
    if (!e.value_json.empty() && !pons::meta::read_json(e.value_json)) std::abort();
  }
  return 0;
}
