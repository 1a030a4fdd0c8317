#include "verdict.hpp"

#include <sqlite3.h>

#include <map>

namespace pons::power_loss {

namespace {

using row = std::vector<std::string>;

// Every row of `sql` (NULL as ""); an empty result on error, with `error` set.
std::vector<row> query(sqlite3* db, const std::string& sql, std::string* error = nullptr) {
  std::vector<row> rows;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    if (error) *error = sqlite3_errmsg(db);
    return rows;
  }
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    row r;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text = sqlite3_column_text(stmt, i);
      r.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE && error) *error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  return rows;
}

// The database, opened read-write (so it can recover a WAL) and closed on destruction.
struct connection {
  explicit connection(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      error = db ? sqlite3_errmsg(db) : "cannot open";
      sqlite3_close(db);
      db = nullptr;
    } else {
      sqlite3_busy_timeout(db, 10000);
    }
  }
  ~connection() { sqlite3_close(db); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  sqlite3* db = nullptr;
  std::string error;
};

// The wamid an envelope carries ("" when none).
std::string wamid_in(const std::string& body) {
  static const std::string key = "\"wamid\":\"";
  const auto at = body.find(key);
  if (at == std::string::npos) return {};
  const auto from = at + key.size();
  const auto to = body.find('"', from);
  return to == std::string::npos ? std::string() : body.substr(from, to - from);
}

void note(verdict& v, std::string what) {
  if (v.examples.size() < 10) v.examples.push_back(std::move(what));
}

}  // namespace

std::string one_line(std::string text, std::size_t max) {
  for (auto& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  if (text.size() > max) text = text.substr(0, max) + "...";
  return text;
}

std::string integrity_of(const std::string& db_path) {
  connection c(db_path);
  if (!c.db) return "cannot open: " + c.error;
  std::string error;
  auto rows = query(c.db, "PRAGMA integrity_check", &error);
  if (!error.empty()) return "integrity_check failed: " + error;
  std::string report;
  for (const auto& r : rows) report += (report.empty() ? "" : "; ") + r.at(0);
  if (report != "ok") return report.empty() ? "no answer" : one_line(report, 240);
  if (auto broken = query(c.db, "PRAGMA foreign_key_check", &error);
      !broken.empty() || !error.empty())
    return "foreign_key_check: " +
           (error.empty() ? std::to_string(broken.size()) + " rows" : error);
  return "ok";
}

verdict judge(const std::string& db_path, const std::vector<webhook_sent>& payloads,
              const std::vector<send_record>& sends, const std::vector<std::string>& received) {
  verdict v;
  v.integrity = integrity_of(db_path);
  connection c(db_path);
  if (!c.db) {
    v.integrity = "cannot open: " + c.error;
    return v;
  }

  // Inbound messages of the load, by wamid.
  std::map<std::string, long long> stored;
  for (const auto& r :
       query(c.db,
             "SELECT wamid, count(*) FROM messages WHERE wamid LIKE 'wamid.pl.%' GROUP BY wamid"))
    stored[r[0]] = std::stoll(r[1]);
  for (const auto& [wamid, n] : stored) {
    if (n > 1) {
      ++v.duplicated;
      note(v, "stored " + std::to_string(n) + " times: " + wamid);
    }
  }

  // Forwarding: the state of each message's event, and what the target received.
  std::map<std::string, std::string> event_state;
  for (const auto& r : query(c.db,
                             "SELECT e.body, coalesce(d.state, '') FROM webhook_events e "
                             "LEFT JOIN webhook_deliveries d ON d.event_id = e.id"))
    event_state[wamid_in(r[0])] = r[1];
  std::set<std::string> delivered;
  for (const auto& body : received) delivered.insert(wamid_in(body));

  for (const auto& p : payloads) {
    int present = 0;
    for (int i = 0; i < p.messages; ++i)
      present += stored.count(p.prefix + "." + std::to_string(i)) ? 1 : 0;
    if (present != 0 && present != p.messages) {
      ++v.partial;
      note(v, "stored in part (" + std::to_string(present) + " of " + std::to_string(p.messages) +
                  "): " + p.prefix);
    }
    if (!p.acknowledged) {
      if (present == p.messages) ++v.unknown_stored;
      continue;
    }
    ++v.webhooks_checked;
    if (present != p.messages) {
      ++v.lost;
      note(v, "acknowledged webhook lost: " + p.prefix);
    }
    for (int i = 0; i < p.messages; ++i) {
      const auto wamid = p.prefix + "." + std::to_string(i);
      ++v.events_checked;
      const auto it = event_state.find(wamid);
      const std::string state = it == event_state.end() ? "" : it->second;
      if (delivered.count(wamid) || state == "succeeded") {
        ++v.events_delivered;
      } else if (state == "pending" || state == "delivering") {
        ++v.events_queued;
      } else {
        ++v.lost;
        note(v, "forwarding event neither queued nor delivered: " + wamid);
      }
    }
  }

  std::map<std::string, row> by_key;
  for (auto& r : query(c.db,
                       "SELECT idempotency_key, coalesce(wamid, ''), count(*) FROM messages "
                       "WHERE idempotency_key LIKE 'pl-key-%' GROUP BY idempotency_key"))
    by_key[r[0]] = r;
  for (const auto& s : sends) {
    if (!s.done) continue;
    ++v.sends_checked;
    const auto it = by_key.find(s.key);
    if (it == by_key.end() || it->second[1] != s.wamid) {
      ++v.lost;
      note(v, "acknowledged send lost: " + s.key + " (" + s.wamid + ")");
    } else if (it->second[2] != "1") {
      ++v.duplicated;
      note(v, "send stored more than once: " + s.key);
    }
  }
  return v;
}

}  // namespace pons::power_loss
