// Fuzzes the bounded JSON reader: it must return a value or an error, never crash, and a value it
// accepts must serialise and read back.
#include <boost/json/serialize.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/meta/json_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = pons::meta::read_json(text);
  if (parsed) {
    auto again = pons::meta::read_json(boost::json::serialize(*parsed));
    if (!again || *again != *parsed) std::abort();
  }
  return 0;
}
