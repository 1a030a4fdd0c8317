// Fuzzes the Graph error parser: any body, any status, always a typed error with a hint.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pons/domain/meta_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  int status = size > 0 ? 400 + data[0] % 200 : 500;
  auto error = pons::domain::parse_graph_error(body, status);
  if (error.hint().empty() || error.explain().empty()) std::abort();
  return 0;
}
