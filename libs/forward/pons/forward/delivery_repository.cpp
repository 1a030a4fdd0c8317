#include "pons/forward/delivery_repository.hpp"

#include "pons/store/database.hpp"

namespace pons::forward {

namespace {

delivery_row read_row(const store::statement& st) {
  delivery_row r;
  r.id = st.column_int64(0);
  r.event_id = st.column_text(1);
  r.event_type = st.column_text(2);
  r.target_id = st.column_int64(3);
  r.state = st.column_text(4);
  r.attempts = st.column_int(5);
  r.next_attempt_at = st.column_text(6);
  if (auto code = st.column_optional_int64(7)) r.last_status_code = static_cast<int>(*code);
  r.last_error = st.column_text(8);
  r.created_at = st.column_text(9);
  r.updated_at = st.column_text(10);
  return r;
}

// webhook_deliveries.attempts counts the current round (a manual retry resets it); the total
// is the highest attempt number recorded, when it is higher (written without SQLite's two-argument
// MAX, which PostgreSQL spells GREATEST).
#define PONS_TOTAL_ATTEMPTS                                                                 \
  "COALESCE((SELECT MAX(a.attempt) FROM webhook_delivery_attempts a WHERE a.delivery_id = " \
  "d.id AND a.attempt > d.attempts), d.attempts)"

constexpr std::string_view row_columns =
    "SELECT d.id, e.event_id, e.type, d.target_id, d.state, " PONS_TOTAL_ATTEMPTS
    ", d.next_attempt_at, "
    "d.last_status_code, d.last_error, d.created_at, d.updated_at "
    "FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id ";

}  // namespace

result<std::vector<delivery_job>> claim_due(store::database& db, store::time_point now,
                                            const claim_limits& limits) {
  std::vector<delivery_job> jobs;
  if (limits.max_jobs == 0) return jobs;
  auto tx = store::transaction::begin(db);
  if (!tx) return tx.error();
  const auto ts = store::format_timestamp(now);
  std::vector<std::int64_t> ids;
  {
    // Up to per_target rows per target, minus what that target already has in flight, so one
    // slow target cannot take every worker.
    auto st = db.prepare(
        "WITH due AS ("
        " SELECT d.id, d.target_id, d.next_attempt_at, ROW_NUMBER() OVER ("
        "  PARTITION BY d.target_id ORDER BY d.next_attempt_at, d.id) AS rn"
        " FROM webhook_deliveries d JOIN webhook_targets t ON t.id = d.target_id"
        " WHERE d.state IN ('pending', 'delivering') AND d.next_attempt_at <= ?1"
        " AND t.enabled = 1),"
        "busy AS ("
        " SELECT target_id, COUNT(*) AS n FROM webhook_deliveries"
        " WHERE state IN ('pending', 'delivering') AND state = 'delivering'"
        " AND next_attempt_at > ?1 GROUP BY target_id) "
        "SELECT due.id FROM due LEFT JOIN busy ON busy.target_id = due.target_id "
        "WHERE due.rn <= ?2 - COALESCE(busy.n, 0) "
        "ORDER BY due.next_attempt_at, due.id LIMIT ?3");
    if (!st) return st.error();
    st->bind_all(ts, limits.per_target, static_cast<std::int64_t>(limits.max_jobs));
    for (;;) {
      auto row = st->step();
      if (!row) return row.error();
      if (!*row) break;
      ids.push_back(st->column_int64(0));
    }
  }
  for (auto id : ids) {
    delivery_job job;
    {
      auto st = db.prepare(
          "SELECT d.id, d.target_id, d.attempts, t.max_attempts, t.timeout_ms, t.url, t.secret, "
          "e.event_id, e.type, e.body, " PONS_TOTAL_ATTEMPTS
          " FROM webhook_deliveries d "
          "JOIN webhook_targets t ON t.id = d.target_id "
          "JOIN webhook_events e ON e.id = d.event_id WHERE d.id = ?1 "
          "AND d.state IN ('pending', 'delivering') AND d.next_attempt_at <= ?2" +
          db.claim_clause("d"));
      if (!st) return st.error();
      st->bind(1, id).bind(2, ts);
      auto row = st->step();
      if (!row) return row.error();
      // Another instance claimed it since the first query, or is claiming it now.
      if (!*row) continue;
      job.delivery_id = st->column_int64(0);
      job.target_id = st->column_int64(1);
      job.round_attempt = st->column_int(2) + 1;
      job.attempt = st->column_int(10) + 1;
      job.max_attempts = st->column_int(3);
      job.timeout = std::chrono::milliseconds(st->column_int64(4));
      job.url = st->column_text(5);
      job.secret = st->column_text(6);
      job.event_id = st->column_text(7);
      job.event_type = st->column_text(8);
      job.body = st->column_text(9);
    }
    auto st = db.prepare(
        "UPDATE webhook_deliveries SET state = 'delivering', next_attempt_at = ?2, updated_at = ?3 "
        "WHERE id = ?1");
    if (!st) return st.error();
    st->bind_all(id, store::format_timestamp(now + job.timeout + limits.lease_margin), ts);
    if (auto r = st->run(); !r) return r.error();
    jobs.push_back(std::move(job));
  }
  if (auto c = tx->commit(); !c) return c.error();
  return jobs;
}

result<void> release_claims(store::database& db, const std::vector<std::int64_t>& delivery_ids,
                            store::time_point now) {
  if (delivery_ids.empty()) return {};
  auto tx = store::transaction::begin(db);
  if (!tx) return tx.error();
  for (auto id : delivery_ids) {
    auto st = db.prepare(
        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?2, updated_at = ?2 "
        "WHERE id = ?1 AND state = 'delivering'");
    if (!st) return st.error();
    st->bind_all(id, store::format_timestamp(now));
    if (auto r = st->run(); !r) return r.error();
  }
  return tx->commit();
}

result<std::optional<store::time_point>> next_due(store::database& db) {
  auto st = db.prepare(
      "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d "
      "JOIN webhook_targets t ON t.id = d.target_id "
      "WHERE d.state IN ('pending', 'delivering') AND t.enabled = 1");
  if (!st) return st.error();
  auto row = st->step();
  if (!row) return row.error();
  if (!*row || st->column_is_null(0)) return std::optional<store::time_point>{};
  return store::parse_timestamp(st->column_text(0));
}

namespace {

// Records one attempt inside the caller's open transaction.
result<void> record_in_transaction(store::database& db, const delivery_job& job,
                                   const attempt_outcome& outcome, store::time_point now,
                                   std::chrono::milliseconds retry_delay) {
  const auto ts = store::format_timestamp(now);
  {
    // The target (and with it the delivery) may have been removed while we were sending.
    auto st = db.prepare("SELECT 1 FROM webhook_deliveries WHERE id = ?1");
    if (!st) return st.error();
    st->bind(1, job.delivery_id);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return {};
  }
  {
    auto st = db.prepare(
        "INSERT INTO webhook_delivery_attempts(delivery_id, attempt, started_at, duration_ms, "
        "status_code, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st) return st.error();
    st->bind_all(job.delivery_id, job.attempt, store::format_timestamp(outcome.started_at),
                 static_cast<std::int64_t>(outcome.duration.count()));
    st->bind(5, outcome.status_code);
    st->bind(6, outcome.error);
    if (auto r = st->run(); !r) return r.error();
  }
  const bool ok = is_success(outcome);
  {
    const char* state =
        ok ? "succeeded" : (job.round_attempt >= job.max_attempts ? "dead" : "pending");
    auto st = db.prepare(
        "UPDATE webhook_deliveries SET state = ?2, attempts = ?3, next_attempt_at = ?4, "
        "last_status_code = ?5, last_error = ?6, updated_at = ?7 WHERE id = ?1");
    if (!st) return st.error();
    st->bind_all(job.delivery_id, state, job.round_attempt,
                 ok ? ts : store::format_timestamp(now + retry_delay));
    st->bind(5, outcome.status_code);
    st->bind(6, outcome.error);
    st->bind(7, ts);
    if (auto r = st->run(); !r) return r.error();
  }
  {
    auto st =
        db.prepare(ok ? "UPDATE webhook_targets SET last_success_at = ?2, consecutive_failures = 0 "
                        "WHERE id = ?1"
                      : "UPDATE webhook_targets SET last_failure_at = ?2, "
                        "consecutive_failures = consecutive_failures + 1 WHERE id = ?1");
    if (!st) return st.error();
    st->bind_all(job.target_id, ts);
    if (auto r = st->run(); !r) return r.error();
  }
  return {};
}

}  // namespace

result<void> record_attempt(store::database& db, const delivery_job& job,
                            const attempt_outcome& outcome, store::time_point now,
                            std::chrono::milliseconds retry_delay) {
  auto tx = store::transaction::begin(db);
  if (!tx) return tx.error();
  if (auto r = record_in_transaction(db, job, outcome, now, retry_delay); !r) return r.error();
  return tx->commit();
}

result<void> record_attempts(store::database& db, const std::vector<finished_attempt>& attempts,
                             store::time_point now) {
  if (attempts.empty()) return {};
  auto tx = store::transaction::begin(db);
  if (!tx) return tx.error();
  for (const auto& a : attempts) {
    if (auto r = record_in_transaction(db, a.job, a.outcome, now, a.retry_delay); !r) {
      return r.error();
    }
  }
  return tx->commit();
}

result<std::vector<delivery_row>> list_deliveries(store::database& db,
                                                  const delivery_filter& filter) {
  auto st = db.prepare(std::string(row_columns) +
                       "WHERE (CAST(?1 AS BIGINT) IS NULL OR d.target_id = ?1) AND "
                       "(CAST(?2 AS TEXT) IS NULL OR d.state = ?2) "
                       "ORDER BY d.id DESC LIMIT ?3");
  if (!st) return st.error();
  st->bind(1, filter.target_id);
  st->bind(2, filter.state);
  st->bind(3, filter.limit > 0 ? filter.limit : 50);
  std::vector<delivery_row> out;
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(read_row(*st));
  }
  return out;
}

result<delivery_detail> get_delivery(store::database& db, std::int64_t id) {
  delivery_detail detail;
  {
    auto st = db.prepare(
        "SELECT d.id, e.event_id, e.type, d.target_id, d.state, " PONS_TOTAL_ATTEMPTS
        ", d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.updated_at, "
        "e.body "
        "FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.id = ?1");
    if (!st) return st.error();
    st->bind(1, id);
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) return forward_errc::not_found;
    detail.delivery = read_row(*st);
    detail.body = st->column_text(11);
  }
  auto st = db.prepare(
      "SELECT attempt, started_at, duration_ms, status_code, error "
      "FROM webhook_delivery_attempts WHERE delivery_id = ?1 ORDER BY id");
  if (!st) return st.error();
  st->bind(1, id);
  for (;;) {
    auto row = st->step();
    if (!row) return row.error();
    if (!*row) break;
    attempt_row a;
    a.attempt = st->column_int(0);
    a.started_at = st->column_text(1);
    a.duration_ms = st->column_int64(2);
    if (auto code = st->column_optional_int64(3)) a.status_code = static_cast<int>(*code);
    a.error = st->column_text(4);
    detail.attempts.push_back(std::move(a));
  }
  return detail;
}

