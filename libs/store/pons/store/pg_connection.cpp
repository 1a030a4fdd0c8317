#include "pons/store/pg_connection.hpp"

#include <cstdlib>
#include <memory>
#include <utility>

#include "pons/store/detail/libpq.hpp"
#include "pons/store/pg_dialect.hpp"

namespace pons::store {

namespace {

// libpq's functions, for code that runs once a connection is open (so libpq was loaded).
const detail::libpq_api& pq() {
  return *detail::load_libpq();
}

bool is_secret(std::string_view keyword) {
  return keyword == "password" || keyword == "sslpassword";
}

// libpq's messages end with a newline.
std::string trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

pg_rowset::pg_rowset(pg_rowset&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}

pg_rowset& pg_rowset::operator=(pg_rowset&& other) noexcept {
  if (this != &other) {
    if (res_) pq().PQclear(res_);
    res_ = std::exchange(other.res_, nullptr);
  }
  return *this;
}

pg_rowset::~pg_rowset() {
  if (res_) pq().PQclear(res_);
}

int pg_rowset::rows() const {
  return res_ ? pq().PQntuples(res_) : 0;
}

int pg_rowset::affected() const {
  const char* n = res_ ? pq().PQcmdTuples(res_) : nullptr;
  return n && *n ? std::atoi(n) : 0;
}

bool pg_rowset::is_null(int row, int col) const {
  return !res_ || pq().PQgetisnull(res_, row, col) != 0;
}

std::string_view pg_rowset::value(int row, int col) const {
  if (!res_) return {};
  return {pq().PQgetvalue(res_, row, col),
          static_cast<std::size_t>(pq().PQgetlength(res_, row, col))};
}

std::string redacted_conninfo(std::string_view conninfo) {
  // Without libpq the string cannot be parsed, so nothing of it is shown (it may hold a password).
  if (!detail::load_libpq()) return "(a PostgreSQL connection string)";
  char* error = nullptr;
  const std::string text(conninfo);
  PQconninfoOption* options = pq().PQconninfoParse(text.c_str(), &error);
  if (error) pq().PQfreemem(error);
  if (!options) return "(unparseable connection string)";
  std::string out;
  for (const PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    if (!out.empty()) out += ' ';
    out += o->keyword;
    out += '=';
    out += is_secret(o->keyword) ? "****" : o->val;
  }
  pq().PQconninfoFree(options);
  return out;
}

result<pg_connection> pg_connection::open(const std::string& conninfo, int connect_timeout_s,
                                          std::string* why) {
  std::string missing;
  if (!detail::load_libpq(&missing)) {
    if (why) *why = std::move(missing);
    return store_errc::unavailable;
  }
  const std::string timeout = std::to_string(connect_timeout_s);
  const char* keywords[] = {"dbname", "connect_timeout", nullptr};
  const char* values[] = {conninfo.c_str(), timeout.c_str(), nullptr};
  // expand_dbname: the connection string is parsed as the dbname's value, as libpq documents.
  PGconn* conn = pq().PQconnectdbParams(keywords, values, 1);
  if (!conn) return store_errc::unavailable;
  if (pq().PQstatus(conn) != CONNECTION_OK) {
    if (why) *why = trimmed(pq().PQerrorMessage(conn));
    pq().PQfinish(conn);
    return store_errc::unavailable;
  }
  // libpq prints the server's notices and warnings on stderr by default, as raw lines between
  // Pons's structured ones (and a restart's "terminating connection" among them): the errors
  // that matter reach the caller as values instead.
  pq().PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return pg_connection(conn, redacted_conninfo(conninfo));
}

pg_connection::pg_connection(pg_connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      held_(std::move(other.held_)),
      table_depths_(std::move(other.table_depths_)),
      description_(std::move(other.description_)),
      last_error_(std::move(other.last_error_)) {}

pg_connection& pg_connection::operator=(pg_connection&& other) noexcept {
  if (this != &other) {
    if (conn_) pq().PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    held_ = std::move(other.held_);
    table_depths_ = std::move(other.table_depths_);
    description_ = std::move(other.description_);
    last_error_ = std::move(other.last_error_);
  }
  return *this;
}

pg_connection::~pg_connection() {
  if (conn_) pq().PQfinish(conn_);
}

boost::system::error_code pg_connection::fail_from_result(const void* raw) {
  const auto* res = static_cast<const PGresult*>(raw);
  const char* state = res ? pq().PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  last_error_ = trimmed(res ? pq().PQresultErrorMessage(res) : pq().PQerrorMessage(conn_));
  if (last_error_.empty()) last_error_ = trimmed(pq().PQerrorMessage(conn_));
  if (state) last_error_ += std::string(" (SQLSTATE ") + state + ")";
  // No SQLSTATE: libpq's own failure, which is the connection's (the server went away).
  if (pq().PQstatus(conn_) != CONNECTION_OK || !state) return store_errc::unavailable;
  return store_errc_for_sqlstate(state);
}

result<pg_rows> pg_connection::query(std::string_view sql, const std::vector<pg_param>& params) {
  const pg_sql translated = to_pg_sql(sql);
  std::vector<const char*> values(static_cast<std::size_t>(translated.parameters), nullptr);
  for (std::size_t n = 0; n < params.size() && n < translated.position.size(); ++n) {
    const int k = translated.position[n];
    if (k > 0 && params[n]) values[static_cast<std::size_t>(k - 1)] = params[n]->c_str();
  }
  auto res = run_once(translated.text, values);
  if (!res) return res.error();
  const ::pg_result* raw = res->native();
  pg_rows out;
  const int columns = pq().PQnfields(raw);
  for (int c = 0; c < columns; ++c) out.columns.emplace_back(pq().PQfname(raw, c));
  out.rows.reserve(static_cast<std::size_t>(res->rows()));
  for (int r = 0; r < res->rows(); ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      row.emplace_back(res->is_null(r, c) ? std::nullopt
                                          : std::optional<std::string>(res->value(r, c)));
    }
    out.rows.push_back(std::move(row));
  }
  out.affected = res->affected();
  return out;
}

result<void> pg_connection::prepare(const std::string& name, std::string_view sql) {
  if (auto queued = finish_deferred(); !queued) return queued.error();
  const std::string text(sql);
  auto r = checked(pg_rowset(pq().PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr)));
  if (!r) return r.error();
  return {};
}

result<void> pg_connection::defer_prepared(const std::string& name,
                                           const std::vector<const char*>& values) {
  if (!held_.empty() && !sending_held_) {
    // After rows held back: it may change one of them (an UPDATE of a row just inserted).
    pg_values copied;
    copied.reserve(values.size());
    for (const char* v : values) copied.push_back(v ? std::optional<std::string>(v) : std::nullopt);
    held_.add_later(name, std::move(copied));
    return {};
  }
  return send_deferred(name, values);
}

void pg_connection::defer_row(const std::string& name, const pg_insert_shape& shape,
                              pg_values values) {
  held_.add_row(name, shape, std::move(values));
}

result<void> pg_connection::load_table_depths() {
  if (table_depths_) return {};
  auto refs = run_once(
      "SELECT c.relname, p.relname FROM pg_constraint k "
      "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
      "WHERE k.contype = 'f' AND c.relnamespace = "
      "(SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
      {});
  if (!refs) return refs.error();
  std::vector<std::pair<std::string, std::string>> references;
  for (int r = 0; r < refs->rows(); ++r)
    references.emplace_back(refs->value(r, 0), refs->value(r, 1));
  table_depths_ = pg_table_depths(references);
  return {};
}

result<void> pg_connection::send_held() {
  if (held_.empty() || sending_held_) return {};
  sending_held_ = true;
  auto sent = load_table_depths();
  if (sent) {
    sent = held_.send(
        *table_depths_,
        [this](const std::string& name, const std::vector<const char*>& values) {
          return send_deferred(name, values);
        },
        [this](const std::string& name, const std::string& sql) { return prepare(name, sql); },
        [this](const std::string& sql) { return defer_once(sql); });
  }
  held_.clear();
  sending_held_ = false;
  return sent;
}

result<void> pg_connection::send_deferred(const std::string& name,
                                          const std::vector<const char*>& values) {
  if (pq().PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && pq().PQenterPipelineMode(conn_) == 0) {
    return fail_from_result(nullptr);
  }
  // libpq copies the values into its output buffer here.
  if (pq().PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                               nullptr, nullptr, 0) == 0) {
    return fail_from_result(nullptr);
  }
  ++deferred_;
  return {};
}

