# Precompiled headers for Debug builds (the debug, asan and coverage presets) with gcc: the
# standard, Boost.System and Boost.JSON headers that most of the project's files include (and
# Catch2's, for the test programs) are parsed once per build instead of once per file
# (docs/performance.md, "Build times"). Two shared headers are built, one plain and one with
# Catch2; every target that asks for one reuses it, so a new layer costs no extra precompiled
# header.
#
# Left out, measured or known:
# - Release builds: with a precompiled header gcc 12 no longer treats inlined libstdc++ code as
#   system-header code, and at -O2/-O3 reports its known false positives there
#   (-Wstringop-overflow and -Warray-bounds on `"x" + std::string`) as errors. The generated
#   code is the same.
# - Asio and Beast: a few files include them, their cost is code generation rather than parsing,
#   and a larger header slows every other file down.
# - fmt: its headers wrap themselves in `#pragma GCC push_options` and `optimize("Og")`, a state
#   gcc does not restore correctly from a precompiled header at -O0.
# - clang (the fuzz preset): stricter about definitions that differ from the shared header's.
# The shared header is built without the targets' own definitions, none of which the headers
# below read; the targets get the definitions it is built with. -Winvalid-pch, which CMake adds,
# is an error under PONS_WERROR: a header gcc refused fails the build rather than quietly costing
# time. The header also shows every file more of the standard library than it includes itself;
# the release build, without one, keeps each file's own includes honest.
option(PONS_PCH "Precompile the common heavy headers in Debug builds (gcc)" ON)

set(PONS_PCH_HEADERS
  <algorithm> <chrono> <cstdint> <filesystem> <functional> <map> <memory> <mutex> <optional>
  <string> <string_view> <thread> <vector>
  <boost/json.hpp> <boost/system/error_code.hpp> <boost/system/result.hpp>)

# pons_precompiled_headers(target [CATCH2])
# Compiles target's sources with the shared precompiled header; CATCH2 (test programs) adds
# <catch2/catch.hpp>, so the file defining CATCH_CONFIG_MAIN belongs to another target. A source
# with its own COMPILE_OPTIONS is left out, whenever they are set in the calling directory: gcc
# refuses a precompiled header built with other code generation options.
function(pons_precompiled_headers target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "CATCH2" "" "")
  if(NOT PONS_PCH OR NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
     OR NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    return()
  endif()
  set(host pons_pch)
  set(libs Boost::json Boost::headers)
  set(headers ${PONS_PCH_HEADERS})
  if(arg_CATCH2)
    set(host pons_pch_catch2)
    list(APPEND libs Catch2::Catch2)
    list(APPEND headers <catch2/catch.hpp>)
  endif()
  if(NOT TARGET ${host})
    set(source ${PROJECT_BINARY_DIR}/${host}.cpp)
    file(CONFIGURE OUTPUT ${source} CONTENT "// Builds the precompiled header ${host}.\n")
    add_library(${host} OBJECT ${source})
    target_link_libraries(${host} PRIVATE ${libs})
    target_precompile_headers(${host} PRIVATE ${headers})
    pons_warnings(${host})
  endif()
  target_precompile_headers(${target} REUSE_FROM ${host})
  # gcc refuses a precompiled header built with a macro the file does not define, and the shared
  # one has the definitions the Boost and Catch2 targets give their users (Debian's shared
  # variants, auto-linking off): a layer that does not link Boost.JSON needs them too. They
  # select nothing on gcc.
  foreach(lib IN LISTS libs)
    target_compile_definitions(${target} PRIVATE
      $<TARGET_PROPERTY:${lib},INTERFACE_COMPILE_DEFINITIONS>)
  endforeach()
  # A deferred call reads its arguments when it runs: pass the name, not the variable.
  cmake_language(EVAL CODE
    "cmake_language(DEFER CALL pons_precompiled_headers_skip_special ${target})")
endfunction()

# Run at the end of the calling directory, once every per-source option is known.
function(pons_precompiled_headers_skip_special target)
  get_target_property(sources ${target} SOURCES)
  foreach(source IN LISTS sources)
    get_source_file_property(options ${source} COMPILE_OPTIONS)
    if(options)
      set_source_files_properties(${source} PROPERTIES SKIP_PRECOMPILE_HEADERS ON)
    endif()
  endforeach()
endfunction()
