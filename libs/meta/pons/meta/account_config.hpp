#pragma once
// WhatsApp Business accounts and their numbers, as configured: from the environment (one account,
// one number) and/or a JSON config file (several). Holds secrets: never log or store these values.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/store/account_repository.hpp"

namespace pons::meta {

/// Why a configuration could not be loaded.
enum class config_errc {
  file_unreadable = 1,   // cannot open or read the file
  file_too_open,         // readable or writable by group/others
  invalid_json,          // not JSON, or too deep
  invalid_shape,         // JSON but not {accounts:[...]} with string fields
  missing_app_secret,    // an account has no app_secret
  missing_phone_number,  // an account has no phone number
  duplicate_phone_number,
  no_accounts,  // neither environment nor file configured any account
};

/// The error category of config_errc.
const boost::system::error_category& config_category() noexcept;
/// Make an error_code from a config_errc.
boost::system::error_code make_error_code(config_errc e) noexcept;

/// One of our numbers.
struct phone_number {
  std::string phone_number_id;
  std::string display_phone_number;  // optional
};

/// One WhatsApp Business Account with its app credentials.
struct account {
  std::string waba_id;
  std::string app_secret;    // signs webhooks (X-Hub-Signature-256)
  std::string verify_token;  // webhook subscription handshake
  std::string access_token;  // Graph API bearer token
  std::vector<phone_number> phone_numbers;
  std::string source;  // "env", or the config file's path: where the secrets come from
};

/// All configured accounts.
struct account_config {
  std::vector<account> accounts;

  /// The account owning `phone_number_id`, or nullptr (fail closed on unknown numbers).
  const account* find_by_phone_number_id(std::string_view phone_number_id) const;
  /// True when `token` equals some account's non-empty verify token (constant-time per token).
  bool verify_token_matches(std::string_view token) const;
  /// Every configured phone number id, in configuration order.
  std::vector<std::string> phone_number_ids() const;
  /// The first account with WABA id `waba_id`, or nullptr.
  const account* find_by_waba_id(std::string_view waba_id) const;
};

/// Reads an environment variable; returns nullopt when unset. Passed in so tests need no globals.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The single-account configuration from WA_APP_SECRET, WA_WEBHOOK_VERIFY_TOKEN,
/// WA_PHONE_NUMBER_ID, WA_ACCESS_TOKEN and WA_WABA_ID. Empty when WA_APP_SECRET is unset.
boost::system::result<account_config> account_config_from_env(const env_lookup& env);

/// Parse a config file's text: {"accounts":[{"waba_id", "app_secret", "verify_token",
/// "access_token", "phone_numbers": ["id" | {"phone_number_id", "display_phone_number"}]}]}.
boost::system::result<account_config> parse_account_config(std::string_view json_text);

/// Load a config file; refuses a file that group or others may read or write.
boost::system::result<account_config> load_account_config(const std::string& path);

/// Merge `extra` into `base` and validate the result (secrets present, numbers unique, at least
/// one account).
boost::system::result<account_config> merge_account_configs(account_config base,
                                                            account_config extra);

/// The accounts a Graph API caller acts for (pons-mcp, `pons-webhook templates sync`): the
/// environment's account (WA_PHONE_NUMBER_ID and/or WA_WABA_ID, with WA_ACCESS_TOKEN; no app
/// secret needed, as nothing is verified) followed by those of the config file `config_path`
/// ("" = none; the same 0600 rule as load_account_config). A phone number id may appear only
/// once; an empty result is valid (nothing configured).
boost::system::result<account_config> load_graph_accounts(const env_lookup& env,
                                                          const std::string& config_path);

/// The accounts as the database records them (store::record_configured_accounts): their WABA
/// ids, numbers, and where each secret that is set comes from ("WA_APP_SECRET" for the
/// environment, "<file>#app_secret" for a config file), never the secrets.
std::vector<store::configured_account> configured_accounts(const account_config& config);

/// Compare two secrets in time independent of where they differ.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace pons::meta

namespace boost::system {
template <>
struct is_error_code_enum<pons::meta::config_errc> : std::true_type {};
}  // namespace boost::system
