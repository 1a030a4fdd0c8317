#include "pons/mcp/tools/image_scaler.hpp"

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "pons/mcp/tools/decode_budget.hpp"

namespace pons::mcp {

namespace {

class image_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.mcp.image"; }
  std::string message(int ev) const override {
    switch (static_cast<image_errc>(ev)) {
      case image_errc::corrupt:
        return "the image data is corrupt or truncated and cannot be decoded";
      case image_errc::unsupported_format:
        return "the image format cannot be decoded here (pons reads JPEG, PNG, GIF and BMP) and "
               "the file is too large to pass on unchanged";
      case image_errc::too_many_pixels:
        return "the image has too many pixels to decode safely";
      case image_errc::cannot_fit:
        return "the image cannot be made small enough for the assistant";
      case image_errc::too_large_to_decode:
        return "the image is too large to decode here (it needs more memory than pons allows "
               "for one image)";
    }
    return "unknown image error";
  }
};

const image_category_impl category_instance;

// Frees what stb_image allocated.
struct stbi_deleter {
  void operator()(stbi_uc* p) const noexcept { stbi_image_free(p); }
};
using stbi_pixels = std::unique_ptr<stbi_uc, stbi_deleter>;

bool starts_with(std::string_view bytes, std::string_view magic) {
  return bytes.substr(0, magic.size()) == magic;
}

// Formats an assistant reads as they are (Claude: JPEG, PNG, GIF, WebP).
bool passes_unchanged(image_format f) {
  return f == image_format::jpeg || f == image_format::png || f == image_format::gif ||
         f == image_format::webp;
}

// What a declared MIME type promises, for bytes whose magic is not recognised.
bool mime_is_decodable(std::string_view mime) {
  return mime == "image/jpeg" || mime == "image/jpg" || mime == "image/png" ||
         mime == "image/gif" || mime == "image/bmp";
}

// RGB pixels, 3 bytes each, row after row: either stb's own buffer (a decoded image, kept as
// is to avoid copying tens of megabytes) or ours (a resized one).
struct rgb_image {
  stbi_pixels decoded;
  std::vector<unsigned char> owned;
  int width = 0;
  int height = 0;

  const unsigned char* data() const { return decoded ? decoded.get() : owned.data(); }
};

boost::system::result<rgb_image> decode_rgb(std::string_view bytes, int channels_in_file) {
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  int len = static_cast<int>(bytes.size());
  bool alpha = channels_in_file == 2 || channels_in_file == 4;
  rgb_image out;
  int n = 0;
  out.decoded.reset(stbi_load_from_memory(data, len, &out.width, &out.height, &n, alpha ? 4 : 3));
  if (!out.decoded || out.width <= 0 || out.height <= 0) return image_errc::corrupt;
  if (alpha) {
    // Composite over white (JPEG has no alpha), RGBA -> RGB in place: the write position never
    // passes the read position.
    stbi_uc* p = out.decoded.get();
    std::size_t count = static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height);
    for (std::size_t i = 0; i < count; ++i) {
      unsigned a = p[i * 4 + 3];
      for (std::size_t c = 0; c < 3; ++c) {
        unsigned v = p[i * 4 + c];
        p[i * 3 + c] = static_cast<stbi_uc>((v * a + 255 * (255 - a) + 127) / 255);
      }
    }
  }
  return out;
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                             static_cast<std::size_t>(size));
}

std::string encode_jpeg(const rgb_image& img, int quality) {
  std::string out;
  if (!stbi_write_jpg_to_func(append_bytes, &out, img.width, img.height, 3, img.data(), quality)) {
    out.clear();
  }
  return out;
}

// Returns an empty image (no pixels) when stb_image_resize fails.
rgb_image resize(const rgb_image& img, int width, int height) {
  rgb_image out;
  out.width = width;
  out.height = height;
  out.owned.resize(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  // sRGB-aware filtering: averaging gamma-encoded values would darken fine detail.
  if (!stbir_resize_uint8_srgb(img.data(), img.width, img.height, 0, out.owned.data(), width,
                               height, 0, 3, STBIR_ALPHA_CHANNEL_NONE, 0)) {
    out.owned.clear();
  }
  return out;
}

// Reads a big- or little-endian 16/32-bit value; the caller checked the bounds.
unsigned read16(std::string_view b, std::size_t at, bool big) {
  auto u = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(b[i])); };
  return big ? (u(at) << 8) | u(at + 1) : (u(at + 1) << 8) | u(at);
}

std::uint32_t read32(std::string_view b, std::size_t at, bool big) {
  return big ? (read16(b, at, true) << 16) | read16(b, at + 2, true)
             : (read16(b, at + 2, false) << 16) | read16(b, at, false);
}

