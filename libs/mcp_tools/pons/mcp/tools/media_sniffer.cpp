#include "pons/mcp/tools/media_sniffer.hpp"

#include <fmt/core.h>

#include <array>

namespace pons::mcp {

namespace {

using meta::media_kind;

constexpr std::uint64_t kb = 1000;
constexpr std::uint64_t mb = 1000 * 1000;

bool starts_with(std::string_view bytes, std::string_view magic, std::size_t at = 0) {
  return bytes.size() >= at + magic.size() && bytes.substr(at, magic.size()) == magic;
}

unsigned byte_at(std::string_view bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]);
}

// An MPEG audio Layer III frame header at `at`; its length in bytes, or 0 when there is none.
std::size_t mp3_frame_length(std::string_view bytes, std::size_t at) {
  if (bytes.size() < at + 4) return 0;
  unsigned b1 = byte_at(bytes, at + 1);
  unsigned b2 = byte_at(bytes, at + 2);
  if (byte_at(bytes, at) != 0xFF || (b1 & 0xE0) != 0xE0) return 0;
  unsigned version = (b1 >> 3) & 3;  // 0 MPEG 2.5, 1 reserved, 2 MPEG 2, 3 MPEG 1
  unsigned layer = (b1 >> 1) & 3;    // 1 = Layer III
  unsigned bitrate_index = b2 >> 4;
  unsigned rate_index = (b2 >> 2) & 3;
  if (version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3) {
    return 0;
  }
  static constexpr std::array<unsigned, 15> v1{0,   32,  40,  48,  56,  64,  80, 96,
                                               112, 128, 160, 192, 224, 256, 320};
  static constexpr std::array<unsigned, 15> v2{0,  8,  16, 24,  32,  40,  48, 56,
                                               64, 80, 96, 112, 128, 144, 160};
  static constexpr std::array<unsigned, 3> rates{44100, 48000, 32000};
  unsigned kbps = version == 3 ? v1[bitrate_index] : v2[bitrate_index];
  unsigned rate = rates[rate_index] >> (version == 3 ? 0 : version == 2 ? 1 : 2);
  unsigned padding = (b2 >> 1) & 1;
  return (version == 3 ? 144000U : 72000U) * kbps / rate + padding;
}

// An ADTS (AAC) frame header at `at`; its length in bytes, or 0 when there is none.
std::size_t adts_frame_length(std::string_view bytes, std::size_t at) {
  if (bytes.size() < at + 7) return 0;
  if (byte_at(bytes, at) != 0xFF || (byte_at(bytes, at + 1) & 0xF6) != 0xF0) return 0;
  if (((byte_at(bytes, at + 2) >> 2) & 0xF) >= 13) return 0;  // sampling frequency index
  std::size_t length = ((byte_at(bytes, at + 3) & 0x03U) << 11) | (byte_at(bytes, at + 4) << 3) |
                       (byte_at(bytes, at + 5) >> 5);
  return length >= 7 ? length : 0;
}

// Two frames in a row (or one that ends the file): a lone 0xFFFB pair is too easy to hit by
// chance in other data.
bool frames_at(std::string_view bytes, std::size_t at,
               std::size_t (*frame_length)(std::string_view, std::size_t)) {
  std::size_t first = frame_length(bytes, at);
  if (first == 0) return false;
  std::size_t next = at + first;
  if (next >= bytes.size()) return next == bytes.size();
  return frame_length(bytes, next) != 0;
}

media_format sniff_mpeg_audio(std::string_view bytes) {
  std::size_t at = 0;
  if (starts_with(bytes, "ID3") && bytes.size() >= 10) {
    // ID3v2: a 10-byte header, a "syncsafe" size (7 bits per byte), an optional footer.
    std::size_t size = 0;
    for (std::size_t i = 6; i < 10; ++i) {
      if (byte_at(bytes, i) & 0x80) return media_format::unknown;
      size = (size << 7) | byte_at(bytes, i);
    }
    at = 10 + size + ((byte_at(bytes, 5) & 0x10) ? 10 : 0);
  }
  if (frames_at(bytes, at, adts_frame_length)) return media_format::aac;
  if (frames_at(bytes, at, mp3_frame_length)) return media_format::mp3;
  return media_format::unknown;
}

media_format sniff_iso_media(std::string_view bytes) {
  std::string_view brand = bytes.substr(8, 4);
  if (brand.substr(0, 3) == "3gp" || brand.substr(0, 3) == "3g2") return media_format::three_gp;
  if (brand == "M4A " || brand == "M4B ") return media_format::m4a;
  if (brand == "qt  ") return media_format::quicktime;
  // Only the brands of MP4 video: HEIF/AVIF images use the same box layout ("heic", "avif").
  for (std::string_view video : {"isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42",
                                 "avc1", "M4V ", "M4VH", "M4VP", "dash", "MSNV", "F4V "}) {
    if (brand == video) return media_format::mp4;
  }
  return media_format::unknown;
}

