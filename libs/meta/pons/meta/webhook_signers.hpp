#pragma once
// Who signed a webhook: the configured app secrets, each once (accounts of one Meta app share
// theirs), with the numbers and WABA ids of the accounts using it. The signature is checked over
// the raw bytes before anything parses them, so a body nobody signed costs HMACs, not a parse.
// Holds secrets (inside the HMAC key schedules); not thread-safe: one per thread.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pons/meta/account_config.hpp"
#include "pons/meta/signature.hpp"
#include "pons/meta/webhook_ids.hpp"

namespace pons::meta {

/// The distinct app secrets of a configuration, as signature verifiers numbered 0..size()-1.
class webhook_signers {
 public:
  /// Groups the accounts of `accounts` by app secret (compared in constant time).
  explicit webhook_signers(const account_config& accounts);

  /// How many distinct secrets there are.
  std::size_t size() const { return verifiers_.size(); }

  /// The signer of the account owning number `id` (a canonical id), or nullopt when no account
  /// has that number.
  std::optional<std::size_t> signer_of_number(std::string_view id) const;

  /// The signer of the account whose configured WABA id is `id`, or nullopt.
  std::optional<std::size_t> signer_of_waba(std::string_view id) const;

  /// True when `header` is `signer`'s signature of exactly `raw` (constant-time compare).
  bool verify(std::size_t signer, std::string_view raw, std::string_view header);

  /// What find() learnt.
  struct found {
    std::optional<std::size_t> signer;  // whose signature `header` is, if any secret was tried
    std::size_t tried = 0;              // HMACs computed over the body
  };

  /// Which secret signed `raw`: first those of the accounts `hints` name (at most two), then,
  /// when `all`, every other one; each secret is tried at most once.
  found find(std::string_view raw, std::string_view header, const id_hints& hints, bool all);

 private:
  std::vector<signature_verifier> verifiers_;
  std::map<std::string, std::size_t, std::less<>> by_number_;
  std::map<std::string, std::size_t, std::less<>> by_waba_;
};

}  // namespace pons::meta
