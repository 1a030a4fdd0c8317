#include <stb_image.h>
#include <stb_image_write.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "pons/mcp/tools/image_scaler.hpp"

using namespace pons::mcp;

namespace {

// Pixels with detail everywhere (a gradient plus noise), so JPEG cannot shrink them to nothing.
std::vector<unsigned char> pixels(int w, int h, int channels, std::uint32_t seed = 1) {
  std::vector<unsigned char> p(static_cast<std::size_t>(w) * h * channels);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int c = 0; c < channels; ++c) {
        seed = seed * 1664525u + 1013904223u;
        int v = (x * 255 / w + y * 255 / h) / 2 + static_cast<int>(seed >> 28) * 4 - 30;
        p[(static_cast<std::size_t>(y) * w + x) * channels + c] =
            static_cast<unsigned char>(std::clamp(v, 0, 255));
      }
    }
  }
  return p;
}

void append(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size);
}

std::string jpeg(int w, int h, int quality = 90) {
  std::string out;
  auto p = pixels(w, h, 3);
  REQUIRE(stbi_write_jpg_to_func(append, &out, w, h, 3, p.data(), quality));
  return out;
}

std::string png(int w, int h, int channels, const std::vector<unsigned char>& p) {
  std::string out;
  REQUIRE(stbi_write_png_to_func(append, &out, w, h, channels, p.data(), w * channels));
  return out;
}

std::string png(int w, int h) {
  return png(w, h, 3, pixels(w, h, 3));
}

struct decoded {
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgb;
};

decoded decode(const std::string& bytes) {
  decoded d;
  int n = 0;
  stbi_uc* p = stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                                     static_cast<int>(bytes.size()), &d.width, &d.height, &n, 3);
  REQUIRE(p);
  d.rgb.assign(p, p + static_cast<std::size_t>(d.width) * d.height * 3);
  stbi_image_free(p);
  return d;
}

double ratio(int w, int h) {
  return static_cast<double>(w) / h;
}

std::string u16be(unsigned v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)};
}

}  // namespace

TEST_CASE("a large photo is scaled within the limits, keeping its aspect ratio", "[image]") {
  std::string photo = jpeg(4000, 3000);
  image_limits limits;
  REQUIRE(photo.size() > 0);
  auto r = fit_image(photo, "image/jpeg", limits);
  REQUIRE(r.has_value());
  CHECK(r->changed);
  CHECK(r->mime_type == "image/jpeg");
  CHECK(r->original_width == 4000);
  CHECK(r->original_height == 3000);
  CHECK(std::max(r->width, r->height) <= limits.max_side);
  CHECK(static_cast<std::int64_t>(r->width) * r->height <= limits.max_pixels);
  CHECK(r->data.size() <= limits.max_bytes);
  CHECK(ratio(r->width, r->height) == Approx(4.0 / 3.0).epsilon(0.01));
  // The bytes are a real JPEG of the size reported.
  auto d = decode(r->data);
  CHECK(d.width == r->width);
  CHECK(d.height == r->height);
}

TEST_CASE("a tall image is bounded by its long side", "[image]") {
  image_limits limits;
  limits.max_pixels = 100'000'000;  // only the side limit applies here
  auto r = fit_image(png(400, 4000), "image/png", limits);
  REQUIRE(r.has_value());
  CHECK(r->height == limits.max_side);
  CHECK(r->width == 156);  // 400 * 1568 / 4000, rounded down
  CHECK(r->mime_type == "image/jpeg");
  CHECK(decode(r->data).height == limits.max_side);
}

TEST_CASE("a small image in a format assistants read goes through unchanged", "[image]") {
  std::string small = png(300, 200);
  auto r = fit_image(small, "image/png");
  REQUIRE(r.has_value());
  CHECK_FALSE(r->changed);
  CHECK(r->data == small);
  CHECK(r->mime_type == "image/png");
  CHECK(r->width == 300);
  CHECK(r->height == 200);

  std::string photo = jpeg(800, 600);
  auto j = fit_image(photo, "image/jpeg");
  REQUIRE(j.has_value());
  CHECK_FALSE(j->changed);
  CHECK(j->data == photo);
}