result<void> pg_connection::defer_once(const std::string& sql) {
  if (auto held = send_held(); !held) return held.error();
  if (pq().PQpipelineStatus(conn_) == PQ_PIPELINE_OFF && pq().PQenterPipelineMode(conn_) == 0) {
    return fail_from_result(nullptr);
  }
  if (pq().PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 0) {
    return fail_from_result(nullptr);
  }
  ++deferred_;
  return {};
}

result<void> pg_connection::finish_deferred() {
  if (auto held = send_held(); !held) return held.error();
  if (pq().PQpipelineStatus(conn_) == PQ_PIPELINE_OFF) return {};
  auto r = collect_pipeline(false);
  if (!r) return r.error();
  return {};
}

result<pg_rowset> pg_connection::collect_pipeline(bool last) {
  std::optional<boost::system::error_code> first_failure;
  if (pq().PQpipelineSync(conn_) == 0) first_failure = fail_from_result(nullptr);
  // Results arrive in order: each statement's, then a null; after a failure the rest of the
  // pipeline as PGRES_PIPELINE_ABORTED; last the sync's PGRES_PIPELINE_SYNC. Two nulls in a row
  // mean nothing more is coming (the connection is gone).
  const std::size_t queued = deferred_;
  deferred_ = 0;
  std::size_t statement = 0;
  pg_rowset mine;
  for (int nulls = 0; !first_failure || pq().PQstatus(conn_) == CONNECTION_OK;) {
    PGresult* res = pq().PQgetResult(conn_);
    if (!res) {
      if (++nulls == 2) break;
      ++statement;
      continue;
    }
    nulls = 0;
    const auto status = pq().PQresultStatus(res);
    if (status == PGRES_PIPELINE_SYNC) {
      pq().PQclear(res);
      break;
    }
    const bool failed = status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK;
    if (failed && !first_failure) first_failure = fail_from_result(res);
    if (last && statement == queued && !failed && !mine.native()) {
      mine = pg_rowset(res);  // the caller's own statement, sent after the queued ones
    } else {
      pq().PQclear(res);
    }
  }
  if (pq().PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) (void)pq().PQexitPipelineMode(conn_);
  if (first_failure) return *first_failure;
  if (!last) return pg_rowset();
  return checked(std::move(mine));
}

