// Fuzzes phone formatting: any accepted number is 8 to 15 digits and formatting it again is a
// no-op.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pons/domain/phone.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto formatted = pons::domain::to_meta_format(raw);
  if (!formatted) return 0;
  const std::string& digits = *formatted;
  if (digits.size() < pons::domain::phone_min_digits ||
      digits.size() > pons::domain::phone_max_digits)
    std::abort();
  for (char c : digits)
    if (c < '0' || c > '9') std::abort();
  auto again = pons::domain::to_meta_format(digits);
  if (!again || *again != digits) std::abort();
  return 0;
}
