# Script mode: writes OUT, a C++ file defining pons::dashboard::embedded_assets().
file(GLOB asset_files ${ASSETS_DIR}/*)
list(SORT asset_files)
set(body "")
foreach(f IN LISTS asset_files)
  get_filename_component(name ${f} NAME)
  get_filename_component(ext ${f} LAST_EXT)
  if(ext STREQUAL ".js")
    set(type "text/javascript; charset=utf-8")
  elseif(ext STREQUAL ".css")
    set(type "text/css; charset=utf-8")
  elseif(ext STREQUAL ".svg")
    set(type "image/svg+xml")
  else()
    message(FATAL_ERROR "dashboard asset ${name}: no content type for '${ext}'")
  endif()
  file(READ ${f} text)
  string(FIND "${text}" ")pons_asset\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "dashboard asset ${name} holds the raw-string delimiter")
  endif()
  string(APPEND body "    {\"${name}\", \"${type}\", R\"pons_asset(${text})pons_asset\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from libs/dashboard/assets/* at build time. Do not edit.\n"
"#include \"pons/dashboard/assets.hpp\"\n\n"
"namespace pons::dashboard {\n\n"
"std::span<const asset> embedded_assets() {\n"
"  static const asset all[] = {\n${body}  };\n"
"  return all;\n"
"}\n\n"
"}  // namespace pons::dashboard\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
