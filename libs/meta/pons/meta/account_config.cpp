#include "pons/meta/account_config.hpp"

#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <set>
#include <sstream>

namespace pons::meta {

namespace json = boost::json;

namespace {

class config_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.config"; }
  std::string message(int ev) const override {
    switch (static_cast<config_errc>(ev)) {
      case config_errc::file_unreadable:
        return "the config file cannot be read; check the path and its permissions";
      case config_errc::file_too_open:
        return "the config file holds secrets but group or others can access it; run chmod 600";
      case config_errc::invalid_json:
        return "the config file is not valid JSON";
      case config_errc::invalid_shape:
        return "the config file must be {\"accounts\": [{\"waba_id\", \"app_secret\", "
               "\"verify_token\", \"access_token\", \"phone_numbers\": [...]}]} with string "
               "values";
      case config_errc::missing_app_secret:
        return "an account has no app secret; set WA_APP_SECRET or app_secret in the config file";
      case config_errc::missing_phone_number:
        return "an account has no phone number id; set WA_PHONE_NUMBER_ID or phone_numbers in "
               "the config file";
      case config_errc::duplicate_phone_number:
        return "the same phone number id is configured twice";
      case config_errc::no_accounts:
        return "no account configured; set WA_APP_SECRET and WA_PHONE_NUMBER_ID or pass --config";
    }
    return "unknown configuration error";
  }
};

// An optional string member; `bad` is set when the member exists with another type.
std::optional<std::string> string_field(const json::object& o, std::string_view key, bool& bad) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    bad = true;
    return std::nullopt;
  }
  return std::string(it->value().get_string());
}

}  // namespace

const boost::system::error_category& config_category() noexcept {
  static const config_category_impl category;
  return category;
}

boost::system::error_code make_error_code(config_errc e) noexcept {
  return {static_cast<int>(e), config_category()};
}

