#pragma once
// Test support: run a command to its end in a chosen working directory and environment, and
// return its exit code with what it printed. Header-only, on top of process_launcher.hpp.

#include <chrono>
#include <string>
#include <vector>

#include "support/process_launcher.hpp"

namespace pons::test {

/// How a finished command ended.
struct command_result {
  int code = -1;  // exit code, 128+signal when killed by one, -1 when it did not end in time
  std::string out;
  std::string err;
};

/// Runs `exe args...` in `cwd` with exactly `env` (PATH added when missing). `scratch` is a
/// directory for the captured output files. Waits up to `timeout`, then kills it.
inline command_result run_command(const std::string& exe, const std::vector<std::string>& args,
                                  std::vector<std::string> env, const std::string& cwd,
                                  const std::string& scratch,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  static int counter = 0;
  const auto stem = scratch + "/run-" + std::to_string(++counter);
  const auto out_path = stem + ".out";
  const auto err_path = stem + ".err";
  // The launcher has no working-directory option: a shell changes directory, then execs.
  std::vector<std::string> sh_args{"-c", "cd \"$1\" && shift && exec \"$@\"", "sh", cwd, exe};
  sh_args.insert(sh_args.end(), args.begin(), args.end());
  auto child = process::start("/bin/sh", sh_args, std::move(env), out_path, err_path);
  command_result r;
  if (auto code = child.wait_exit(timeout)) r.code = *code;
  r.out = read_text_file(out_path);
  r.err = read_text_file(err_path);
  return r;
}

}  // namespace pons::test
