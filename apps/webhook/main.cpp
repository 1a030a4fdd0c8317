// pons-webhook: the Meta webhook ingress service. Wiring only.
#include <cstdio>
#include <string_view>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--version") {
      std::printf("pons-webhook %s\n", PONS_VERSION);
      return 0;
    }
    if (arg == "--help") {
      std::printf("usage: pons-webhook [serve] [--bind ADDR] [--port N]\n");
      return 0;
    }
  }
  std::fprintf(stderr, "pons-webhook: not implemented yet\n");
  return 1;
}
