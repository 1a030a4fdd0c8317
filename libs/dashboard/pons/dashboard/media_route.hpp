#pragma once
// GET /api/v1/media?message_id=N: the file Pons stored for a message's photo, sticker, voice
// note, video or document, for the thread to show. Images, audio and video that a browser plays
// safely are served as what they are; anything else (a PDF, an archive, HTML pretending to be a
// document) only as a download of bytes, so a customer's file never runs as this site's page.
// The file must resolve inside the media folder; account-scoped callers see only their own.

#include <memory>
#include <string>
#include <string_view>

#include "pons/dashboard/guard.hpp"
#include "pons/dashboard/locked_database.hpp"
#include "pons/http/server.hpp"
#include "pons/mcp/worker_pool.hpp"

namespace pons::dashboard {

/// True for a type shown in the page (img, audio, video elements); anything else is a download.
bool shown_inline(std::string_view mime);

/// A file name safe for Content-Disposition: printable ASCII without quotes, slashes or
/// backslashes (others become '_'), at most 100 bytes; `fallback` when nothing is left.
std::string download_name(std::string_view name, std::string_view fallback);

/// Largest file served.
inline constexpr std::uintmax_t max_media_bytes = 100ull * 1024 * 1024;

/// Registers GET /api/v1/media. Files are read on `workers`; all references outlive the route.
void add_media_route(http::router& routes, const guard& access, std::shared_ptr<locked_database> db,
                     std::string media_dir, mcp::worker_pool& workers);

}  // namespace pons::dashboard
