// pons_mcp_seed DB FILE.sql...: creates/migrates the database, then runs each SQL file.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "pons/store/database.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pons_mcp_seed DB [FILE.sql ...]\n");
    return 2;
  }
  auto db = pons::store::database::open(argv[1]);
  if (!db) {
    std::fprintf(stderr, "pons_mcp_seed: %s\n", db.error().message().c_str());
    return 1;
  }
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i]);
    std::string sql((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && sql.empty()) {
      std::fprintf(stderr, "pons_mcp_seed: cannot read %s\n", argv[i]);
      return 1;
    }
    if (auto r = db->exec(sql); !r) {
      std::fprintf(stderr, "pons_mcp_seed: %s: %s\n", argv[i], db->last_error_message().c_str());
      return 1;
    }
  }
  return 0;
}