media_format sniff_ogg(std::string_view bytes) {
  // The first page's header is 27 bytes plus one byte per segment; its packet follows.
  if (bytes.size() < 27) return media_format::unknown;
  std::size_t packet = 27 + byte_at(bytes, 26);
  return starts_with(bytes, "OpusHead", packet) ? media_format::ogg_opus : media_format::ogg_other;
}

media_format sniff_zip(std::string_view bytes) {
  if (bytes.find("[Content_Types].xml") == std::string_view::npos) return media_format::zip;
  if (bytes.find("word/document.xml") != std::string_view::npos) return media_format::docx;
  if (bytes.find("xl/workbook.xml") != std::string_view::npos) return media_format::xlsx;
  if (bytes.find("ppt/presentation.xml") != std::string_view::npos) return media_format::pptx;
  return media_format::zip;
}

// OLE directory entries hold their stream names in UTF-16LE.
bool has_utf16_name(std::string_view bytes, std::string_view ascii) {
  std::string wide;
  for (char c : ascii) {
    wide += c;
    wide += '\0';
  }
  return bytes.find(wide) != std::string_view::npos;
}

media_format sniff_ole(std::string_view bytes) {
  if (has_utf16_name(bytes, "WordDocument")) return media_format::doc;
  if (has_utf16_name(bytes, "Workbook") || has_utf16_name(bytes, "Book")) return media_format::xls;
  if (has_utf16_name(bytes, "PowerPoint Document")) return media_format::ppt;
  return media_format::ole;
}

bool is_text(std::string_view bytes) {
  if (starts_with(bytes, "\xEF\xBB\xBF")) bytes.remove_prefix(3);
  std::size_t i = 0;
  while (i < bytes.size()) {
    unsigned c = byte_at(bytes, i);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
      ++i;
      continue;
    }
    // Well-formed UTF-8 only: no overlong forms, surrogates or values past U+10FFFF.
    std::size_t extra = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= bytes.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      unsigned cc = byte_at(bytes, i + k);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string size_words(std::uint64_t bytes) {
  if (bytes >= mb && bytes % mb == 0) return fmt::format("{} MB", bytes / mb);
  if (bytes >= kb && bytes % kb == 0) return fmt::format("{} KB", bytes / kb);
  return fmt::format("{} bytes", bytes);
}

constexpr std::array<media_kind, 5> all_kinds{media_kind::image, media_kind::video,
                                              media_kind::audio, media_kind::document,
                                              media_kind::sticker};

}  // namespace

