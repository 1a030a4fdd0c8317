#pragma once
// What a file really is, read from its first bytes (magic numbers), and whether WhatsApp takes it
// as a given kind of media: the type and size rules of Meta's "supported media types" table.
// send_media uploads only what passes, with the sniffed MIME type (never the file name's). Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pons/meta/message_builders.hpp"

namespace pons::mcp {

/// File formats the sniffer tells apart.
enum class media_format {
  unknown,
  empty,
  jpeg,
  png,
  gif,
  webp,           // static WebP
  webp_animated,  // WebP with the VP8X animation flag
  mp4,            // ISO base media: isom, mp41, mp42, avc1...
  three_gp,       // 3GPP / 3GPP2 brands
  m4a,            // ISO base media with an audio brand (M4A, M4B)
  quicktime,      // ISO base media with the QuickTime brand (.mov)
  ogg_opus,
  ogg_other,  // Ogg without Opus (Vorbis, Theora...)
  amr,
  aac,  // ADTS AAC
  mp3,
  pdf,
  doc,
  xls,
  ppt,
  docx,
  xlsx,
  pptx,
  zip,     // a ZIP archive that is not an Office document
  ole,     // an Office 97-2003 container of another kind (Outlook .msg...)
  sqlite,  // an SQLite database (Pons's own among them)
  text,    // UTF-8 text without NUL or control characters other than tab, CR, LF, FF
};

/// Reads the format from the whole file content (ZIP and OLE names may sit anywhere).
media_format sniff_media(std::string_view bytes);

/// A short human name ("PNG image", "SQLite database") for messages.
std::string_view format_name(media_format format);

/// The MIME type to upload `format` with as `kind`; nullopt when WhatsApp does not accept that
/// format for that kind.
std::optional<std::string_view> upload_mime(meta::media_kind kind, media_format format);

/// The largest file WhatsApp accepts of `format` as `kind` (bytes, 1 MB = 1,000,000 bytes).
std::uint64_t max_media_bytes(meta::media_kind kind, media_format format);

/// The largest file any format of `kind` may be (for bounded reads before sniffing).
std::uint64_t max_media_bytes(meta::media_kind kind);

/// The formats WhatsApp accepts as `kind`, in words ("JPEG or PNG, at most 5 MB").
std::string accepted_formats(meta::media_kind kind);

/// Why `size` bytes of `format` cannot be sent as `kind`, in words an assistant can act on;
/// nullopt when they can. `name` names the file in the text.
std::optional<std::string> media_problem(meta::media_kind kind, media_format format,
                                         std::uint64_t size, std::string_view name);

}  // namespace pons::mcp