std::vector<store::configured_account> configured_accounts(const account_config& config) {
  std::vector<store::configured_account> out;
  for (const auto& a : config.accounts) {
    store::configured_account c;
    c.waba_id = a.waba_id;
    const bool env = a.source == "env";
    auto ref = [&](const std::string& secret, const char* variable, const char* key) {
      if (secret.empty()) return std::string();
      return env ? std::string(variable) : a.source + "#" + key;
    };
    c.app_secret_ref = ref(a.app_secret, "WA_APP_SECRET", "app_secret");
    c.access_token_ref = ref(a.access_token, "WA_ACCESS_TOKEN", "access_token");
    c.verify_token_ref = ref(a.verify_token, "WA_WEBHOOK_VERIFY_TOKEN", "verify_token");
    for (const auto& p : a.phone_numbers)
      c.phone_numbers.push_back({p.phone_number_id, p.display_phone_number});
    out.push_back(std::move(c));
  }
  return out;
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Length is not secret (Meta's tokens have public formats); the content comparison is.
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

const account* account_config::find_by_phone_number_id(std::string_view id) const {
  if (id.empty()) return nullptr;
  for (const auto& a : accounts)
    for (const auto& p : a.phone_numbers)
      if (p.phone_number_id == id) return &a;
  return nullptr;
}

bool account_config::verify_token_matches(std::string_view token) const {
  if (token.empty()) return false;
  bool ok = false;
  // Compare against every account so the time does not tell which one matched.
  for (const auto& a : accounts)
    if (!a.verify_token.empty() && constant_time_equals(a.verify_token, token)) ok = true;
  return ok;
}

const account* account_config::find_by_waba_id(std::string_view waba_id) const {
  if (waba_id.empty()) return nullptr;
  for (const auto& a : accounts)
    if (a.waba_id == waba_id) return &a;
  return nullptr;
}

std::vector<std::string> account_config::phone_number_ids() const {
  std::vector<std::string> out;
  for (const auto& a : accounts)
    for (const auto& p : a.phone_numbers) out.push_back(p.phone_number_id);
  return out;
}

namespace {

// The account the environment describes (secrets, WABA id, numbers), whatever is set.
account env_account(const env_lookup& env) {
  account a;
  a.app_secret = env("WA_APP_SECRET").value_or("");
  a.verify_token = env("WA_WEBHOOK_VERIFY_TOKEN").value_or("");
  a.access_token = env("WA_ACCESS_TOKEN").value_or("");
  a.waba_id = env("WA_WABA_ID").value_or("");
  a.source = "env";
  // Several numbers of one account may be listed comma-separated.
  std::string ids = env("WA_PHONE_NUMBER_ID").value_or("");
  std::stringstream ss(ids);
  std::string id;
  while (std::getline(ss, id, ',')) {
    auto b = id.find_first_not_of(" \t");
    auto e = id.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    a.phone_numbers.push_back({id.substr(b, e - b + 1), ""});
  }
  return a;
}

}  // namespace

boost::system::result<account_config> account_config_from_env(const env_lookup& env) {
  account_config cfg;
  auto secret = env("WA_APP_SECRET");
  if (!secret || secret->empty()) return cfg;
  account a = env_account(env);
  if (a.phone_numbers.empty()) return make_error_code(config_errc::missing_phone_number);
  cfg.accounts.push_back(std::move(a));
  return cfg;
}

boost::system::result<account_config> load_graph_accounts(const env_lookup& env,
                                                          const std::string& config_path) {
  account_config cfg;
  account a = env_account(env);
  if (!a.phone_numbers.empty() || !a.waba_id.empty()) cfg.accounts.push_back(std::move(a));
  if (!config_path.empty()) {
    auto loaded = load_account_config(config_path);
    if (!loaded) return loaded.error();
    for (auto& f : loaded->accounts) cfg.accounts.push_back(std::move(f));
  }
  std::set<std::string> seen;
  for (const auto& acct : cfg.accounts)
    for (const auto& p : acct.phone_numbers)
      if (!seen.insert(p.phone_number_id).second)
        return make_error_code(config_errc::duplicate_phone_number);
  return cfg;
}

boost::system::result<account_config> parse_account_config(std::string_view text) {
  json::parse_options po;
  po.max_depth = 16;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) return make_error_code(config_errc::invalid_json);
  auto* root = v.if_object();
  if (!root) return make_error_code(config_errc::invalid_shape);
  auto it = root->find("accounts");
  if (it == root->end() || !it->value().is_array())
    return make_error_code(config_errc::invalid_shape);
  account_config cfg;
  for (const auto& item : it->value().get_array()) {
    auto* o = item.if_object();
    if (!o) return make_error_code(config_errc::invalid_shape);
    account a;
    bool bad = false;
    if (auto s = string_field(*o, "waba_id", bad)) a.waba_id = *s;
    if (auto s = string_field(*o, "app_secret", bad)) a.app_secret = *s;
    if (auto s = string_field(*o, "verify_token", bad)) a.verify_token = *s;
    if (auto s = string_field(*o, "access_token", bad)) a.access_token = *s;
    if (bad) return make_error_code(config_errc::invalid_shape);
    if (auto pn = o->find("phone_numbers"); pn != o->end()) {
      if (!pn->value().is_array()) return make_error_code(config_errc::invalid_shape);
      for (const auto& p : pn->value().get_array()) {
        phone_number number;
        if (p.is_string()) {
          number.phone_number_id = std::string(p.get_string());
        } else if (auto* po2 = p.if_object()) {
          if (auto s = string_field(*po2, "phone_number_id", bad)) number.phone_number_id = *s;
          if (auto s = string_field(*po2, "display_phone_number", bad))
            number.display_phone_number = *s;
          if (bad) return make_error_code(config_errc::invalid_shape);
        } else {
          return make_error_code(config_errc::invalid_shape);
        }
        if (number.phone_number_id.empty())
          return make_error_code(config_errc::missing_phone_number);
        a.phone_numbers.push_back(std::move(number));
      }
    }
    cfg.accounts.push_back(std::move(a));
  }
  return cfg;
}

boost::system::result<account_config> load_account_config(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error_code(config_errc::file_unreadable);
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) return make_error_code(config_errc::file_too_open);
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error_code(config_errc::file_unreadable);
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return make_error_code(config_errc::file_unreadable);
  auto cfg = parse_account_config(buf.str());
  if (cfg)
    for (auto& a : cfg->accounts) a.source = path;
  return cfg;
}

boost::system::result<account_config> merge_account_configs(account_config base,
                                                            account_config extra) {
  for (auto& a : extra.accounts) base.accounts.push_back(std::move(a));
  if (base.accounts.empty()) return make_error_code(config_errc::no_accounts);
  std::set<std::string> seen;
  for (const auto& a : base.accounts) {
    if (a.app_secret.empty()) return make_error_code(config_errc::missing_app_secret);
    if (a.phone_numbers.empty()) return make_error_code(config_errc::missing_phone_number);
    for (const auto& p : a.phone_numbers)
      if (!seen.insert(p.phone_number_id).second)
        return make_error_code(config_errc::duplicate_phone_number);
  }
  return base;
}

}  // namespace pons::meta