TEST_CASE("the type comes from the bytes, not from the declared MIME type", "[image]") {
  std::string small = png(64, 64);
  auto r = fit_image(small, "image/jpeg");
  REQUIRE(r.has_value());
  CHECK(r->mime_type == "image/png");
  CHECK(sniff_image_format(small) == image_format::png);
  CHECK(sniff_image_format(jpeg(8, 8)) == image_format::jpeg);
  CHECK(sniff_image_format("GIF89a....") == image_format::gif);
  CHECK(sniff_image_format(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)) == image_format::webp);
  CHECK(sniff_image_format("%PDF-1.4") == image_format::unknown);
  CHECK(sniff_image_format("") == image_format::unknown);
  CHECK(sniff_image_format("RIFF") == image_format::unknown);  // too short to say WEBP
  CHECK(sniff_image_format(std::string("RIFF\0\0\0", 7)) == image_format::unknown);
}

TEST_CASE("a small GIF passes unchanged, a BMP is always converted to JPEG", "[image]") {
  // The smallest GIF89a: one white pixel.
  const std::string gif(
      "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
      "\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02"
      "D\x01\x00;",
      43);
  auto g = fit_image(gif, "image/gif");
  REQUIRE(g.has_value());
  CHECK_FALSE(g->changed);
  CHECK(g->mime_type == "image/gif");
  CHECK(g->width == 1);

  // Assistants do not take BMP: converted even though it is small.
  std::string bmp;
  auto p = pixels(40, 20, 3);
  REQUIRE(stbi_write_bmp_to_func(append, &bmp, 40, 20, 3, p.data()));
  auto b = fit_image(bmp, "image/bmp");
  REQUIRE(b.has_value());
  CHECK(b->changed);
  CHECK(b->mime_type == "image/jpeg");
  CHECK(b->width == 40);
  CHECK(b->height == 20);
  CHECK(decode(b->data).width == 40);
}

namespace {

// A JPEG of w x h, red on the left half and blue on the right, with an Exif Orientation tag.
std::string oriented_jpeg(int w, int h, int orientation, bool big_endian) {
  std::vector<unsigned char> p(static_cast<std::size_t>(w) * h * 3, 0);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x)
      p[(static_cast<std::size_t>(y) * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  }
  std::string plain;
  REQUIRE(stbi_write_jpg_to_func(append, &plain, w, h, 3, p.data(), 95));
  auto u16 = [&](unsigned v) {
    return big_endian ? std::string{char(v >> 8), char(v & 0xFF)}
                      : std::string{char(v & 0xFF), char(v >> 8)};
  };
  auto u32 = [&](std::uint32_t v) {
    return big_endian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16);
  };
  std::string tiff = (big_endian ? "MM" : "II") + u16(42) + u32(8) + u16(1) + u16(0x0112) + u16(3) +
                     u32(1) + u16(static_cast<unsigned>(orientation)) + u16(0) + u32(0);
  std::string exif = std::string("Exif\0\0", 6) + tiff;
  std::string app1 = std::string("\xFF\xE1") + u16be(static_cast<unsigned>(exif.size() + 2)) + exif;
  return plain.substr(0, 2) + app1 + plain.substr(2);
}

}  // namespace

