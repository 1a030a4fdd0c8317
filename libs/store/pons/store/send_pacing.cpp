#include "pons/store/send_pacing.hpp"

#include <cmath>
#include <cstdint>

#include "pons/store/database.hpp"
#include "pons/store/sql_support.hpp"

namespace pons::store {

namespace {

// Milliseconds since the bucket was last computed (none when the clock went back).
#define PONS_ELAPSED_MS                                                               \
  "(CASE WHEN CAST(?4 AS BIGINT) > send_pacing.updated_ms THEN CAST(?4 AS BIGINT) - " \
  "send_pacing.updated_ms ELSE 0 END)"
#define PONS_REFILLED \
  "send_pacing.tokens + " PONS_ELAPSED_MS " * CAST(?2 AS DOUBLE PRECISION) / 1000.0"

// The parameters are cast so that PostgreSQL reads the rate and size as fractions.
constexpr std::string_view take_turn =
    "INSERT INTO send_pacing(bucket, tokens, updated_ms) "
    "VALUES (?1, CAST(?3 AS DOUBLE PRECISION) - 1, CAST(?4 AS BIGINT)) "
    "ON CONFLICT(bucket) DO UPDATE SET "
    "tokens = (CASE WHEN " PONS_REFILLED
    " > CAST(?3 AS DOUBLE PRECISION) "
    "THEN CAST(?3 AS DOUBLE PRECISION) ELSE " PONS_REFILLED
    " END) - 1, "
    "updated_ms = CASE WHEN CAST(?4 AS BIGINT) > send_pacing.updated_ms "
    "THEN CAST(?4 AS BIGINT) ELSE send_pacing.updated_ms END "
    "RETURNING tokens";

#undef PONS_REFILLED
#undef PONS_ELAPSED_MS

}  // namespace

result<std::chrono::milliseconds> reserve_shared_turn(database& db, std::string_view bucket,
                                                      bucket_limits limits,
                                                      std::chrono::system_clock::time_point now) {
  const auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  PONS_STORE_TRY(st, db.prepare(take_turn));
  st.bind(1, bucket).bind(2, limits.rate_per_second).bind(3, limits.burst);
  st.bind(4, static_cast<std::int64_t>(now_ms));
  PONS_STORE_TRY(row, st.step());
  if (!row) return store_errc::not_found;
  const double tokens = st.column_double(0);
  st.reset();  // a RETURNING statement left open would hold SQLite's commit back
  if (tokens >= 0 || limits.rate_per_second <= 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::ceil(-tokens / limits.rate_per_second * 1000)));
}

result<void> release_shared_turn(database& db, std::string_view bucket) {
  PONS_STORE_TRY(st, db.prepare("UPDATE send_pacing SET tokens = tokens + 1 WHERE bucket = ?1"));
  st.bind(1, bucket);
  PONS_STORE_CHECK(st.run());
  return {};
}

}  // namespace pons::store
