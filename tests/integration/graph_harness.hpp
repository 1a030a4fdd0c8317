#pragma once
// Test harness for the Graph API tests: a temporary directory, the fake Graph API as a child
// process (port 0 + port file), a throw-away CA and server certificate made with the openssl
// CLI, and small helpers to talk to the fake's control endpoints.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "pons/http/client.hpp"

extern char** environ;

namespace pons::graph_test {

namespace fs = std::filesystem;

/// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("pons-graph-" + std::to_string(rd()) + "-" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string fake_graph_bin() {
  return std::string(PONS_BINARY_DIR) + "/tests/support/fake_graph/pons-fake-graph";
}

/// Paths of a CA and a server certificate for localhost / 127.0.0.1 signed by it.
struct test_pki {
  std::string ca_cert;
  std::string server_cert;
  std::string server_key;
};

/// Makes a CA and a server certificate with the openssl CLI (EC keys: fast).
inline test_pki make_pki(const temp_dir& dir) {
  test_pki pki{dir.file("ca.pem"), dir.file("server.pem"), dir.file("server.key")};
  std::ofstream(dir.file("ext.cnf")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                        "basicConstraints=CA:FALSE\n"
                                        "keyUsage=digitalSignature\n"
                                        "extendedKeyUsage=serverAuth\n";
  auto d = dir.path().string();
  std::string cmd =
      "cd '" + d +
      "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-keyout ca.key -out ca.pem -days 2 -subj '/CN=Pons Test CA' 2>/dev/null"
      " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null"
      " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 2 -extfile ext.cnf 2>/dev/null";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("openssl could not make the test PKI");
  return pki;
}

/// The fake Graph API running as a child process; stopped (SIGTERM) on destruction.
class fake_graph_process {
 public:
  fake_graph_process(const temp_dir& dir, std::vector<std::string> extra_args,
                     std::string token = "test-token-SECRET-abc123")
      : token_(std::move(token)) {
    auto port_file = dir.file("fake-" + std::to_string(++instances()) + ".port");
    std::vector<std::string> args{fake_graph_bin(), "--port",  "0",   "--port-file",
                                  port_file,        "--token", token_};
    for (auto& a : extra_args) args.push_back(std::move(a));
    tls_ = std::find(args.begin(), args.end(), "--tls-cert") != args.end();
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + args[0]);
    }
    for (int i = 0; i < 500 && !std::filesystem::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    port_ = std::stoi(read_file(port_file));
  }
  ~fake_graph_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  fake_graph_process(const fake_graph_process&) = delete;
  fake_graph_process& operator=(const fake_graph_process&) = delete;

  std::string ca_file;  // trusted by control() when the fake serves TLS

  int port() const { return port_; }
  const std::string& token() const { return token_; }
  /// Base URL for the client (https://localhost:P when TLS, else http://127.0.0.1:P).
  std::string base_url() const {
    return tls_ ? "https://localhost:" + std::to_string(port_)
                : "http://127.0.0.1:" + std::to_string(port_);
  }

  /// Calls a /_fake/ control endpoint and returns its JSON answer.
  boost::json::value control(const std::string& method, const std::string& path,
                             const std::string& body = "", const std::string& ca_file = "") const {
    http::client_options o;
    o.ca_file = ca_file.empty() ? this->ca_file : ca_file;
    http::client c(o);
    http::request req;
    req.method = method;
    req.url = base_url() + path;
    if (!body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = body;
    }
    auto res = c.send(req);
    if (!res) throw std::runtime_error("fake control call failed: " + res.error().message());
    return boost::json::parse(res->body);
  }

  /// Every request the fake recorded so far.
  boost::json::array requests() const {
    return control("GET", "/_fake/requests").at("requests").as_array();
  }

 private:
  static int& instances() {
    static int n = 0;
    return n;
  }
  pid_t pid_ = -1;
  int port_ = 0;
  bool tls_ = false;
  std::string token_;
};

}  // namespace pons::graph_test