TEST_CASE("a JPEG's Exif orientation is applied when it is re-encoded", "[image]") {
  auto red = [](const decoded& d, int x, int y) {
    const unsigned char* px = &d.rgb[(static_cast<std::size_t>(y) * d.width + x) * 3];
    return px[0] > 200 && px[2] < 60;
  };
  auto blue = [](const decoded& d, int x, int y) {
    const unsigned char* px = &d.rgb[(static_cast<std::size_t>(y) * d.width + x) * 3];
    return px[2] > 200 && px[0] < 60;
  };
  for (bool big : {true, false}) {
    INFO("big endian " << big);
    // 6: stored lying on its side, shown turned a quarter clockwise: the left (red) goes on top.
    auto r6 = fit_image(oriented_jpeg(80, 40, 6, big), "image/jpeg");
    REQUIRE(r6.has_value());
    CHECK(r6->changed);  // small, but re-encoded upright
    CHECK(r6->width == 40);
    CHECK(r6->height == 80);
    CHECK(r6->original_width == 40);
    CHECK(r6->original_height == 80);
    auto d6 = decode(r6->data);
    REQUIRE(d6.width == 40);
    CHECK(red(d6, 20, 10));
    CHECK(blue(d6, 20, 70));
    // 8: a quarter counter-clockwise: the left (red) goes to the bottom.
    auto d8 = decode(fit_image(oriented_jpeg(80, 40, 8, big), "image/jpeg")->data);
    CHECK(d8.width == 40);
    CHECK(blue(d8, 20, 10));
    CHECK(red(d8, 20, 70));
    // 3: upside down: left and right swap, the size stays.
    auto d3 = decode(fit_image(oriented_jpeg(80, 40, 3, big), "image/jpeg")->data);
    CHECK(d3.width == 80);
    CHECK(blue(d3, 10, 20));
    CHECK(red(d3, 70, 20));
  }
  // 1 (upright) changes nothing: the original bytes go through.
  std::string upright = oriented_jpeg(80, 40, 1, true);
  auto r1 = fit_image(upright, "image/jpeg");
  REQUIRE(r1.has_value());
  CHECK_FALSE(r1->changed);
  CHECK(r1->data == upright);
  // A large rotated photo is scaled and turned: the long side ends up vertical.
  auto big = fit_image(oriented_jpeg(3000, 2000, 6, false), "image/jpeg");
  REQUIRE(big.has_value());
  CHECK(big->height > big->width);
  CHECK(big->height <= 1568);
  CHECK(big->original_width == 2000);
  CHECK(big->original_height == 3000);
  CHECK(decode(big->data).height == big->height);
}

TEST_CASE("transparency becomes white when an image is re-encoded as JPEG", "[image]") {
  int w = 2000;
  int h = 1000;
  std::vector<unsigned char> clear(static_cast<std::size_t>(w) * h * 4, 0);  // black, alpha 0
  auto r = fit_image(png(w, h, 4, clear), "image/png");
  REQUIRE(r.has_value());
  CHECK(r->changed);
  auto d = decode(r->data);
  CHECK(ratio(d.width, d.height) == Approx(2.0).epsilon(0.01));
  int darkest = 255;
  for (unsigned char v : d.rgb) darkest = std::min<int>(darkest, v);
  CHECK(darkest >= 250);
}

TEST_CASE("an image too heavy at full quality is made smaller until it fits", "[image]") {
  image_limits limits;
  limits.max_bytes = 30 * 1024;
  auto r = fit_image(jpeg(1500, 1000), "image/jpeg", limits);
  REQUIRE(r.has_value());
  CHECK(r->data.size() <= limits.max_bytes);
  CHECK(r->changed);
  CHECK(ratio(r->width, r->height) == Approx(1.5).epsilon(0.02));
  CHECK(decode(r->data).width == r->width);
}

TEST_CASE("corrupt image data is an error, never a crash", "[image]") {
  std::string photo = jpeg(640, 480);
  // Only the header survives: the size is known, the pixels are not.
  std::string png_header_only = png(640, 480).substr(0, 33);
  auto r = fit_image(png_header_only, "image/png");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == image_errc::corrupt);

  // A chunk claiming more bytes than the file holds is refused before stb reserves them.
  std::string forged = png(64, 64);
  std::size_t idat = forged.find("IDAT");
  REQUIRE(idat != std::string::npos);
  forged.replace(idat - 4, 4, std::string("\x7f\xff\x00\x00", 4));
  auto f = fit_image(forged, "image/png");
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error() == image_errc::corrupt);
  // So is a PNG cut before its IEND chunk.
  std::string cut = png(64, 64);
  auto c = fit_image(cut.substr(0, cut.size() - 12), "image/png");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error() == image_errc::corrupt);

  auto garbage = fit_image("this is not an image at all", "image/jpeg");
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error() == image_errc::corrupt);

  auto empty = fit_image("", "image/png");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error() == image_errc::corrupt);

  // A JPEG whose header was damaged (SOI kept, the rest overwritten).
  std::string damaged = photo;
  for (std::size_t i = 3; i < 200; ++i) damaged[i] = '\x00';
  auto d = fit_image(damaged, "image/jpeg");
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error() == image_errc::corrupt);
}

