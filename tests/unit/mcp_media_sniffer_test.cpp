#include <catch2/catch.hpp>
#include <string>

#include "pons/mcp/tools/media_sniffer.hpp"

using namespace pons::mcp;
using pons::meta::media_kind;

namespace {

std::string bytes(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) out += static_cast<char>(v);
  return out;
}

// An ISO base media file: a 'ftyp' box with `brand`, then filler.
std::string iso(std::string_view brand) {
  return bytes({0, 0, 0, 0x18}) + "ftyp" + std::string(brand) + bytes({0, 0, 0, 0}) + "isom" +
         "mp41" + std::string(32, '\0');
}

// One MPEG-1 Layer III frame: 128 kbit/s, 44.1 kHz, no padding (417 bytes).
std::string mp3_frame() {
  std::string f = bytes({0xFF, 0xFB, 0x90, 0x64});
  f.resize(417, '\x55');
  return f;
}

// One ADTS frame of `length` bytes (AAC LC, 44.1 kHz, stereo).
std::string adts_frame(std::size_t length) {
  std::string f = bytes({0xFF, 0xF1, 0x50, static_cast<unsigned>(0x80 | ((length >> 11) & 3)),
                         static_cast<unsigned>((length >> 3) & 0xFF),
                         static_cast<unsigned>(((length & 7) << 5) | 0x1F), 0xFC});
  f.resize(length, '\x21');
  return f;
}

std::string ogg(std::string_view packet) {
  // "OggS", version, flags, granule (8), serial (4), sequence (4), CRC (4), 1 segment of 19.
  std::string page =
      "OggS" + bytes({0, 2}) + std::string(8, '\0') + std::string(12, '\0') + bytes({1, 19});
  std::string p(packet);
  p.resize(19, '\0');
  return page + p;
}

std::string webp(std::string_view chunk, unsigned flags = 0) {
  std::string out = "RIFF" + bytes({0x40, 0, 0, 0}) + "WEBP" + std::string(chunk) +
                    bytes({10, 0, 0, 0}) + bytes({flags}) + std::string(40, '\0');
  return out;
}

std::string utf16(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out += c;
    out += '\0';
  }
  return out;
}

}  // namespace

TEST_CASE("the sniffer reads the format from magic numbers, not names", "[mcp][media]") {
  CHECK(sniff_media("") == media_format::empty);
  CHECK(sniff_media(bytes({0xFF, 0xD8, 0xFF, 0xE0}) + "JFIF") == media_format::jpeg);
  CHECK(sniff_media(bytes({0x89}) + "PNG\r\n" + bytes({0x1A}) + "\n" + std::string(20, '\0')) ==
        media_format::png);
  CHECK(sniff_media("GIF89a" + std::string(10, '\0')) == media_format::gif);
  CHECK(sniff_media(webp("VP8 ")) == media_format::webp);
  CHECK(sniff_media(webp("VP8L")) == media_format::webp);
  CHECK(sniff_media(webp("VP8X", 0x10)) == media_format::webp);
  CHECK(sniff_media(webp("VP8X", 0x02)) == media_format::webp_animated);
  CHECK(sniff_media(iso("isom")) == media_format::mp4);
  CHECK(sniff_media(iso("mp42")) == media_format::mp4);
  CHECK(sniff_media(iso("3gp5")) == media_format::three_gp);
  CHECK(sniff_media(iso("M4A ")) == media_format::m4a);
  CHECK(sniff_media(iso("qt  ")) == media_format::quicktime);
  CHECK(sniff_media(iso("heic")) == media_format::unknown);  // HEIF photos share the box layout
  CHECK(sniff_media(ogg("OpusHead")) == media_format::ogg_opus);
  CHECK(sniff_media(ogg("\x01vorbis")) == media_format::ogg_other);
  CHECK(sniff_media("#!AMR\n" + std::string(20, '\x3C')) == media_format::amr);
  CHECK(sniff_media("#!AMR-WB\n" + std::string(20, '\x3C')) == media_format::amr);
  CHECK(sniff_media(mp3_frame() + mp3_frame()) == media_format::mp3);
  CHECK(sniff_media(adts_frame(300) + adts_frame(280)) == media_format::aac);
  // An ID3 tag (here 20 bytes) in front of the first frame.
  CHECK(sniff_media("ID3" + bytes({4, 0, 0, 0, 0, 0, 20}) + std::string(20, '\0') + mp3_frame() +
                    mp3_frame()) == media_format::mp3);
  CHECK(sniff_media("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n") == media_format::pdf);
  CHECK(sniff_media(std::string("SQLite format 3\0", 16) + std::string(84, '\0')) ==
        media_format::sqlite);
  CHECK(sniff_media("Invoice 1042\r\nTotal: 12,50 \xE2\x82\xAC\n") == media_format::text);
  CHECK(sniff_media("\xEF\xBB\xBFwith a byte order mark\n") == media_format::text);
}

