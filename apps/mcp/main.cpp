// pons-mcp: the stdio MCP server. Wiring only; the protocol engine lives in libs/core/mcp.
#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") {
      std::printf("pons-mcp %s\n", PONS_VERSION);
      return 0;
    }
    if (arg == "--help") {
      std::printf("usage: pons-mcp [--db PATH]\n");
      return 0;
    }
  }
  std::fprintf(stderr, "pons-mcp: not implemented yet\n");
  return 1;
}