result<void> retry_delivery(store::database& db, std::int64_t id, store::time_point now) {
  auto st = db.prepare(
      "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?2, "
      "updated_at = ?2 WHERE id = ?1 AND state IN ('dead', 'pending')");
  if (!st) return st.error();
  st->bind_all(id, store::format_timestamp(now));
  auto changed = st->run();
  if (!changed) return changed.error();
  if (*changed > 0) return {};
  auto exists = db.prepare("SELECT 1 FROM webhook_deliveries WHERE id = ?1");
  if (!exists) return exists.error();
  exists->bind(1, id);
  auto row = exists->step();
  if (!row) return row.error();
  return *row ? forward_errc::invalid_state : forward_errc::not_found;
}

result<int> retry_dead(store::database& db, std::optional<std::int64_t> target_id,
                       store::time_point now) {
  auto st = db.prepare(
      "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?2, "
      "updated_at = ?2 WHERE state = 'dead' AND (CAST(?1 AS BIGINT) IS NULL OR target_id = ?1)");
  if (!st) return st.error();
  st->bind(1, target_id);
  st->bind(2, store::format_timestamp(now));
  return st->run();
}

result<std::vector<target_backlog>> backlog_by_target(store::database& db) {
  auto st = db.prepare(
      "SELECT target_id, "
      "SUM(CASE WHEN state IN ('pending', 'delivering') THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), "
      "SUM(CASE WHEN state = 'succeeded' THEN 1 ELSE 0 END) "
      "FROM webhook_deliveries GROUP BY target_id ORDER BY target_id");
  if (!st) return st.error();
  std::vector<target_backlog> out;
  for (;;) {
    auto step = st->step();
    if (!step) return step.error();
    if (!*step) break;
    out.push_back(
        {st->column_int64(0), st->column_int64(1), st->column_int64(2), st->column_int64(3)});
  }
  return out;
}

#undef PONS_TOTAL_ATTEMPTS

}  // namespace pons::forward