// The Orientation value (1-8) of a JPEG's Exif segment. A transform applied to the decoded pixels
// replaces it: stb ignores it, and the JPEG we write carries no Exif.
int orientation_of(std::string_view t) {
  if (t.size() < 8) return 1;
  bool big = t.substr(0, 2) == "MM";
  if (!big && t.substr(0, 2) != "II") return 1;
  std::uint32_t ifd = read32(t, 4, big);
  if (ifd > t.size() || t.size() - ifd < 2) return 1;
  unsigned count = read16(t, ifd, big);
  for (unsigned i = 0; i < count; ++i) {
    std::size_t entry = ifd + 2 + std::size_t{i} * 12;
    if (entry + 12 > t.size()) break;
    if (read16(t, entry, big) == 0x0112 && read16(t, entry + 2, big) == 3) {
      unsigned v = read16(t, entry + 8, big);
      return v >= 1 && v <= 8 ? static_cast<int>(v) : 1;
    }
  }
  return 1;
}

int jpeg_orientation(std::string_view b) {
  std::size_t pos = 2;  // after SOI
  while (pos + 4 <= b.size() && static_cast<unsigned char>(b[pos]) == 0xFF) {
    unsigned marker = static_cast<unsigned char>(b[pos + 1]);
    if (marker == 0xDA || marker == 0xD9) break;  // image data: the headers are over
    std::size_t length = read16(b, pos + 2, true);
    if (length < 2 || pos + 2 + length > b.size()) break;
    std::string_view segment = b.substr(pos + 4, length - 2);
    if (marker == 0xE1 && segment.substr(0, 6) == std::string_view("Exif\0\0", 6)) {
      return orientation_of(segment.substr(6));
    }
    pos += 2 + length;
  }
  return 1;
}

// True when every PNG chunk fits in the bytes. stb reserves a chunk's claimed length before
// reading it, so one forged length would cost a gigabyte-sized allocation.
bool png_chunks_fit(std::string_view b) {
  std::size_t pos = 8;  // after the signature
  while (pos + 12 <= b.size()) {
    std::uint32_t length = read32(b, pos, true);
    if (length > b.size() - pos - 12) return false;
    if (b.substr(pos + 4, 4) == "IEND") return true;
    pos += 12 + std::size_t{length};
  }
  return false;  // no IEND: truncated
}

// The bit depth in a PNG's IHDR (the caller checked the signature and that the chunks fit).
int png_bit_depth(std::string_view b) {
  return b.size() > 24 ? static_cast<unsigned char>(b[24]) : 8;
}

// Orientations 5-8 turn the image a quarter: width and height swap.
bool quarter_turn(int orientation) {
  return orientation >= 5;
}

// The pixels as they are meant to be seen (EXIF orientation 2-8 applied).
rgb_image apply_orientation(const rgb_image& img, int orientation) {
  int w = img.width;
  int h = img.height;
  rgb_image out;
  out.width = quarter_turn(orientation) ? h : w;
  out.height = quarter_turn(orientation) ? w : h;
  out.owned.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 3);
  const unsigned char* src = img.data();
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      // Where the displayed pixel (x, y) is stored.
      int sx = x;
      int sy = y;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4:
          sy = h - 1 - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;
        default:
          break;
      }
      const unsigned char* p = src + (static_cast<std::size_t>(sy) * w + sx) * 3;
      unsigned char* q = out.owned.data() + (static_cast<std::size_t>(y) * out.width + x) * 3;
      q[0] = p[0];
      q[1] = p[1];
      q[2] = p[2];
    }
  }
  return out;
}

// The largest size within the side and pixel limits with the same aspect ratio.
std::pair<int, int> fitted_size(int width, int height, const image_limits& limits) {
  double scale = std::min(1.0, static_cast<double>(limits.max_side) / std::max(width, height));
  double pixels = static_cast<double>(width) * static_cast<double>(height);
  if (pixels * scale * scale > static_cast<double>(limits.max_pixels)) {
    scale = std::sqrt(static_cast<double>(limits.max_pixels) / pixels);
  }
  int w = std::max(1, static_cast<int>(std::floor(width * scale)));
  int h = std::max(1, static_cast<int>(std::floor(height * scale)));
  return {w, h};
}

}  // namespace

const boost::system::error_category& image_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(image_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

std::size_t decode_memory_estimate(int width, int height, int channels, int bytes_per_channel,
                                   std::size_t file_bytes) noexcept {
  // In doubles: a forged header must not wrap the sum around to something small.
  double pixels = static_cast<double>(std::max(width, 0)) * std::max(height, 0);
  double sample_bytes = static_cast<double>(std::max(channels, 1)) * std::max(bytes_per_channel, 1);
  double bytes =
      2.0 * static_cast<double>(file_bytes) + pixels * (4 * sample_bytes + 8) + 4.0 * 1024 * 1024;
  constexpr auto most = static_cast<double>(std::numeric_limits<std::size_t>::max() / 2);
  return bytes >= most ? static_cast<std::size_t>(most) : static_cast<std::size_t>(bytes);
}

image_format sniff_image_format(std::string_view bytes) noexcept {
  if (starts_with(bytes, "\xFF\xD8\xFF")) return image_format::jpeg;
  if (starts_with(bytes, "\x89PNG\r\n\x1A\n")) return image_format::png;
  if (starts_with(bytes, "GIF87a") || starts_with(bytes, "GIF89a")) return image_format::gif;
  if (starts_with(bytes, "BM")) return image_format::bmp;
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF") && bytes.substr(8, 4) == "WEBP") {
    return image_format::webp;
  }
  return image_format::unknown;
}

