#pragma once
// Shared helpers for the store_*_test.cpp files: a fresh temporary directory per test, and a
// fresh database in one with a fixed "now". Run through pons-pg-run (PONS_TEST_POSTGRESQL set),
// the database is a fresh schema on that PostgreSQL server instead: the tests tagged [backends]
// run that way too.

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>

#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/message_repository.hpp"
#include "pons/store/pg_connection.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pons-store-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  /// A path inside the directory.
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// The PostgreSQL server the tests use instead of SQLite files (pons-pg-run sets it), or empty.
inline std::string test_postgresql_url() {
  const char* url = std::getenv("PONS_TEST_POSTGRESQL");
  return url ? std::string(url) : std::string();
}

/// Where a test's database lives: `name` in `dir`, or, on PostgreSQL, a schema of its own (the
/// same one for the same `dir` and `name`, so a test can open it again; the URL makes it the
/// connection's search path).
inline std::string test_database_location(const temp_dir& dir,
                                          const std::string& name = "pons.db") {
  const std::string server = test_postgresql_url();
  if (server.empty()) return dir.file(name);
  std::string schema = "t_";
  for (unsigned char c : dir.file(name)) {
    static constexpr char hex[] = "0123456789abcdef";
    if (std::isalnum(c)) {
      schema += hex[c >> 4];
      schema += hex[c & 15];
    }
  }
  // The folder's random part and the name are at the end; identifiers stop at 63 bytes.
  if (schema.size() > 60) schema = "t_" + schema.substr(schema.size() - 58);
  auto admin = pg_connection::open(server);
  if (!admin || !admin->exec("CREATE SCHEMA IF NOT EXISTS " + schema)) {
    throw std::runtime_error("cannot create a schema on " + redacted_conninfo(server));
  }
  return server + (server.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

/// Makes every insert of a message whose text is "boom" fail (a fault the tests inject):
/// a temporary trigger on SQLite, a trigger in the test's own schema on PostgreSQL.
inline void refuse_boom_messages(database& db) {
  const bool ok =
      db.kind() == backend::sqlite
          ? db.exec(
                  "CREATE TEMP TRIGGER refuse_boom BEFORE INSERT ON messages "
                  "WHEN new.text = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END")
                .has_value()
          : db.exec(
                  "CREATE OR REPLACE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql "
                  "AS $$ BEGIN IF NEW.text = 'boom' THEN RAISE EXCEPTION 'refused' USING ERRCODE = "
                  "'check_violation'; "
                  "END IF; "
                  "RETURN NEW; END $$; "
                  "CREATE TRIGGER refuse_boom BEFORE INSERT ON messages FOR EACH ROW "
                  "EXECUTE FUNCTION refuse_boom()")
                .has_value();
  if (!ok) throw std::runtime_error("cannot install the refuse_boom trigger");
}

/// Runs a test's seed SQL, written for SQLite, on either engine: SQLite's
/// strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-3 days', ...) becomes the time it names, and on
/// PostgreSQL the identity columns continue after the ids the seed wrote.
inline result<void> run_seed_sql(database& db, std::string sql) {
  static const std::regex call(
      R"(strftime\('%Y-%m-%dT%H:%M:%fZ', 'now'((?:, '[+-]\d+ (?:days|hours|minutes|seconds)')*)\))");
  static const std::regex offset(R"('([+-]\d+) (days|hours|minutes)')");
  std::string out;
  auto begin = std::sregex_iterator(sql.begin(), sql.end(), call);
  std::size_t copied = 0;
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    auto when = now;
    const std::string offsets = (*it)[1].str();
    for (auto o = std::sregex_iterator(offsets.begin(), offsets.end(), offset);
         o != std::sregex_iterator(); ++o) {
      const int n = std::stoi((*o)[1].str());
      const std::string unit = (*o)[2].str();
      when += unit == "days"      ? std::chrono::seconds(86400 * n)
              : unit == "hours"   ? std::chrono::seconds(3600 * n)
              : unit == "minutes" ? std::chrono::seconds(60 * n)
                                  : std::chrono::seconds(n);
    }
    out.append(sql, copied, static_cast<std::size_t>(it->position()) - copied);
    out += "'" + format_timestamp(when) + "'";
    copied = static_cast<std::size_t>(it->position() + it->length());
  }
  out.append(sql, copied);
  if (auto r = db.exec(out); !r) return r;
  if (db.kind() != backend::postgresql) return {};
  return db.exec(
      "DO $$ DECLARE r record; BEGIN "
      "FOR r IN SELECT c.relname AS tbl, a.attname AS col FROM pg_attribute a "
      "JOIN pg_class c ON c.oid = a.attrelid WHERE a.attidentity <> '' "
      "AND c.relnamespace = current_schema()::regnamespace LOOP "
      "EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), "
      "coalesce((SELECT max(%I) FROM %I), 0) + 1, false)', r.tbl, r.col, r.col, r.tbl); "
      "END LOOP; END $$");
}

/// The instant an ISO 8601 UTC text names (a valid one: tests write them).
inline time_point at(const char* iso) {
  return *parse_timestamp(iso);
}

/// An outbound text from number PN1 (account WABA1) to `to` that Meta accepted as `wamid`: its
/// row id.
inline std::int64_t sent_text(database& db, const std::string& to, const std::string& wamid,
                              time_point now, const std::string& text = "hello") {
  outbound_message out;
  out.phone_number_id = "PN1";
  out.waba_id = "WABA1";
  out.to.wa_id = to;
  out.type = "text";
  out.text = text;
  const auto id = insert_outbound_pending(db, out, now).value().position.id;
  if (!mark_outbound_sent(db, id, wamid, now)) throw std::runtime_error("mark_outbound_sent");
  return id;
}

/// Number PN1 of account WABA1, made sure of: the account's row id.
inline std::int64_t pn1_account(database& db, time_point now) {
  if (!ensure_phone_number(db, "WABA1", "PN1", "15550001111", now))
    throw std::runtime_error("ensure_phone_number");
  return find_phone_number(db, "PN1").value()->account_id;
}

/// A new database in a directory of its own, and the time the test calls now.
struct database_fixture {
  temp_dir dir;
  database db = std::move(database::open(test_database_location(dir)).value());
  time_point now = at("2026-11-25T14:00:00.000Z");
};

}  // namespace pons::store::test