result<pg_rowset> pg_connection::after_queued(int sent) {
  if (sent == 0) {
    auto failure = fail_from_result(nullptr);
    (void)collect_pipeline(false);
    return failure;
  }
  return collect_pipeline(true);
}

result<pg_rowset> pg_connection::run_prepared(const std::string& name,
                                              const std::vector<const char*>& values) {
  if (auto held = send_held(); !held) return held.error();
  if (pq().PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
    return after_queued(pq().PQsendQueryPrepared(
        conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0));
  }
  pg_rowset res(pq().PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()),
                                    values.data(), nullptr, nullptr, 0));
  return checked(std::move(res));
}

result<pg_rowset> pg_connection::run_once(std::string_view sql,
                                          const std::vector<const char*>& values) {
  if (auto held = send_held(); !held) return held.error();
  const std::string text(sql);
  if (pq().PQpipelineStatus(conn_) != PQ_PIPELINE_OFF) {
    return after_queued(pq().PQsendQueryParams(conn_, text.c_str(), static_cast<int>(values.size()),
                                               nullptr, values.data(), nullptr, nullptr, 0));
  }
  pg_rowset res(pq().PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0));
  return checked(std::move(res));
}

result<pg_rowset> pg_connection::checked(pg_rowset res) {
  const ::pg_result* raw = res.native();
  const auto status = raw ? pq().PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return fail_from_result(raw);
  return res;
}

std::vector<std::string> pg_connection::take_notifications() {
  std::vector<std::string> payloads;
  if (pq().PQconsumeInput(conn_) == 0) return payloads;
  const int self = pq().PQbackendPID(conn_);
  while (PGnotify* n = pq().PQnotifies(conn_)) {
    if (n->be_pid != self) payloads.emplace_back(n->extra);
    pq().PQfreemem(n);
  }
  return payloads;
}

bool pg_connection::in_transaction() const {
  const auto status = pq().PQtransactionStatus(conn_);
  return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

bool pg_connection::broken() const {
  return pq().PQstatus(conn_) != CONNECTION_OK;
}

bool pg_connection::reconnect() {
  deferred_ = 0;
  held_.clear();
  held_.forget_prepared();
  pq().PQreset(conn_);
  return pq().PQstatus(conn_) == CONNECTION_OK;
}

bool pg_connection::transaction_failed() const {
  return pq().PQtransactionStatus(conn_) == PQTRANS_INERROR;
}

result<void> pg_connection::exec(std::string_view sql) {
  // Several statements in one text need the simple protocol, which pipeline mode does not take:
  // what is queued goes first, in a round trip of its own.
  if (auto queued = finish_deferred(); !queued) return queued.error();
  const std::string text(sql);
  auto r = checked(pg_rowset(pq().PQexec(conn_, text.c_str())));
  if (!r) return r.error();
  return {};
}

}  // namespace pons::store