boost::system::result<fitted_image> fit_image(std::string_view bytes, std::string_view mime_type,
                                              const image_limits& limits, decode_usage* usage) {
  image_format format = sniff_image_format(bytes);
  if (format == image_format::unknown) {
    return mime_is_decodable(mime_type) ? image_errc::corrupt : image_errc::unsupported_format;
  }
  if (format == image_format::webp) {
    // stb has no WebP decoder; WhatsApp stickers are small WebP files assistants read as is.
    if (bytes.size() > limits.max_bytes) return image_errc::unsupported_format;
    fitted_image same;
    same.data = std::string(bytes);
    same.mime_type = "image/webp";
    return same;
  }
  if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return image_errc::too_many_pixels;
  }

  if (format == image_format::png && !png_chunks_fit(bytes)) return image_errc::corrupt;

  // The header alone says how large the decode would be: refuse before allocating.
  int width = 0;
  int height = 0;
  int channels = 0;
  if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                             static_cast<int>(bytes.size()), &width, &height, &channels) ||
      width <= 0 || height <= 0) {
    return image_errc::corrupt;
  }
  if (static_cast<std::int64_t>(width) * height > limits.max_decode_pixels) {
    return image_errc::too_many_pixels;
  }

  // The header bounds the memory a real image of that size needs; anything beyond is refused.
  // (Only the decode is budgeted: scaling allocates a bounded output of at most max_pixels.)
  int bytes_per_channel = format == image_format::png && png_bit_depth(bytes) == 16 ? 2 : 1;
  std::size_t allowed =
      std::min(limits.max_decode_bytes,
               decode_memory_estimate(width, height, channels, bytes_per_channel, bytes.size()));
  boost::system::result<rgb_image> decoded = image_errc::corrupt;
  {
    decode_budget budget(allowed);
    decoded = decode_rgb(bytes, channels);
    if (usage) *usage = decode_usage{budget.limit(), budget.peak(), budget.exceeded()};
    if (!decoded && budget.exceeded()) return image_errc::too_large_to_decode;
  }
  if (!decoded) return decoded.error();
  const rgb_image& full = *decoded;

  // A rotated camera JPEG is re-encoded upright, whatever its size.
  int orientation = format == image_format::jpeg ? jpeg_orientation(bytes) : 1;
  bool turn = quarter_turn(orientation);
  fitted_image out;
  out.original_width = turn ? full.height : full.width;
  out.original_height = turn ? full.width : full.height;
  // Scaled in the stored orientation (the limits are the same either way), turned afterwards.
  auto [w, h] = fitted_size(full.width, full.height, limits);
  if (w == full.width && h == full.height && bytes.size() <= limits.max_bytes &&
      passes_unchanged(format) && orientation == 1) {
    out.data = std::string(bytes);
    out.mime_type = format == image_format::jpeg  ? "image/jpeg"
                    : format == image_format::png ? "image/png"
                                                  : "image/gif";
    out.width = full.width;
    out.height = full.height;
    return out;
  }

  // Lower the quality first, then the size, until the encoding fits max_bytes.
  std::vector<int> qualities{limits.jpeg_quality};
  for (int q : {70, 55, 40}) {
    if (q < limits.jpeg_quality) qualities.push_back(q);
  }
  for (int attempt = 0; attempt < 8; ++attempt) {
    // Same size (a BMP within the limits): encode the decoded pixels as they are.
    rgb_image resized = w == full.width && h == full.height ? rgb_image{} : resize(full, w, h);
    if (resized.width && resized.owned.empty()) return image_errc::cannot_fit;
    if (orientation != 1) resized = apply_orientation(resized.width ? resized : full, orientation);
    const rgb_image& scaled = resized.width ? resized : full;
    for (int q : qualities) {
      std::string jpeg = encode_jpeg(scaled, q);
      if (jpeg.empty()) return image_errc::cannot_fit;
      if (jpeg.size() <= limits.max_bytes) {
        out.data = std::move(jpeg);
        out.mime_type = "image/jpeg";
        out.width = scaled.width;
        out.height = scaled.height;
        out.changed = true;
        return out;
      }
    }
    if (w == 1 && h == 1) break;
    // Both sides from the same factor keep the aspect ratio.
    double shrink = 0.75 * w / full.width;
    w = std::max(1, static_cast<int>(std::floor(full.width * shrink)));
    h = std::max(1, static_cast<int>(std::floor(full.height * shrink)));
  }
  return image_errc::cannot_fit;
}

}  // namespace pons::mcp
