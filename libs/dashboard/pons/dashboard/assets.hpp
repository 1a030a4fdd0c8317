#pragma once
// The dashboard's script, style sheet and icon, embedded in the binary at build time from
// libs/dashboard/assets/ (cmake/write_assets_source.cmake).

#include <span>
#include <string_view>

namespace pons::dashboard {

/// One embedded file.
struct asset {
  std::string_view name;  // "app.js"
  std::string_view content_type;
  std::string_view body;
};

/// Every embedded file, by name.
std::span<const asset> embedded_assets();

}  // namespace pons::dashboard
