// pons-mcp: the stdio MCP server. Wiring only; the protocol engine lives in libs/mcp.
#include <fmt/core.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "pons/cli/mcp_options.hpp"
#include "pons/logging/log_field.hpp"
#include "pons/logging/log_line.hpp"
#include "pons/mcp/engine.hpp"
#include "pons/mcp/stdio_transport.hpp"
#include "pons/mcp/tools/db_watcher.hpp"
#include "pons/mcp/tools/toolset.hpp"
#include "pons/mcp/worker_pool.hpp"
#include "pons/meta/account_config.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/db_location.hpp"

namespace mcp = pons::mcp;
namespace cli = pons::cli;
using pons::logging::log_quoted;
using pons::logging::log_value;

namespace {

using pons::logging::log_level;

// One key=value line per event on stderr (stdout belongs to the protocol), in the format of every
// Pons log line. `fields` are already escaped (log_value, log_quoted): a path or a message can
// never break the line.
void log_line(log_level level, std::string_view event, std::string_view fields = {}) {
  pons::logging::write_log_line(level, event, fields);
}

std::optional<std::string> getenv_value(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string binary_path(const char* argv0) {
  std::error_code ec;
  auto p = std::filesystem::canonical("/proc/self/exe", ec);
  if (!ec) return p.string();
  p = std::filesystem::absolute(argv0, ec);
  return ec ? std::string(argv0) : p.string();
}

}  // namespace

int main(int argc, char** argv) {
#if defined(__GLIBC__)
  // Buffers of 256 KiB and more (decoded photos in get_media: tens of megabytes) are mapped and
  // unmapped on their own. By default glibc raises this threshold after the first such free and
  // then keeps the memory in each worker thread's arena: a few image calls left pons-mcp at
  // 30-70 MB resident instead of ~10 (docs/mcp-performance.md).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  std::error_code cwd_error;
  auto cwd = std::filesystem::current_path(cwd_error);
  auto parsed = cli::parse_mcp_options(args, getenv_value, cwd.string());
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "pons-mcp: %s\n", error->c_str());
    return 2;
  }
  const auto& options = std::get<cli::mcp_options>(parsed);
  switch (options.what) {
    case cli::mcp_options::action::help:
      std::fputs(cli::mcp_usage().c_str(), stdout);
      return 0;
    case cli::mcp_options::action::version:
      std::printf("pons-mcp %s\n", PONS_VERSION);
      return 0;
    case cli::mcp_options::action::print_config:
      std::fputs(cli::config_snippet(options, binary_path(argv[0]), getenv_value).c_str(), stdout);
      return 0;
    case cli::mcp_options::action::serve:
      break;
  }

  // Signals are taken synchronously by this thread; every thread started below inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&stop_signals, s);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // The accounts and numbers to send from, with their tokens: the environment and PONS_CONFIG.
  auto accounts = pons::meta::load_graph_accounts(getenv_value, options.config_path);
  if (!accounts) {
    std::fprintf(stderr, "pons-mcp: %s%s\n",
                 options.config_path.empty() ? "" : (options.config_path + ": ").c_str(),
                 accounts.error().message().c_str());
    return 2;
  }

  // The database: created and migrated when missing (pons-webhook shares the file), in a folder
  // only this user may enter.
  if (auto dir_error = pons::store::create_db_directory(options.db_path); !dir_error.empty()) {
    log_line(log_level::error, "database_error", fmt::format("detail={}", log_quoted(dir_error)));
    return 1;
  }
  if (auto dir_error = pons::store::create_data_directory(options.data_dir); !dir_error.empty()) {
    log_line(log_level::error, "database_error", fmt::format("detail={}", log_quoted(dir_error)));
    return 1;
  }
  // What logs may show of the database: a server's URL without its password.
  const std::string shown_db = pons::store::shown_location(options.db_path);
  mcp::toolset_settings settings;
  settings.db_path = options.db_path;
  settings.data_dir = options.data_dir;
  settings.config_path = options.config_path;
  settings.accounts = *accounts;
  settings.graph = pons::meta::graph_config_from_env();
  settings.read_only = options.read_only;
  settings.dry_run = options.dry_run;
  settings.upload_dirs = options.upload_dirs;
  const std::size_t quick_workers =
      options.workers > 0 ? options.workers : mcp::quick_worker_count();
  settings.db_connections = quick_workers + options.call_out_workers + 1;
  settings.env = getenv_value;
  settings.on_upload_dir_refused = [](std::string_view path, std::string_view reason) {
    log_line(log_level::warn, "upload_dir_refused",
             fmt::format("dir={} reason={}", log_value(path), log_quoted(reason)));
  };
  auto toolset = mcp::toolset::open(settings);
  if (!toolset) {
    log_line(
        log_level::error, "database_error",
        fmt::format("db={} detail={}", log_value(shown_db), log_quoted(toolset.error().message())));
    return 1;
  }

  // The accounts and numbers pons-mcp is configured with are recorded the way pons-webhook
  // records its own, so the tools know them before pons-webhook ever wrote this database.
  if (auto conn = (*toolset)->database().acquire()) {
    if (auto r = pons::store::record_configured_accounts(
            **conn, pons::meta::configured_accounts(*accounts), std::chrono::system_clock::now());
        !r) {
      log_line(log_level::error, "accounts_error", "detail=" + log_quoted(r.error().message()));
    }
  }

  mcp::worker_pool pool(quick_workers, 256);
  // Sends wait for Meta on threads of their own, so reads never queue behind them.
  mcp::worker_pool call_out_pool(options.call_out_workers, 256);
  mcp::fd_sink out(STDOUT_FILENO);
  mcp::engine_options engine_options;
  engine_options.page_size = options.page_size;
  engine_options.instructions = std::string(mcp::toolset_instructions());
  engine_options.diagnostics = [](std::string_view text) {
    log_line(log_level::warn, "diagnostic", "detail=" + log_quoted(text));
  };
  mcp::engine session((*toolset)->tools(), pool, out, engine_options, &call_out_pool);

  // Push: tell subscribed clients (resources/subscribe, or a subscriptions/listen stream) when
  // pons-webhook stores something.
  mcp::db_watcher watcher(
      options.db_path, std::chrono::milliseconds(200),
      [&session](const mcp::db_changes& changes) { mcp::notify_changes(session, changes); });
  if (!watcher.start())
    log_line(log_level::warn, "watcher_error", R"(detail="change notifications are off")");

  // End of input means the client is gone: wake the main thread the same way a signal does.
  mcp::fd_reader in(STDIN_FILENO, options.max_line_bytes, session,
                    [] { ::kill(::getpid(), SIGUSR1); });
  log_line(log_level::info, "start",
           fmt::format("db={} read_only={} dry_run={}", log_value(shown_db), options.read_only,
                       options.dry_run));
  in.start();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  log_line(
      log_level::info, "stop",
      "detail=" + log_quoted(signal_number == SIGUSR1 ? "end of input" : strsignal(signal_number)));
  in.stop();
  // After end of input, let quick requests already read finish (a piped script wants its
  // answers); a signal means stop now, and a client still listening is told its
  // subscriptions/listen streams end (after end of input nobody reads them).
  if (signal_number == SIGUSR1) {
    session.wait_idle(std::chrono::seconds(2));
  } else {
    session.end_subscriptions();
  }
  watcher.stop();
  session.shutdown();
  pool.stop();
  return 0;
}
