// Fuzzes get_media's image fitting (stb decoders, resize, JPEG encode) on arbitrary bytes: it
// must answer with an error or an image within the limits, never crash. Small limits keep each
// run fast and still exercise scaling.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pons/mcp/tools/image_scaler.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  pons::mcp::image_limits limits;
  limits.max_side = 64;
  limits.max_pixels = 3000;
  limits.max_bytes = 16 * 1024;
  limits.max_decode_pixels = 1 << 20;  // a header may claim any size: stay within memory
  limits.max_decode_bytes = 64 << 20;  // and so may a compressed stream (zlib bombs)
  for (std::string_view mime : {"image/jpeg", "image/webp"}) {
    pons::mcp::decode_usage usage;
    auto r = pons::mcp::fit_image(bytes, mime, limits, &usage);
    // The decoder never holds more than its budget.
    if (usage.peak > usage.budget || usage.budget > limits.max_decode_bytes) std::abort();
    if (!r) continue;
    if (r->data.empty() || r->data.size() > limits.max_bytes) std::abort();
    if (r->changed &&
        (r->width > limits.max_side || r->height > limits.max_side || r->mime_type != "image/jpeg"))
      std::abort();
  }
  return 0;
}