TEST_CASE("WebP passes through when small and is refused when large", "[image]") {
  std::string webp("RIFF\x24\0\0\0WEBPVP8 ", 16);
  webp += std::string(64, 'x');
  auto r = fit_image(webp, "image/webp");
  REQUIRE(r.has_value());
  CHECK_FALSE(r->changed);
  CHECK(r->data == webp);
  CHECK(r->mime_type == "image/webp");
  CHECK(r->width == 0);

  image_limits limits;
  limits.max_bytes = 32;
  auto big = fit_image(webp, "image/webp", limits);
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error() == image_errc::unsupported_format);

  auto heic = fit_image("....ftypheic", "image/heic");
  REQUIRE_FALSE(heic.has_value());
  CHECK(heic.error() == image_errc::unsupported_format);
}

TEST_CASE("an image with too many pixels is not decoded", "[image]") {
  image_limits limits;
  limits.max_decode_pixels = 100 * 100;
  auto r = fit_image(png(101, 100), "image/png", limits);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == image_errc::too_many_pixels);
  CHECK(fit_image(png(100, 100), "image/png", limits).has_value());
}

TEST_CASE("every image_errc has a message and the category is named", "[image]") {
  for (auto e : {image_errc::corrupt, image_errc::unsupported_format, image_errc::too_many_pixels,
                 image_errc::cannot_fit, image_errc::too_large_to_decode}) {
    boost::system::error_code ec = e;
    CHECK(ec.category().name() == std::string("pons.mcp.image"));
    CHECK(ec.message() != "unknown image error");
    CHECK(ec.message().size() > 20);
  }
  CHECK(image_category().message(999) == "unknown image error");
}

