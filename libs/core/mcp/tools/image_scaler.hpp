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
  corrupt = 1,         // the bytes claim a format pons reads but do not decode
  unsupported_format,  // a format pons cannot decode (WebP, HEIC, ...) that is too large as-is
  too_many_pixels,     // larger than image_limits::max_decode_pixels: not decoded at all
  cannot_fit,          // even the smallest attempt stays above image_limits::max_bytes
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
  std::int64_t max_decode_pixels = 50'000'000;  // bounds the memory a decode may take
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

/// Fits `bytes` (declared as `mime_type`) within `limits`. JPEG, PNG and GIF within the limits
/// are checked by decoding and returned unchanged; anything larger, and BMP, becomes a JPEG
/// (transparency over white, a GIF's first frame). A JPEG whose Exif orientation turns or
/// mirrors it is always re-encoded upright (sizes are then those seen). WebP cannot be decoded:
/// returned unchanged when within max_bytes, else unsupported_format.
boost::system::result<fitted_image> fit_image(std::string_view bytes, std::string_view mime_type,
                                              const image_limits& limits = {});

}  // namespace pons::mcp

namespace boost::system {
template <>
struct is_error_code_enum<pons::mcp::image_errc> : std::true_type {};
}  // namespace boost::system
