// pons-webhook: the Meta webhook ingress service. Wiring only: options, configuration, and the
// composition of the HTTP server with the webhook service.
#include <fmt/format.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "pons/auth/protected_resource.hpp"
#include "pons/cli/forward_admin.hpp"
#include "pons/cli/key_admin.hpp"
#include "pons/cli/template_admin.hpp"
#include "pons/cli/user_admin.hpp"
#include "pons/cli/webhook_options.hpp"
#include "pons/dashboard/accounts_api.hpp"
#include "pons/dashboard/app_routes.hpp"
#include "pons/dashboard/attachment_route.hpp"
#include "pons/dashboard/change_feed.hpp"
#include "pons/dashboard/forwarding_api.hpp"
#include "pons/dashboard/keys_api.hpp"
#include "pons/dashboard/login_service.hpp"
#include "pons/dashboard/media_route.hpp"
#include "pons/dashboard/tool_api.hpp"
#include "pons/dashboard/users_api.hpp"
#include "pons/dashboard/webhook_log_api.hpp"
#include "pons/forward/deliverer.hpp"
#include "pons/http/descriptor_limit.hpp"
#include "pons/http/server.hpp"
#include "pons/logging/log_field.hpp"
#include "pons/logging/log_line.hpp"
#include "pons/mcp/engine.hpp"
#include "pons/mcp/tools/db_watcher.hpp"
#include "pons/mcp/tools/toolset.hpp"
#include "pons/mcp/worker_pool.hpp"
#include "pons/mcp_http/transport.hpp"
#include "pons/mcp_keys/key_authenticator.hpp"
#include "pons/mcp_keys/key_validity.hpp"
#include "pons/mcp_keys/metadata_routes.hpp"
#include "pons/meta/account_config.hpp"
#include "pons/oauth/authorization_server.hpp"
#include "pons/store/db_location.hpp"
#include "pons/webhook/webhook_service.hpp"