media_format sniff_media(std::string_view b) {
  if (b.empty()) return media_format::empty;
  if (starts_with(b, "\xFF\xD8\xFF")) return media_format::jpeg;
  if (starts_with(b, "\x89PNG\r\n\x1A\n")) return media_format::png;
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return media_format::gif;
  if (starts_with(b, "RIFF") && starts_with(b, "WEBP", 8)) {
    if (starts_with(b, "VP8X", 12) && b.size() > 20) {
      return (byte_at(b, 20) & 0x02) ? media_format::webp_animated : media_format::webp;
    }
    if (starts_with(b, "VP8 ", 12) || starts_with(b, "VP8L", 12)) return media_format::webp;
    return media_format::unknown;
  }
  if (starts_with(b, "ftyp", 4) && b.size() >= 12) return sniff_iso_media(b);
  if (starts_with(b, "OggS")) return sniff_ogg(b);
  if (starts_with(b, "#!AMR\n") || starts_with(b, "#!AMR-WB\n")) return media_format::amr;
  if (starts_with(b, "%PDF-")) return media_format::pdf;
  if (starts_with(b, std::string_view("SQLite format 3\0", 16))) return media_format::sqlite;
  if (starts_with(b, "PK\x03\x04") || starts_with(b, "PK\x05\x06")) return sniff_zip(b);
  if (starts_with(b, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) return sniff_ole(b);
  if (auto audio = sniff_mpeg_audio(b); audio != media_format::unknown) return audio;
  if (is_text(b)) return media_format::text;
  return media_format::unknown;
}

std::string_view format_name(media_format format) {
  switch (format) {
    case media_format::unknown:
      return "file of a type pons-mcp does not recognise";
    case media_format::empty:
      return "empty file";
    case media_format::jpeg:
      return "JPEG image";
    case media_format::png:
      return "PNG image";
    case media_format::gif:
      return "GIF image";
    case media_format::webp:
      return "WebP image";
    case media_format::webp_animated:
      return "animated WebP image";
    case media_format::mp4:
      return "MP4 video";
    case media_format::three_gp:
      return "3GPP video";
    case media_format::m4a:
      return "MP4 audio (M4A)";
    case media_format::quicktime:
      return "QuickTime movie";
    case media_format::ogg_opus:
      return "Ogg Opus audio";
    case media_format::ogg_other:
      return "Ogg file without Opus audio";
    case media_format::amr:
      return "AMR audio";
    case media_format::aac:
      return "AAC audio";
    case media_format::mp3:
      return "MP3 audio";
    case media_format::pdf:
      return "PDF document";
    case media_format::doc:
      return "Word 97-2003 document";
    case media_format::xls:
      return "Excel 97-2003 workbook";
    case media_format::ppt:
      return "PowerPoint 97-2003 presentation";
    case media_format::docx:
      return "Word document";
    case media_format::xlsx:
      return "Excel workbook";
    case media_format::pptx:
      return "PowerPoint presentation";
    case media_format::zip:
      return "ZIP archive";
    case media_format::ole:
      return "Office 97-2003 file that is not a document, workbook or presentation";
    case media_format::sqlite:
      return "SQLite database";
    case media_format::text:
      return "plain text file";
  }
  return "file";
}

std::optional<std::string_view> upload_mime(media_kind kind, media_format format) {
  switch (kind) {
    case media_kind::image:
      if (format == media_format::jpeg) return "image/jpeg";
      if (format == media_format::png) return "image/png";
      return std::nullopt;
    case media_kind::video:
      if (format == media_format::mp4) return "video/mp4";
      if (format == media_format::three_gp) return "video/3gpp";
      return std::nullopt;
    case media_kind::audio:
      if (format == media_format::aac) return "audio/aac";
      if (format == media_format::amr) return "audio/amr";
      if (format == media_format::mp3) return "audio/mpeg";
      // An audio-only MP4 often carries a generic brand (isom): Meta checks the streams.
      if (format == media_format::m4a || format == media_format::mp4) return "audio/mp4";
      if (format == media_format::ogg_opus) return "audio/ogg";
      return std::nullopt;
    case media_kind::document:
      switch (format) {
        case media_format::pdf:
          return "application/pdf";
        case media_format::text:
          return "text/plain";
        case media_format::doc:
          return "application/msword";
        case media_format::xls:
          return "application/vnd.ms-excel";
        case media_format::ppt:
          return "application/vnd.ms-powerpoint";
        case media_format::docx:
          return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
        case media_format::xlsx:
          return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
        case media_format::pptx:
          return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
        default:
          return std::nullopt;
      }
    case media_kind::sticker:
      if (format == media_format::webp || format == media_format::webp_animated) {
        return "image/webp";
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::uint64_t max_media_bytes(media_kind kind, media_format format) {
  if (kind == media_kind::sticker)
    return format == media_format::webp_animated ? 500 * kb : 100 * kb;
  return max_media_bytes(kind);
}

std::uint64_t max_media_bytes(media_kind kind) {
  switch (kind) {
    case media_kind::image:
      return 5 * mb;
    case media_kind::video:
    case media_kind::audio:
      return 16 * mb;
    case media_kind::document:
      return 100 * mb;
    case media_kind::sticker:
      return 500 * kb;
  }
  return 5 * mb;
}

std::string accepted_formats(media_kind kind) {
  switch (kind) {
    case media_kind::image:
      return "JPEG or PNG, at most 5 MB";
    case media_kind::video:
      return "MP4 or 3GPP (H.264 video, AAC audio), at most 16 MB";
    case media_kind::audio:
      return "AAC, AMR, MP3, MP4 audio (M4A) or Ogg Opus, at most 16 MB";
    case media_kind::document:
      return "PDF, plain text, Word, Excel or PowerPoint (old or new formats), at most 100 MB";
    case media_kind::sticker:
      return "WebP, at most 100 KB (500 KB when animated)";
  }
  return "";
}

std::optional<std::string> media_problem(media_kind kind, media_format format, std::uint64_t size,
                                         std::string_view name) {
  std::string_view kind_name = meta::media_kind_name(kind);
  if (format == media_format::empty)
    return fmt::format("{} is empty: there is nothing to send.", name);
  if (!upload_mime(kind, format)) {
    std::string text =
        fmt::format("{} is a {}, which WhatsApp does not accept as {}: {} must be {}.", name,
                    format_name(format), kind_name, kind_name, accepted_formats(kind));
    for (media_kind other : all_kinds) {
      if (other != kind && upload_mime(other, format) && size <= max_media_bytes(other, format)) {
        text +=
            fmt::format(" It can be sent with kind \"{}\" instead.", meta::media_kind_name(other));
        break;
      }
    }
    return text;
  }
  if (std::uint64_t limit = max_media_bytes(kind, format); size > limit) {
    return fmt::format(
        "{} is {} bytes, more than WhatsApp accepts for a {} sent as {} ({}). Ask the user for a "
        "smaller file.",
        name, size, format_name(format), kind_name, size_words(limit));
  }
  return std::nullopt;
}

}  // namespace pons::mcp
