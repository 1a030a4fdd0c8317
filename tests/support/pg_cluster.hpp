#pragma once
// Test support: a throwaway PostgreSQL 15 cluster (Debian's postgresql-15: initdb and pg_ctl) in
// a fresh temporary folder, reached only through a unix socket in that folder (no TCP port), and
// stopped and removed with the object. PostgreSQL refuses to run as root, so under root the
// server runs as the `postgres` user the package creates. Header-only.

#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/command_run.hpp"

namespace pons::test {

/// Where Debian installs PostgreSQL 15's server programs.
inline const std::string pg_bin_dir = "/usr/lib/postgresql/15/bin";

/// True when this machine has PostgreSQL 15's server programs.
inline bool pg_cluster_available() {
  return std::filesystem::exists(pg_bin_dir + "/initdb") &&
         std::filesystem::exists(pg_bin_dir + "/pg_ctl");
}

class pg_cluster {
 public:
  /// Creates and starts the cluster; throws with initdb's or pg_ctl's output when it cannot.
  pg_cluster() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pons-pg-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    std::filesystem::create_directories(data_dir());
    if (::geteuid() == 0) {
      // The server's user owns the folder; its socket stays reachable for this (root) process.
      auto owned = run_command("/bin/chown", {"-R", "postgres:postgres", dir_},
                               {"PATH=/usr/bin:/bin"}, "/", scratch());
      if (owned.code != 0) throw std::runtime_error("chown failed: " + owned.err);
      as_server_user_ = true;
    }
    run_checked(pg_bin_dir + "/initdb", {"-D", data_dir(), "-U", "pons", "-A", "trust", "-E",
                                         "UTF8", "--no-instructions", "--no-sync"});
    start_server();
    started_ = true;
  }

  pg_cluster(const pg_cluster&) = delete;
  pg_cluster& operator=(const pg_cluster&) = delete;

  ~pg_cluster() {
    if (started_) run(pg_bin_dir + "/pg_ctl", {"-D", data_dir(), "-m", "immediate", "-w", "stop"});
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove_all(dir_ + "-out", ec);
  }

  /// Stops the server at once (connections are cut, as in a crash) and starts it again.
  void restart() {
    stop();
    start();
  }
  /// Stops the server at once: connections are cut, as in a crash.
  void stop() {
    run_checked(pg_bin_dir + "/pg_ctl", {"-D", data_dir(), "-m", "immediate", "-w", "stop"});
  }
  /// Starts the stopped server again (recovering what it had committed).
  void start() { start_server(); }

  /// A libpq connection string for database `dbname` (the cluster has "postgres").
  std::string conninfo(const std::string& dbname = "postgres") const {
    return "host=" + dir_ + " user=pons dbname=" + dbname;
  }
  /// The same as a postgresql:// URI (the socket folder percent-encoded as the host).
  std::string url(const std::string& dbname = "postgres") const {
    std::string host;
    for (char c : dir_) host += c == '/' ? std::string("%2F") : std::string(1, c);
    return "postgresql://pons@" + host + "/" + dbname;
  }
  /// The server's log, for failure messages.
  std::string log() const { return read_text_file(dir_ + "/server.log"); }

 private:
  std::string data_dir() const { return dir_ + "/data"; }

  // Only the unix socket in our folder: nothing listens on the network.
  void start_server() const {
    run_checked(pg_bin_dir + "/pg_ctl",
                {"-D", data_dir(), "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
                 "-c listen_addresses='' -c unix_socket_directories='" + dir_ +
                     "' -c fsync=off -c full_page_writes=off",
                 "start"});
  }

  command_result run(const std::string& exe, std::vector<std::string> args) const {
    std::vector<std::string> env{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8"};
    if (!as_server_user_) return run_command(exe, args, env, dir_, scratch());
    args.insert(args.begin(), {"-u", "postgres", "--", exe});
    return run_command("/usr/sbin/runuser", args, env, dir_, scratch());
  }

  void run_checked(const std::string& exe, std::vector<std::string> args) const {
    auto r = run(exe, std::move(args));
    if (r.code != 0) {
      throw std::runtime_error(exe + " failed (" + std::to_string(r.code) + "): " + r.err + r.out);
    }
  }

  // Output captured by root goes beside the folder the server owns.
  std::string scratch() const {
    std::filesystem::create_directories(dir_ + "-out");
    return dir_ + "-out";
  }

  std::string dir_;
  bool as_server_user_ = false;
  bool started_ = false;
};

}  // namespace pons::test
