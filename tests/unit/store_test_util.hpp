#pragma once
// Shared helpers for the store_*_test.cpp files: a fresh temporary directory per test, and a
// fresh database in one with a fixed "now".

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>

#include "pons/store/database.hpp"
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

/// The instant an ISO 8601 UTC text names (a valid one: tests write them).
inline time_point at(const char* iso) {
  return *parse_timestamp(iso);
}

/// A new database in a directory of its own, and the time the test calls now.
struct database_fixture {
  temp_dir dir;
  database db = std::move(database::open(dir.file("pons.db")).value());
  time_point now = at("2026-11-25T14:00:00.000Z");
};

}  // namespace pons::store::test
