#pragma once
// Accounts (WhatsApp Business Accounts) and their phone numbers. Secrets are never stored: an
// account holds only the names (references) of the environment variables or config keys that
// carry its app secret, access token and verify token.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/error.hpp"
#include "pons/store/timestamp.hpp"

namespace pons::store {

class database;

/// One row of `accounts`.
struct account_record {
  std::int64_t id = 0;
  std::string waba_id;
  std::string name;
  std::string app_secret_ref;    // e.g. "WA_APP_SECRET"; never the secret itself
  std::string access_token_ref;  // e.g. "WA_ACCESS_TOKEN"
  std::string verify_token_ref;  // e.g. "WA_WEBHOOK_VERIFY_TOKEN"
};

/// One row of `phone_numbers`, with its account's WABA id.
struct phone_number_record {
  std::int64_t id = 0;
  std::string phone_number_id;
  std::int64_t account_id = 0;
  std::string waba_id;
  std::string display_phone_number;
  std::string verified_name;
  bool is_default = false;
};

/// Inserts or updates the account with `a.waba_id`; non-empty fields overwrite. Returns its id.
result<std::int64_t> upsert_account(database& db, const account_record& a, time_point now);

/// Inserts or updates a phone number under the account `waba_id` (created when missing);
/// non-empty fields overwrite, `is_default` is written as given. Returns its id.
result<std::int64_t> upsert_phone_number(database& db, std::string_view waba_id,
                                         const phone_number_record& p, time_point now);

/// Makes sure the phone number exists (creating it and its account when missing) without
/// overwriting what is known; fills in an empty display number. Returns its id.
result<std::int64_t> ensure_phone_number(database& db, std::string_view waba_id,
                                         std::string_view phone_number_id,
                                         std::string_view display_phone_number, time_point now);

/// One of our numbers as configured.
struct configured_number {
  std::string phone_number_id;
  std::string display_phone_number;  // "" when not configured
};

/// An account as pons-webhook and pons-mcp are configured with it: its WABA id, its numbers and
/// the names of the places its secrets come from (never the secrets).
struct configured_account {
  std::string waba_id;
  std::string app_secret_ref;    // e.g. "WA_APP_SECRET" or "<file>#app_secret"; "" = none
  std::string access_token_ref;  // "" = none
  std::string verify_token_ref;  // "" = none
  std::vector<configured_number> phone_numbers;
};

/// Records the configured accounts and their numbers (creating or updating them, keeping what
/// is known: names, default flags), so tools and conversations can name them before the first
/// webhook arrives. Accounts without a WABA id are skipped: the first webhook's entry id names
/// them. One transaction. Both binaries call this at start.
result<void> record_configured_accounts(database& db,
                                        const std::vector<configured_account>& accounts,
                                        time_point now);

/// Every account, by id.
result<std::vector<account_record>> list_accounts(database& db);

/// Every phone number with its WABA id, default first.
result<std::vector<phone_number_record>> list_phone_numbers(database& db);

/// The phone number with Meta id `phone_number_id`, or nullopt.
result<std::optional<phone_number_record>> find_phone_number(database& db,
                                                             std::string_view phone_number_id);

}  // namespace pons::store
