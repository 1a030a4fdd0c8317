#pragma once
// Fits a stored image to what an assistant accepts as MCP image content: decodes JPEG, PNG,
// GIF and BMP, scales large ones down preserving the aspect ratio and re-encodes them as JPEG.
// Small images in a format assistants read go through unchanged. Pure: bytes in, bytes out.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace pons::mcp {

/// Why an image could not be fitted.
enum class image_errc {
  corrupt = 1,          // the bytes claim a format pons reads but do not decode
  unsupported_format,   // a format pons cannot decode (WebP, HEIC, ...) that is too large as-is
  too_many_pixels,      // larger than image_limits::max_decode_pixels: not decoded at all
  cannot_fit,           // even the smallest attempt stays above image_limits::max_bytes
  too_large_to_decode,  // decoding needed more memory than image_limits::max_decode_bytes allows
};

/// The category of image_errc ("pons.mcp.image").
const boost::system::error_category& image_category() noexcept;
/// Makes image_errc usable as an error_code.
boost::system::error_code make_error_code(image_errc e) noexcept;

/// What the assistant accepts. The defaults follow Claude: images are scaled to a long side of
/// at most 1568 px and about 1.15 megapixels anyway, and Claude Desktop refuses a tool result
/// over 1 MiB, so the encoded image (base64 adds a third) stays under 700 KiB.
struct image_limits {
  int max_side = 1568;
  std::int64_t max_pixels = 1'150'000;
  std::size_t max_bytes = 700 * 1024;
  int jpeg_quality = 85;
  // Refused from the header alone, before decoding (phone photos are 12-48 MP; Meta accepts
  // images up to 5 MB).
  std::int64_t max_decode_pixels = 40'000'000;
  // What the decoder may hold at once. Each decode gets the memory its header says it needs
  // (decode_memory_estimate) up to this cap: a file that inflates beyond what its header
  // promises (a PNG "zlib bomb") or a format needing more per pixel fails as too_large_to_decode.
  std::size_t max_decode_bytes = 256 * 1024 * 1024;
};

/// What the last decode of fit_image took (for tests and measurements).
struct decode_usage {
  std::size_t budget = 0;  // bytes the decoder was allowed (0: nothing was decoded)
  std::size_t peak = 0;    // most bytes it held at once
  bool exceeded = false;   // it asked for more than the budget and was refused
};

/// The image to send and what was done to it.
struct fitted_image {
  std::string data;       // encoded image bytes
  std::string mime_type;  // image/jpeg after scaling, else the original type
  int width = 0;          // of `data`; 0 when unknown (WebP passed through)
  int height = 0;
  int original_width = 0;
  int original_height = 0;
  bool changed = false;  // false: `data` is the original file
};

/// The image formats told apart by their first bytes.
enum class image_format { unknown, jpeg, png, gif, bmp, webp };

/// Recognises an image by its magic bytes (never by the declared MIME type, which may lie).
image_format sniff_image_format(std::string_view bytes) noexcept;

/// The bytes stb_image may need to decode an image of `width` x `height` with `channels` of
/// `bytes_per_channel` each from a file of `file_bytes`: a generous upper bound for real images
/// (the compressed data twice, the raw samples four times, two 4-byte outputs, 4 MiB of decoder
/// state), not capped.
std::size_t decode_memory_estimate(int width, int height, int channels, int bytes_per_channel,
                                   std::size_t file_bytes) noexcept;

/// Fits `bytes` (declared as `mime_type`) within `limits`. JPEG, PNG and GIF within the limits
/// are checked by decoding and returned unchanged; anything larger, and BMP, becomes a JPEG
/// (transparency over white, a GIF's first frame). A JPEG whose Exif orientation turns or
/// mirrors it is always re-encoded upright (sizes are then those seen). WebP cannot be decoded:
/// returned unchanged when within max_bytes, else unsupported_format. The decode is bounded by
/// min(decode_memory_estimate, max_decode_bytes); `usage`, when given, receives what it took.
/// Thread-safe; callers bound how many run at once (each may hold up to max_decode_bytes).
boost::system::result<fitted_image> fit_image(std::string_view bytes, std::string_view mime_type,
                                              const image_limits& limits = {},
                                              decode_usage* usage = nullptr);

}  // namespace pons::mcp

namespace boost::system {
template <>
struct is_error_code_enum<pons::mcp::image_errc> : std::true_type {};
}  // namespace boost::system
