#pragma once
// Test support: start a real binary (fork/exec) with a chosen environment, wait for the port it
// reports, stop it with a signal. Also a self-deleting temporary directory. Header-only.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pons::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pons-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The directory.
  const std::string& path() const { return path_; }
  /// A path inside the directory.
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Read a whole file (empty when missing).
inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Write a whole file with the given mode.
inline void write_text_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

/// A child process. Its stdout and stderr go to files; killed (SIGKILL) on destruction if still
/// running.
class process {
 public:
  /// Start `exe` with `args` and exactly `env` ("NAME=value"; PATH is added when missing).
  /// stdout/stderr are appended to `out_path`/`err_path` (or /dev/null when empty).
  /// `open_files` sets the child's RLIMIT_NOFILE (soft and hard) instead of inheriting ours.
  static process start(const std::string& exe, const std::vector<std::string>& args,
                       std::vector<std::string> env, const std::string& out_path = {},
                       const std::string& err_path = {},
                       std::optional<rlimit> open_files = std::nullopt) {
    bool has_path = false;
    for (const auto& e : env)
      if (e.rfind("PATH=", 0) == 0) has_path = true;
    if (!has_path) env.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
    std::vector<std::string> argv_s;
    argv_s.push_back(exe);
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_RDWR);
      int out = out_path.empty() ? devnull
                                 : ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      int err = err_path.empty() ? devnull
                                 : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      ::dup2(devnull, 0);
      ::dup2(out, 1);
      ::dup2(err, 2);
      if (open_files && ::setrlimit(RLIMIT_NOFILE, &*open_files) != 0) ::_exit(126);
      ::execve(exe.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    process p;
    p.pid_ = pid;
    return p;
  }

  process() = default;
  process(process&& o) noexcept
      : pid_(std::exchange(o.pid_, -1)), status_(o.status_), exited_(o.exited_) {}
  process& operator=(process&& o) noexcept {
    if (this != &o) {
      kill_now();
      pid_ = std::exchange(o.pid_, -1);
      status_ = o.status_;
      exited_ = o.exited_;
    }
    return *this;
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() { kill_now(); }

  /// The child's pid (-1 when none).
  pid_t pid() const { return pid_; }

  /// True while the child has not exited (reaps it when it has).
  bool running() {
    if (pid_ < 0 || exited_) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = st;
      return false;
    }
    return r == 0;
  }

  /// Send `sig`.
  void signal(int sig) {
    if (pid_ > 0 && !exited_) ::kill(pid_, sig);
  }

  /// Wait up to `timeout` for the child to exit; returns its exit code (128+signal when killed
  /// by one), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running()) {
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (pid_ < 0) return std::nullopt;
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
    return std::nullopt;
  }

  /// SIGTERM, then wait; SIGKILL when it does not exit in time.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    signal(SIGTERM);
    auto code = wait_exit(timeout);
    if (!code) kill_now();
    return code;
  }

 private:
  void kill_now() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      exited_ = true;
      status_ = st;
    }
  }

  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

/// Wait until `port_file` holds a port number (written by the child once it listens), or the
/// child exits, or `timeout` passes.
inline std::optional<std::uint16_t> wait_for_port_file(
    const std::string& port_file, process& child,
    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = read_text_file(port_file);
    if (!text.empty() && text.back() == '\n') {
      try {
        int port = std::stoi(text);
        if (port > 0 && port < 65536) return static_cast<std::uint16_t>(port);
      } catch (const std::exception&) {
      }
    }
    if (!child.running()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

}  // namespace pons::test