TEST_CASE("the sniffer tells Office documents from other ZIP and OLE files", "[mcp][media]") {
  std::string zip = "PK" + bytes({3, 4}) + std::string(26, '\0');
  CHECK(sniff_media(zip + "[Content_Types].xml....word/document.xml") == media_format::docx);
  CHECK(sniff_media(zip + "[Content_Types].xml....xl/workbook.xml") == media_format::xlsx);
  CHECK(sniff_media(zip + "[Content_Types].xml....ppt/presentation.xml") == media_format::pptx);
  CHECK(sniff_media(zip + "photos/holiday.jpg") == media_format::zip);
  std::string ole =
      bytes({0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) + std::string(504, '\0');
  CHECK(sniff_media(ole + utf16("Root Entry") + utf16("WordDocument")) == media_format::doc);
  CHECK(sniff_media(ole + utf16("Workbook")) == media_format::xls);
  CHECK(sniff_media(ole + utf16("PowerPoint Document")) == media_format::ppt);
  CHECK(sniff_media(ole + utf16("__substg1.0_0037001F")) == media_format::ole);
}

TEST_CASE("the sniffer is not fooled by near misses", "[mcp][media]") {
  // /proc/self/environ: NUL-separated, so not text.
  CHECK(sniff_media(std::string("WA_ACCESS_TOKEN=EAAG\0HOME=/root\0", 32)) ==
        media_format::unknown);
  // A lone MP3-looking sync word followed by anything else is not audio.
  CHECK(sniff_media(bytes({0xFF, 0xFB, 0x90, 0x64}) + "not a second frame" +
                    std::string(500, 'x')) == media_format::unknown);
  // Broken UTF-8, overlong forms, surrogates and control characters are not plain text.
  CHECK(sniff_media("caf\xC3") == media_format::unknown);
  CHECK(sniff_media("\xC0\xAF etc/passwd") == media_format::unknown);
  CHECK(sniff_media("\xED\xA0\x80") == media_format::unknown);
  CHECK(sniff_media("bell\x07") == media_format::unknown);
  CHECK(sniff_media("RIFF" + bytes({0x40, 0, 0, 0}) + "WAVEfmt ") == media_format::unknown);
  CHECK(sniff_media(bytes({0x7F}) + "ELF" + std::string(60, '\0')) == media_format::unknown);
}

TEST_CASE("upload types come from the sniffed format and must match the kind", "[mcp][media]") {
  CHECK(upload_mime(media_kind::image, media_format::png) == "image/png");
  CHECK(upload_mime(media_kind::image, media_format::jpeg) == "image/jpeg");
  CHECK_FALSE(upload_mime(media_kind::image, media_format::gif));
  CHECK_FALSE(upload_mime(media_kind::image, media_format::webp));
  CHECK(upload_mime(media_kind::sticker, media_format::webp) == "image/webp");
  CHECK(upload_mime(media_kind::video, media_format::three_gp) == "video/3gpp");
  CHECK_FALSE(upload_mime(media_kind::video, media_format::quicktime));
  CHECK(upload_mime(media_kind::audio, media_format::ogg_opus) == "audio/ogg");
  CHECK_FALSE(upload_mime(media_kind::audio, media_format::ogg_other));
  CHECK(upload_mime(media_kind::audio, media_format::mp3) == "audio/mpeg");
  CHECK(upload_mime(media_kind::document, media_format::text) == "text/plain");
  CHECK(upload_mime(media_kind::document, media_format::xlsx) ==
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  for (auto kind : {media_kind::image, media_kind::video, media_kind::audio, media_kind::document,
                    media_kind::sticker}) {
    CHECK_FALSE(upload_mime(kind, media_format::sqlite));
    CHECK_FALSE(upload_mime(kind, media_format::unknown));
    CHECK_FALSE(upload_mime(kind, media_format::zip));
  }
}

TEST_CASE("size limits follow Meta's table per kind", "[mcp][media]") {
  CHECK(max_media_bytes(media_kind::image, media_format::png) == 5'000'000);
  CHECK(max_media_bytes(media_kind::video, media_format::mp4) == 16'000'000);
  CHECK(max_media_bytes(media_kind::audio, media_format::aac) == 16'000'000);
  CHECK(max_media_bytes(media_kind::document, media_format::pdf) == 100'000'000);
  CHECK(max_media_bytes(media_kind::sticker, media_format::webp) == 100'000);
  CHECK(max_media_bytes(media_kind::sticker, media_format::webp_animated) == 500'000);
  CHECK_FALSE(media_problem(media_kind::image, media_format::png, 5'000'000, "a.png"));
  auto big = media_problem(media_kind::image, media_format::png, 5'000'001, "a.png");
  REQUIRE(big);
  CHECK_THAT(*big, Catch::Contains("5 MB"));
  auto sticker = media_problem(media_kind::sticker, media_format::webp, 200'000, "s.webp");
  REQUIRE(sticker);
  CHECK_THAT(*sticker, Catch::Contains("100 KB"));
  CHECK_FALSE(media_problem(media_kind::sticker, media_format::webp_animated, 200'000, "s.webp"));
}

TEST_CASE("a refused type says what the file is and what the kind takes", "[mcp][media]") {
  auto db = media_problem(media_kind::document, media_format::sqlite, 4096, "invoice.pdf");
  REQUIRE(db);
  CHECK_THAT(*db, Catch::Contains("invoice.pdf is a SQLite database") &&
                      Catch::Contains("PDF, plain text, Word, Excel or PowerPoint"));
  auto photo = media_problem(media_kind::document, media_format::png, 4096, "scan.pdf");
  REQUIRE(photo);
  CHECK_THAT(*photo, Catch::Contains("kind \"image\""));
  auto empty = media_problem(media_kind::document, media_format::empty, 0, "x.txt");
  REQUIRE(empty);
  CHECK_THAT(*empty, Catch::Contains("empty"));
}