namespace {

// Writes a deflate stream bit by bit (RFC 1951: least significant bit first; Huffman codes
// most significant bit first).
struct bit_writer {
  std::string out;
  unsigned acc = 0;
  int count = 0;
  void bits(unsigned value, int n) {
    for (int i = 0; i < n; ++i) {
      acc |= ((value >> i) & 1u) << count;
      if (++count == 8) {
        out.push_back(static_cast<char>(acc));
        acc = 0;
        count = 0;
      }
    }
  }
  void code(unsigned code, int n) {
    for (int i = n - 1; i >= 0; --i) bits((code >> i) & 1u, 1);
  }
  std::string finish() {
    if (count) out.push_back(static_cast<char>(acc));
    return out;
  }
};

std::string u32be(std::uint32_t v) {
  return u16be(v >> 16) + u16be(v & 0xFFFF);
}

std::uint32_t crc32(std::string_view bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (char ch : bytes) {
    c ^= static_cast<unsigned char>(ch);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

std::string png_chunk(std::string_view type, std::string_view data) {
  std::string typed = std::string(type) + std::string(data);
  return u32be(static_cast<std::uint32_t>(data.size())) + typed + u32be(crc32(typed));
}

// A PNG "zlib bomb": a valid RGB header of width x height whose IDAT inflates to at least
// `zeros` zero bytes (one literal, then matches of 258 bytes at distance 1: 13 bits each, ~1:1300).
std::string png_bomb(int width, int height, std::size_t zeros) {
  bit_writer w;
  w.bits(1, 1);     // last block
  w.bits(1, 2);     // fixed Huffman codes
  w.code(0x30, 8);  // literal 0
  std::size_t total = 1;
  for (; total < zeros; total += 258) {
    w.code(0xC5, 8);  // length 258 (code 285)
    w.code(0, 5);     // distance 1 (code 0)
  }
  w.code(0, 7);  // end of block
  std::uint32_t adler = static_cast<std::uint32_t>(total % 65521) << 16 | 1u;
  std::string zlib = std::string("\x78\x01", 2) + w.finish() + u32be(adler);
  std::string ihdr = u32be(static_cast<std::uint32_t>(width)) +
                     u32be(static_cast<std::uint32_t>(height)) + std::string("\x08\x02\0\0\0", 5);
  return std::string("\x89PNG\r\n\x1A\n", 8) + png_chunk("IHDR", ihdr) + png_chunk("IDAT", zlib) +
         png_chunk("IEND", "");
}

}  // namespace

TEST_CASE("a PNG zlib bomb fails as too large to decode within its budget", "[image]") {
  // 64 MiB of zeros behind a 1x1 header: the header promises 4 bytes of samples.
  std::string bomb = png_bomb(1, 1, 64u << 20);
  CHECK(bomb.size() < 512 * 1024);
  decode_usage usage;
  auto r = fit_image(bomb, "image/png", {}, &usage);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == image_errc::too_large_to_decode);
  CHECK(r.error().message().find("too large to decode") != std::string::npos);
  CHECK(usage.exceeded);
  // The budget follows the header (a few MiB for 1x1), and the decoder never held more.
  CHECK(usage.budget == decode_memory_estimate(1, 1, 3, 1, bomb.size()));
  CHECK(usage.budget < (8u << 20));
  CHECK(usage.peak <= usage.budget);
  CHECK(usage.peak > 0);

  // A plausible header (1000x1000) with the same IDAT: the configured cap bounds it.
  image_limits limits;
  limits.max_decode_bytes = 6u << 20;
  std::string wide = png_bomb(1000, 1000, 64u << 20);
  decode_usage capped;
  auto w = fit_image(wide, "image/png", limits, &capped);
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error() == image_errc::too_large_to_decode);
  CHECK(capped.budget == limits.max_decode_bytes);
  CHECK(capped.peak <= capped.budget);

  // The same construction within what the header promises decodes: the bomb is refused for
  // its size, not its shape. (1000 rows of 1 filter byte + 3000 zero samples.)
  std::string honest = png_bomb(1000, 1000, 1000 * 3001);
  auto h = fit_image(honest, "image/png");
  REQUIRE(h.has_value());
  CHECK(h->original_width == 1000);

  // A header over the pixel cap (48 MP) is refused before any allocation.
  decode_usage none;
  auto huge = fit_image(png_bomb(8000, 6000, 1u << 20), "image/png", {}, &none);
  REQUIRE_FALSE(huge.has_value());
  CHECK(huge.error() == image_errc::too_many_pixels);
  CHECK(none.budget == 0);
}

TEST_CASE("a large real image decodes within its budget", "[image]") {
  const int w = 4000;
  const int h = 3000;
  std::string photo = jpeg(w, h);
  decode_usage usage;
  auto r = fit_image(photo, "image/jpeg", {}, &usage);
  REQUIRE(r.has_value());
  CHECK(r->changed);
  CHECK(r->original_width == w);
  CHECK(usage.budget == std::min(image_limits{}.max_decode_bytes,
                                 decode_memory_estimate(w, h, 3, 1, photo.size())));
  CHECK_FALSE(usage.exceeded);
  // At least the decoded RGB pixels were held, never more than allowed.
  CHECK(usage.peak >= static_cast<std::size_t>(w) * h * 3);
  CHECK(usage.peak <= usage.budget);
  // The estimate is an upper bound with room to spare, not a guess at the edge.
  CHECK(usage.peak * 2 < usage.budget);

  // With a budget below what the decode needs, it fails as too large, not as corrupt.
  image_limits tight;
  tight.max_decode_bytes = static_cast<std::size_t>(w) * h * 2;
  auto t = fit_image(photo, "image/jpeg", tight);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error() == image_errc::too_large_to_decode);
}