namespace {

using pons::logging::log_level;
using pons::logging::log_quoted;
using pons::logging::log_value;
using pons::logging::write_log_line;

std::optional<std::string> getenv_lookup(std::string_view name) {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

// One line: what was wrong, and where the help is.
int usage_error(const std::string& message) {
  std::fprintf(stderr, "pons-webhook: %s (see 'pons-webhook --help')\n", message.c_str());
  return 2;
}

bool write_port_file(const std::string& path, std::uint16_t port) {
  // Written then renamed, so a reader never sees a half-written number.
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    out << port << '\n';
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// The watcher's changes in the dashboard feed's terms (the dashboard knows nothing of MCP).
pons::dashboard::feed_change feed_change_of(const pons::mcp::db_changes& c) {
  pons::dashboard::feed_change f;
  for (std::size_t i = 0; i < c.conversation_ids.size(); ++i) {
    f.conversations.emplace_back(c.conversation_ids[i], i < c.conversation_accounts.size()
                                                            ? c.conversation_accounts[i]
                                                            : std::string());
  }
  f.new_conversations = c.new_conversations;
  f.templates = c.templates_changed;
  f.template_accounts = c.template_accounts;
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  namespace http = pons::http;
  namespace meta = pons::meta;
  namespace cli = pons::cli;
  namespace webhook = pons::webhook;
  // The writer frees each group's memory after its commit; with glibc's default trim threshold
  // that handed pages back to the kernel (madvise, and a TLB shootdown on every core) about once
  // per request. Keep freed memory for reuse instead.
#if defined(__GLIBC__) && !defined(PONS_WITH_JEMALLOC)
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 16 * 1024 * 1024);
#endif

  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::error_code cwd_error;
  const std::string cwd = std::filesystem::current_path(cwd_error).string();
  // Forwarding administration: `pons-webhook targets|deliveries ...`.
  if (!args.empty() && pons::cli::is_forward_command(args.front())) {
    return pons::cli::run_forward_admin(args, getenv_lookup, cwd, std::cout, std::cerr);
  }
  // API keys of the MCP endpoint: `pons-webhook keys create|list|revoke`.
  if (!args.empty() && cli::is_keys_command(args.front())) {
    return cli::run_key_admin(args, getenv_lookup, cwd, std::cout, std::cerr);
  }
  // Dashboard users: `pons-webhook users add|list|remove|passwd|disable|enable`.
  if (!args.empty() && cli::is_users_command(args.front())) {
    return cli::run_user_admin(args, getenv_lookup, cwd, std::cout, std::cerr);
  }
  // Template sync by hand: `pons-webhook templates sync [--account WABA_ID]`.
  if (!args.empty() && cli::is_templates_command(args.front())) {
    return cli::run_templates_command(args, getenv_lookup, meta::graph_config_from_env(), cwd,
                                      std::cout, std::cerr);
  }
  auto parsed = cli::parse_webhook_options(args, getenv_lookup, cwd);
  if (!parsed.error.empty()) return usage_error(parsed.error);
  const auto& o = parsed.options;
  if (o.command == cli::webhook_command::help) {
    std::cout << cli::webhook_usage();
    return 0;
  }
  if (o.command == cli::webhook_command::version) {
#if defined(PONS_WITH_JEMALLOC)
    std::printf("pons-webhook %s (allocator: jemalloc)\n", PONS_VERSION);
#else
    std::printf("pons-webhook %s (allocator: libc)\n", PONS_VERSION);
#endif
    return 0;
  }

  auto from_env = meta::account_config_from_env(getenv_lookup);
  if (!from_env) return usage_error(from_env.error().message());
  meta::account_config from_file;
  if (!o.config_path.empty()) {
    auto loaded = meta::load_account_config(o.config_path);
    if (!loaded) return usage_error(fmt::format("{}: {}", o.config_path, loaded.error().message()));
    from_file = std::move(*loaded);
  }
  auto accounts = meta::merge_account_configs(std::move(*from_env), std::move(from_file));
  if (!accounts) return usage_error(accounts.error().message());

  // Every connection holds a descriptor: take all the system allows (usually far more than the
  // soft limit of 1024), and keep the connection limit within it.
  const auto open_files = http::raise_open_file_limit();
  const auto fit = http::connections_that_fit(open_files);
  auto max_connections = o.max_connections;
  if (max_connections > fit) {
    write_log_line(log_level::warn, "connection_limit",
                   fmt::format("max_connections={} wanted={} open_files={} action=\"raise "
                               "LimitNOFILE (ulimit -Hn) for more\"",
                               fit, max_connections, open_files));
    max_connections = fit;
  }

  if (auto dir_error = pons::store::create_db_directory(o.db_path); !dir_error.empty()) {
    write_log_line(log_level::error, "database_error", "detail=" + log_quoted(dir_error));
    return 1;
  }
  if (auto dir_error = pons::store::create_data_directory(o.data_dir); !dir_error.empty()) {
    write_log_line(log_level::error, "database_error", "detail=" + log_quoted(dir_error));
    return 1;
  }
  // What logs may show of the database: a server's URL without its password.
  const std::string shown_db = pons::store::shown_location(o.db_path);

  // Forwarding deliverer: sends outbox rows to their targets in the background. Made
  // before the service so the ingest writer can wake it after each commit that queued
  // deliveries, and it outlives the service's writer thread.
  auto forward_options = pons::forward::deliverer_options_from_env(
      o.db_path, [](const char* n) { return std::getenv(n); });
  // The dashboard's test events go out under the deliverer's own rules.
  const pons::dashboard::test_event_rules test_rules{forward_options.allow_link_local,
                                                     forward_options.ca_file};
  pons::forward::deliverer forwarder(std::move(forward_options));

  boost::asio::io_context io{1};
  // The server's connection gauges join /metrics; the server is made after the service.
  http::server* server_for_metrics = nullptr;
  webhook::webhook_service_options so;
  pons::mcp_http::transport* transport_for_metrics = nullptr;
  so.extra_metrics = [&server_for_metrics, &transport_for_metrics] {
    std::string out = server_for_metrics ? server_for_metrics->metrics_text() : std::string();
    if (transport_for_metrics) out += transport_for_metrics->metrics_text();
    return out;
  };
  so.accounts = std::move(*accounts);
  so.db_path = o.db_path;
  const std::string media_dir = (std::filesystem::path(o.data_dir) / "media").string();
  so.media_dir = media_dir;
  so.queue_limit = o.queue_limit;
  so.max_group = o.max_group;
  so.media = o.media;
  so.log_retention_days = o.log_retention_days;
  so.dedup_retention_days = o.dedup_retention_days;
  so.prune_interval = o.prune_interval;
  so.template_sync = o.template_sync;
  so.template_sync_interval = o.template_sync_interval;
  so.graph = meta::graph_config_from_env();
  so.on_forward_events = [&forwarder] { forwarder.notify(); };
  // A failed WAL sync: the service answers everything 500 from then on; stop serving and exit
  // non-zero (below) so a supervisor restarts the service on what the disk really holds.
  std::atomic<bool> sync_failed{false};
  std::function<void()> stop_serving;
  so.on_sync_failure = [&] {
    sync_failed = true;
    boost::asio::post(io, [&] {
      if (stop_serving) stop_serving();
    });
  };
  webhook::webhook_service service(io, std::move(so));
  if (auto opened = service.open(); !opened) {
    write_log_line(
        log_level::error, "database_error",
        fmt::format("db={} detail={}", log_value(shown_db), log_quoted(opened.error().message())));
    return 1;
  }

  // /mcp: MCP over Streamable HTTP on this listener, with the tools pons-mcp offers.
  auto routes = service.routes();
  std::unique_ptr<pons::mcp::toolset> mcp_tools;
  std::unique_ptr<pons::mcp::worker_pool> mcp_pool;
  std::unique_ptr<pons::mcp::worker_pool> call_out_pool;
  const std::size_t quick_workers =
      o.mcp_workers > 0 ? o.mcp_workers : pons::mcp::quick_worker_count();
  std::unique_ptr<pons::mcp_http::transport> mcp_transport;
  if (o.mcp && !o.mcp_public_url.empty() && !pons::auth::metadata_url(o.mcp_public_url)) {
    return usage_error(
        "--mcp-public-url needs an absolute http(s) URL with a host and no fragment, such as "
        "https://example.com/mcp");
  }
  // The tools serve /mcp and the dashboard's API alike, on two pools of workers: quick calls,
  // and calls that wait on Meta or on the client.
  if (o.mcp || o.dashboard) {
    auto graph_accounts = meta::load_graph_accounts(getenv_lookup, o.config_path);
    if (!graph_accounts) return usage_error(graph_accounts.error().message());
    pons::mcp::toolset_settings ts;
    ts.db_path = o.db_path;
    ts.data_dir = o.data_dir;
    ts.config_path = o.config_path;
    ts.accounts = std::move(*graph_accounts);
    ts.graph = meta::graph_config_from_env();
    ts.read_only = o.mcp_read_only;
    ts.dry_run = o.mcp_dry_run;
    ts.db_connections = quick_workers + o.mcp_call_out_workers + 1;
    ts.env = getenv_lookup;
    ts.conformance_fixtures = o.mcp_conformance;
    ts.on_upload_dir_refused = [](std::string_view path, std::string_view reason) {
      write_log_line(log_level::warn, "upload_dir_refused",
                     fmt::format("dir={} reason={}", log_value(path), log_quoted(reason)));
    };
    auto opened_tools = pons::mcp::toolset::open(ts);
    if (!opened_tools) {
      write_log_line(log_level::error, "database_error",
                     fmt::format("db={} detail={}", log_value(shown_db),
                                 log_quoted(opened_tools.error().message())));
      service.close();
      return 1;
    }
    mcp_tools = std::move(*opened_tools);
    // Tool calls, from /mcp and the dashboard alike, yield the CPU to webhooks: at a lower
    // priority, and by waiting a little before they start while webhooks are being written.
    std::function<void()> yield;
    if (o.mcp_yield_ms > 0) {
      yield = [&service, at_most = std::chrono::milliseconds(o.mcp_yield_ms)] {
        service.wait_while_writing(at_most);
      };
    }
    mcp_pool =
        std::make_unique<pons::mcp::worker_pool>(quick_workers, 256, o.mcp_worker_nice, yield);
    // Sends and the like mostly wait for Meta: threads of their own, so that a slow answer
    // never holds a quick worker, of which there may be only one. They write to the database
    // too, so they also wait for the webhooks in hand.
    call_out_pool = std::make_unique<pons::mcp::worker_pool>(o.mcp_call_out_workers, 256,
                                                             o.mcp_worker_nice, std::move(yield));
  }
  if (o.mcp) {
    pons::mcp_http::transport_options to;
    to.body_limit = o.mcp_body_limit;
    to.sessions.max_sessions = o.mcp_max_sessions;
    // Without keys every client is the one principal "conformance": a cap per principal would
    // only be a second, smaller global cap.
    to.sessions.max_per_principal =
        o.mcp_conformance ? o.mcp_max_sessions : o.mcp_max_sessions_per_key;
    to.sessions.idle_timeout = o.mcp_session_idle;
    to.max_open_per_session = o.mcp_max_open;
    to.allowed_origins = o.mcp_allowed_origins;
    to.allow_loopback_origins = cli::is_loopback_address(o.bind_address);
    // API keys decide who may use /mcp; only the loopback conformance mode is open to anyone.
    if (o.mcp_conformance) {
      to.authenticate = pons::mcp_http::allow_everything("conformance");
    } else {
      pons::mcp_keys::key_auth_options ko;
      ko.public_url = o.mcp_public_url;
      ko.path = to.path;
      ko.rate = {o.mcp_key_burst, o.mcp_key_per_second};
      ko.oauth = o.dashboard;
      // Both key readers open the database now: a failure stops the start, named.
      auto database_failed = [&](const boost::system::error_code& ec) {
        write_log_line(
            log_level::error, "database_error",
            fmt::format("db={} detail={}", log_value(shown_db), log_quoted(ec.message())));
        service.close();
        return 1;
      };
      auto keys = pons::mcp_keys::key_authenticator(o.db_path, mcp_tools->tools(), ko);
      if (!keys) return database_failed(keys.error());
      to.authenticate = std::move(*keys);
      // A key revoked or expired while its streams are open ends them, not only its next request.
      auto validity = pons::mcp_keys::key_validity(o.db_path);
      if (!validity) return database_failed(validity.error());
      to.still_valid = std::move(*validity);
      // With the dashboard's sign-in, remote clients may also sign in with OAuth.
      pons::mcp_keys::add_metadata_routes(routes, o.mcp_public_url, to.path, o.dashboard);
    }
    to.engine.instructions = std::string(pons::mcp::toolset_instructions());
    to.engine.max_waits = 2;
    to.engine.diagnostics = [](std::string_view text) {
      write_log_line(log_level::warn, "mcp_diagnostic", "detail=" + log_quoted(text));
    };
    to.log = [](std::string_view event, std::string_view fields) {
      write_log_line(log_level::info, event, fields);
    };
    to.call_out_pool = call_out_pool.get();
    mcp_transport = std::make_unique<pons::mcp_http::transport>(io, mcp_tools->tools(), *mcp_pool,
                                                                std::move(to));
    mcp_transport->add_routes(routes);
    transport_for_metrics = mcp_transport.get();
  }

  // The dashboard's sign-in, on this listener: users, sessions, the route guard.
  std::unique_ptr<pons::dashboard::login_service> dashboard;
  std::unique_ptr<pons::dashboard::change_feed> feed;
  std::unique_ptr<pons::mcp::db_watcher> watcher;
  if (o.dashboard) {
    pons::dashboard::login_options lo;
    lo.db_path = o.db_path;
    auto opened_dashboard = pons::dashboard::login_service::open(io, std::move(lo));
    if (!opened_dashboard) {
      write_log_line(log_level::error, "database_error",
                     fmt::format("db={} detail={}", log_value(shown_db),
                                 log_quoted(opened_dashboard.error().message())));
      service.close();
      return 1;
    }
    dashboard = std::move(*opened_dashboard);
    dashboard->add_routes(routes);
    pons::dashboard::tool_api(mcp_tools->tools(), *mcp_pool, *call_out_pool, dashboard->access())
        .add_routes(routes);
    pons::dashboard::add_app_routes(routes, dashboard->access());
    pons::dashboard::add_keys_routes(routes, dashboard->access(), dashboard->database());
    pons::dashboard::add_webhook_log_route(routes, dashboard->access(), dashboard->database());
    pons::dashboard::add_accounts_route(routes, dashboard->access(), dashboard->database());
    const auto& upload_folders = mcp_tools->uploads().folders();
    pons::dashboard::add_attachment_route(
        routes, dashboard->access(), *mcp_pool,
        upload_folders.empty() ? std::string() : upload_folders.front());
    pons::oauth::add_grant_routes(routes, dashboard->access(), dashboard->database());
    if (o.mcp && !o.mcp_conformance) {
      pons::oauth::add_authorization_routes(routes, dashboard->access(), dashboard->database(),
                                            {o.mcp_public_url, "/mcp"});
    }
    pons::dashboard::add_forwarding_routes(routes, dashboard->access(), dashboard->database(),
                                           *call_out_pool, test_rules);
    pons::dashboard::add_users_routes(routes, dashboard->access(), dashboard->database(),
                                      *mcp_pool);
    pons::dashboard::add_media_route(routes, dashboard->access(), dashboard->database(), media_dir,
                                     *mcp_pool);
    feed = std::make_unique<pons::dashboard::change_feed>(io, dashboard->access());
    feed->add_routes(routes);
  }

  // Push: tell subscribed MCP sessions and the dashboard's open pages when the webhook (or
  // anyone else) stores something.
  if (mcp_transport || feed) {
    watcher = std::make_unique<pons::mcp::db_watcher>(
        o.db_path, std::chrono::milliseconds(200),
        [t = mcp_transport.get(), f = feed.get()](const pons::mcp::db_changes& changes) {
          if (t)
            t->notify([changes](pons::mcp::engine& e) { pons::mcp::notify_changes(e, changes); });
          if (f) f->publish(feed_change_of(changes));
        });
    if (!watcher->start())
      write_log_line(log_level::warn, "watcher_error", R"(detail="change notifications are off")");
  }

  // What this listener answers, once and whole (our own text, so not cut like a value from
  // outside): which routes a configuration exposes is worth knowing.
  const std::string route_list = fmt::format("{}", fmt::join(routes.describe(), ", "));
  write_log_line(log_level::info, "routes", "list=" + log_quoted(route_list, route_list.size()));
  http::server_options sopt;
  sopt.bind_address = o.bind_address;
  sopt.port = o.port;
  sopt.header_timeout = o.header_timeout;
  sopt.request_timeout = o.request_timeout;
  sopt.max_connections = max_connections;
  sopt.max_connections_per_address = o.max_connections_per_address;
  sopt.on_response = [&service](std::string_view route, int status, std::chrono::nanoseconds d) {
    service.on_response(route, status, d);
  };
  http::server srv(io, sopt, std::move(routes));
  server_for_metrics = &srv;
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish; run() returns when done.
  // Caught from before the port file says the service is ready: a supervisor may stop it at once.
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    write_log_line(log_level::info, "shutting_down", fmt::format("signal={}", sig));
    srv.stop();
    // Open MCP and dashboard streams end, so their connections can close.
    if (mcp_transport) mcp_transport->close();
    if (feed) feed->close();
  });
  stop_serving = [&] {
    signals.cancel();
    srv.stop();
    if (mcp_transport) mcp_transport->close();
    if (feed) feed->close();
  };
  auto port = srv.listen();
  if (!port) {
    write_log_line(log_level::error, "listen_failed",
                   fmt::format("address={} port={} detail={}", log_value(o.bind_address), o.port,
                               log_quoted(port.error().message())));
    service.close();
    return 1;
  }
  write_log_line(log_level::info, "listening",
                 fmt::format("address={} port={}", log_value(o.bind_address), *port));
  if (!o.port_file.empty() && !write_port_file(o.port_file, *port)) {
    write_log_line(log_level::error, "port_file_failed", "path=" + log_value(o.port_file));
    service.close();
    return 1;
  }

  if (auto started = forwarder.start(); !started) {
    write_log_line(log_level::warn, "forwarding_disabled",
                   "detail=" + log_quoted(started.error().message()));
  }
  io.run();
  if (sync_failed) {
    // No clean close: closing the last connection would checkpoint the WAL this process can no
    // longer trust into the database file. The next start recovers from the disk.
    write_log_line(log_level::error, "stopped",
                   "reason=wal_sync_failed exit_code=75 action=\"restart pons-webhook\"");
    std::_Exit(75);
  }
  if (watcher) watcher->stop();
  mcp_transport.reset();
  if (mcp_pool) mcp_pool->stop();
  if (call_out_pool) call_out_pool->stop();
  if (dashboard) dashboard->stop();
  forwarder.stop();
  service.close();
  write_log_line(log_level::info, "stopped");
  return 0;
}
