// The one translation unit that compiles the stb image codecs (Debian's libstb-dev ships them
// as header-only sources). Only the decoders pons needs are built; nothing touches files.
// stb is third-party C written for many compilers: its own warnings are not ours to fix, so
// they are silenced here and only here (CMake also builds this file without UBSan, see
// libs/CMakeLists.txt).

#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_GIF
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STBI_NO_LINEAR
#define STBI_NO_HDR
#define STBI_WRITE_NO_STDIO
// Every stb_image allocation is charged to the decode_budget of the calling thread, if any
// (decode_budget.hpp): a PNG whose IDAT inflates far beyond its header, or a huge image, fails
// to decode instead of taking gigabytes.
// stb_image 2.27 can read decoder state that a malformed JPEG never set (e.g. Huffman tables the
// file never defines): found by fuzzing (tests/fuzz/fuzz_image.cpp) as a wild read in
// stbi__jpeg_huff_decode that depends on what the heap held before. budget_malloc zeroes its
// blocks, which makes that state empty tables, which stb then rejects as corrupt data.
#include "pons/mcp/tools/decode_budget.hpp"
#define STBI_MALLOC(size) ::pons::mcp::detail::budget_malloc(size)
#define STBI_REALLOC(p, size) ::pons::mcp::detail::budget_realloc(p, size)
#define STBI_FREE(p) ::pons::mcp::detail::budget_free(p)
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION

#pragma GCC diagnostic push
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wunknown-warning-option"
#endif
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wcast-qual"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
#pragma GCC diagnostic pop
