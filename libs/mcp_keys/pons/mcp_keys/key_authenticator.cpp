#include "pons/mcp_keys/key_authenticator.hpp"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "pons/auth/access.hpp"
#include "pons/auth/bearer.hpp"
#include "pons/auth/protected_resource.hpp"
#include "pons/mcp_keys/key_validity.hpp"
#include "pons/mcp_keys/public_endpoint.hpp"
#include "pons/store/api_key_repository.hpp"
#include "pons/store/database.hpp"
#include "pons/store/oauth_repository.hpp"

namespace pons::mcp_keys {

namespace {

// What every call of the authenticator shares: one connection, one rate limiter.
struct key_state {
  key_state(store::database d, const mcp::registry& r, key_auth_options o)
      : db(std::move(d)),
        tools(r),
        options(std::move(o)),
        limiter(options.rate),
        oauth_limiter(options.rate) {}
  std::mutex mutex;  // guards db
  store::database db;
  const mcp::registry& tools;
  key_auth_options options;
  auth::key_rate_limiter limiter;        // per API key
  auth::key_rate_limiter oauth_limiter;  // per OAuth grant, at the same rate
};

// Access tokens of Pons's OAuth authorization server start so; API keys start "pons_" and a
// base62 lookup, never "pons_at_".
constexpr std::string_view oauth_token_start = "pons_at_";

std::string held_scopes(const auth::grant& g) {
  std::string out;
  for (auto s : g.scopes) {
    if (!out.empty()) out += ",";
    out += mcp::to_string(s);
  }
  return out.empty() ? std::string("none") : out;
}

bool is_authorization(std::string_view name) {
  constexpr std::string_view wanted = "authorization";
  if (name.size() != wanted.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != wanted[i]) return false;
  }
  return true;
}

mcp_http::auth_decision refused(int status, std::string challenge, std::string message) {
  mcp_http::auth_decision d;
  d.status = status;
  if (!challenge.empty()) d.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  d.message = std::move(message);
  return d;
}

// The check of each parsed message: a tool the key lacks the scope for is answered 403 with the
// insufficient_scope challenge, and a message the assistant can act on.
mcp_http::message_check scope_check(std::shared_ptr<key_state> state, auth::grant grant,
                                    std::string metadata) {
  return [state = std::move(state), grant = std::move(grant), metadata = std::move(metadata)](
             const boost::json::value& message) -> std::optional<mcp_http::message_refusal> {
    auto verdict = auth::decide(grant, message, state->tools);
    if (verdict.allowed) return std::nullopt;
    mcp_http::message_refusal r;
    r.status = 403;
    r.headers.emplace_back("WWW-Authenticate", auth::challenge_insufficient_scope(
                                                   metadata, verdict.needed, verdict.reason));
    if (verdict.needed.empty()) {
      r.message = fmt::format("{}: no API key may call it over /mcp", verdict.reason);
    } else {
      std::string wanted;
      for (auto s : verdict.needed) {
        if (!wanted.empty()) wanted += ",";
        wanted += mcp::to_string(s);
      }
      r.message = fmt::format(
          "{} (this key has: {}). Use a key that has it: an administrator can create one with "
          "`pons-webhook keys create --name NAME --scopes {}`",
          verdict.reason, held_scopes(grant), wanted);
    }
    return r;
  };
}

mcp_http::auth_decision too_many_calls(const auth::rate_decision& rate, std::string_view who) {
  mcp_http::auth_decision d;
  d.status = 429;
  d.headers.emplace_back("Retry-After", std::to_string(rate.retry_after.count()));
  d.message = fmt::format(
      "this {} made more calls than its rate allows: try again in {} s (an administrator sets "
      "the rate with --mcp-key-burst and --mcp-key-rate)",
      who, rate.retry_after.count());
  return d;
}

mcp_http::auth_decision store_unavailable() {
  // The store failed (a lock held too long, a broken file): not the client's fault.
  auto d = refused(503, {}, "the credentials could not be checked just now: try again shortly");
  d.headers.emplace_back("Retry-After", "1");
  return d;
}

mcp_http::auth_decision allowed(std::shared_ptr<key_state> state, std::string principal,
                                auth::grant grant, std::string metadata) {
  mcp_http::auth_decision d;
  d.status = 0;
  d.principal = std::move(principal);
  d.account = grant.account;
  d.scopes = grant.scopes;
  d.check = scope_check(std::move(state), std::move(grant), std::move(metadata));
  return d;
}

// An OAuth access token, issued by this listener's authorization server for this endpoint.
mcp_http::auth_decision decide_oauth(const std::shared_ptr<key_state>& state,
                                     std::string_view token, const std::string& resource,
                                     const std::string& metadata) {
  std::unique_lock lock(state->mutex);
  auto access = store::verify_access_token(state->db, token, std::chrono::system_clock::now());
  lock.unlock();
  if (!access) {
    if (access.error().category() != store::oauth_category()) return store_unavailable();
    auto why = access.error().message();
    return refused(401, auth::challenge_invalid_token(metadata, why), why);
  }
  // A token is for the resource it was asked for (RFC 8707): one for another endpoint is refused.
  if (!access->resource.empty() && access->resource != resource) {
    const std::string why = "this access token was issued for another resource";
    return refused(401, auth::challenge_invalid_token(metadata, why), why);
  }
  auto rate = state->oauth_limiter.take(access->grant_id, auth::bucket_clock::now());
  if (!rate.allowed) return too_many_calls(rate, "OAuth grant");
  auth::grant grant;
  for (auto name : {std::string_view("read"), std::string_view("send")}) {
    if (access->scopes.find(name) == std::string::npos) continue;
    if (auto s = mcp::parse_scope(name)) grant.scopes.push_back(*s);
  }
  if (!access->waba_id.empty()) grant.account = mcp::account_scope::only(access->waba_id);
  return allowed(state, grant_principal(access->grant_id), std::move(grant), metadata);
}

mcp_http::auth_decision decide(const std::shared_ptr<key_state>& state,
                               const http::server_request& req) {
  const auto& opt = state->options;
  const auto resource = resource_url(opt.public_url, req, opt.path);
  const auto metadata = resource_metadata_url(resource, opt.path);

  std::vector<std::string_view> fields;
  for (const auto& [name, value] : req.headers) {
    if (is_authorization(name)) fields.push_back(value);
  }
  auto presented = auth::parse_authorization(fields);
  switch (presented.status) {
    case auth::bearer_status::missing:
    case auth::bearer_status::other_scheme:
      if (opt.oauth) {
        return refused(401, auth::challenge_without_token_any_scope(metadata),
                       "this endpoint needs an API key or an OAuth access token: send the header "
                       "Authorization: Bearer <key or token>; an administrator creates keys with "
                       "`pons-webhook keys create`, and OAuth clients sign in as the "
                       "protected-resource metadata describes");
      }
      return refused(401, auth::challenge_without_token(metadata),
                     "this endpoint needs an API key: send the header Authorization: Bearer "
                     "<key>; an administrator creates keys with `pons-webhook keys create`");
    case auth::bearer_status::malformed:
      return refused(401,
                     auth::challenge_invalid_token(
                         metadata, "send one Authorization header: Bearer and the whole key"),
                     "the Authorization header must be one 'Bearer <key>' with the whole key "
                     "`pons-webhook keys create` printed");
    case auth::bearer_status::present:
      break;
  }

  if (presented.token.starts_with(oauth_token_start))
    return decide_oauth(state, presented.token, resource, metadata);

  const auto now = std::chrono::system_clock::now();
  std::unique_lock lock(state->mutex);
  auto key = store::verify_api_key(state->db, presented.token, now);
  if (!key) {
    lock.unlock();
    if (key.error().category() == store::api_key_category()) {
      auto why = key.error().message();
      return refused(401, auth::challenge_invalid_token(metadata, why), why);
    }
    return store_unavailable();
  }
  // A use noted late or not at all costs nothing but a stale `keys list` column.
  (void)store::note_api_key_use(state->db, *key, now);
  lock.unlock();

  auto rate = state->limiter.take(key->id, auth::bucket_clock::now());
  if (!rate.allowed) return too_many_calls(rate, "API key");
  return allowed(state, key_principal(key->id), auth::grant_of(*key), metadata);
}

}  // namespace

store::result<mcp_http::authenticator> key_authenticator(const std::string& db_path,
                                                         const mcp::registry& tools,
                                                         key_auth_options options) {
  store::open_options oo;
  oo.busy_timeout_ms = options.busy_timeout_ms;
  auto db = store::database::open(db_path, oo);
  if (!db) return db.error();
  // Its only write is a key's last use, which a power cut may lose: no fsync on the listener's
  // thread for it.
  if (auto r = db->relax_durability(); !r) return r.error();
  auto state = std::make_shared<key_state>(std::move(*db), tools, std::move(options));
  return mcp_http::authenticator(
      [state](const http::server_request& req) { return decide(state, req); });
}

}  // namespace pons::mcp_keys
