#pragma once
// What a Content-Type header names, compared the way HTTP means it: the media type before any
// parameter, case-insensitive, surrounding spaces ignored. Pure.

#include <string_view>

namespace pons::http {

/// True when `content_type` ("Application/JSON; charset=utf-8") names `media_type`
/// ("application/json").
bool has_media_type(std::string_view content_type, std::string_view media_type);

}  // namespace pons::http
