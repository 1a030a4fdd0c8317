// pons-pg-run COMMAND ARGS...: runs a command against a throwaway PostgreSQL 15 cluster.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "support/pg_cluster.hpp"

namespace {

int run_with(const std::string& url, char** argv) {
  const pid_t child = ::fork();
  if (child < 0) return 127;
  if (child == 0) {
    ::setenv("PONS_TEST_POSTGRESQL", url.c_str(), 1);
    ::execvp(argv[0], argv);
    std::perror("pons-pg-run: exec");
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pons-pg-run COMMAND [ARGS...]\n");
    return 2;
  }
  try {
    pons::test::pg_cluster cluster;
    const int code = run_with(cluster.url(), argv + 1);
    if (code != 0) std::fprintf(stderr, "pons-pg-run: server log:\n%s\n", cluster.log().c_str());
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pons-pg-run: %s\n", e.what());
    return 1;
  }
}
