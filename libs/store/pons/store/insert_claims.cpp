#include "pons/store/insert_claims.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

constexpr std::uint32_t fnv_offset = 2166136261u;
constexpr std::uint32_t fnv_prime = 16777619u;

std::uint32_t fnv1a(std::uint32_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= fnv_prime;
  }
  return h;
}

}  // namespace

std::int32_t claim_key(char kind, std::string_view key) {
  return static_cast<std::int32_t>(fnv1a(fnv1a(fnv_offset, std::string_view(&kind, 1)), key));
}

std::int32_t sender_claim_key(std::string_view phone_number_id, std::string_view wa_id) {
  // The number's length first, so that ("12", "3") and ("1", "23") are different senders.
  return claim_key('s', fmt::format("{}:{}{}", phone_number_id.size(), phone_number_id, wa_id));
}

result<void> claim_keys(database& db, std::vector<std::int32_t> keys) {
  if (db.kind() != backend::postgresql || keys.empty()) return {};
  if (!db.in_transaction()) return store_errc::invalid_argument;  // it would end at once
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // The function scan yields the array in order, and each lock is taken as its row comes. The
  // first key is the schema's, as for the message order, so that instances of two deployments
  // sharing a server claim apart.
  PONS_STORE_TRY(st, db.prepare("SELECT count(pg_advisory_xact_lock(hashtext('pons.claims:' || "
                                "coalesce(current_schema(), '')), k::int)) FROM "
                                "json_array_elements_text(?1::json) AS c(k)"));
  st.bind(1, fmt::format("[{}]", fmt::join(keys, ",")));
  PONS_STORE_CHECK(st.run_later());
  return {};
}

}  // namespace pons::store
