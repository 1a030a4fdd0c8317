// Fuzzes the webhook signature check: the first line is the header value, the rest the body.
// A valid signature must verify and any single-byte change to the body must not.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pons/meta/signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto newline = input.find('\n');
  std::string_view header = input.substr(0, newline);
  std::string_view body = newline == std::string_view::npos ? "" : input.substr(newline + 1);
  constexpr std::string_view secret = "fuzz-app-secret";

  (void)pons::meta::verify_signature(body, header, secret);

  std::string good = pons::meta::sign_body(body, secret);
  if (!pons::meta::verify_signature(body, good, secret)) std::abort();
  if (!body.empty()) {
    std::string tampered(body);
    tampered[tampered.size() / 2] ^= 0x01;
    if (pons::meta::verify_signature(tampered, good, secret)) std::abort();
  }
  return 0;
}
