#include "pons/meta/webhook_signers.hpp"

namespace pons::meta {

webhook_signers::webhook_signers(const account_config& accounts) {
  std::vector<std::string_view> secrets;  // parallel to verifiers_, only while grouping
  for (const auto& a : accounts.accounts) {
    std::size_t signer = secrets.size();
    for (std::size_t i = 0; i < secrets.size(); ++i)
      if (constant_time_equals(secrets[i], a.app_secret)) signer = i;
    if (signer == secrets.size()) {
      secrets.push_back(a.app_secret);
      verifiers_.emplace_back(a.app_secret);
    }
    for (const auto& p : a.phone_numbers) by_number_.emplace(p.phone_number_id, signer);
    if (!a.waba_id.empty()) by_waba_.emplace(a.waba_id, signer);
  }
}

std::optional<std::size_t> webhook_signers::signer_of_number(std::string_view id) const {
  auto it = by_number_.find(id);
  if (it == by_number_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> webhook_signers::signer_of_waba(std::string_view id) const {
  auto it = by_waba_.find(id);
  if (it == by_waba_.end()) return std::nullopt;
  return it->second;
}

bool webhook_signers::verify(std::size_t signer, std::string_view raw, std::string_view header) {
  return signer < verifiers_.size() && verifiers_[signer].verify(raw, header);
}

webhook_signers::found webhook_signers::find(std::string_view raw, std::string_view header,
                                             const id_hints& hints, bool all) {
  found out;
  // A header that cannot be a signature is refused before any HMAC.
  if (!signature_verifier::well_formed(header)) return out;
  std::optional<std::size_t> first, second;  // the hinted secrets, not to be tried twice
  auto attempt = [&](std::size_t signer) {
    ++out.tried;
    if (verifiers_[signer].verify(raw, header)) out.signer = signer;
  };
  if (!hints.phone_number_id.empty()) first = signer_of_number(hints.phone_number_id);
  if (!hints.entry_id.empty()) second = signer_of_waba(hints.entry_id);
  if (second == first) second.reset();
  if (first) attempt(*first);
  if (!out.signer && second) attempt(*second);
  for (std::size_t i = 0; all && !out.signer && i < verifiers_.size(); ++i)
    if (i != first && i != second) attempt(i);
  return out;
}

}  // namespace pons::meta
