#pragma once
// Test support for the admin command tests (cli_*_admin_test.cpp): what a run printed, the
// fixed time they run at, and a fresh database with one recorded account. Header-only.

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "pons/store/account_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/timestamp.hpp"
#include "unit/store_test_util.hpp"

namespace pons::test {

/// How an admin command ended: its exit code and what it wrote to stdout and stderr.
struct cli_result {
  int code;
  std::string out;
  std::string err;
};

/// The time the admin command tests run at.
inline const store::time_point admin_cli_now = *store::parse_timestamp("2026-11-25T14:00:00.000Z");

/// The WABA id of the account admin_db records.
inline constexpr std::string_view admin_cli_waba_id = "100000000000001";

/// A fresh database in a temporary directory, with the account admin_cli_waba_id recorded
/// (named `account_name`, or unnamed).
struct admin_db {
  store::test::temp_dir dir;
  store::database db = std::move(store::database::open(dir.file("pons.db")).value());

  explicit admin_db(std::string account_name = {}) {
    store::account_record a;
    a.waba_id = std::string(admin_cli_waba_id);
    a.name = std::move(account_name);
    REQUIRE(store::upsert_account(db, a, admin_cli_now).has_value());
  }
};

}  // namespace pons::test
