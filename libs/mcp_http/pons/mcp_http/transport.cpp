#include "pons/mcp_http/transport.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "pons/logging/log_field.hpp"
#include "pons/mcp/jsonrpc.hpp"
#include "pons/mcp/request_meta.hpp"
#include "pons/mcp_http/header_checks.hpp"
#include "pons/mcp_http/stream_events.hpp"
#include "pons/prometheus/text.hpp"

namespace pons::mcp_http {

namespace net = boost::asio;
namespace json = boost::json;
using std::chrono::steady_clock;

namespace {

constexpr auto token = net::as_tuple(net::use_awaitable);

// 32 random bytes as 64 hex digits: visible ASCII, unguessable.
std::string new_session_id() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string id;
  id.reserve(64);
  for (auto b : bytes) fmt::format_to(std::back_inserter(id), "{:02x}", b);
  return id;
}

// A refusal: the status with a JSON-RPC error without an id, as the specification allows.
http::server_response refusal(int status, std::string_view message, std::string_view reason,
                              mcp::rpc_code code = mcp::rpc_code::invalid_request) {
  http::server_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = mcp::make_error_response(nullptr, mcp::rpc_error{code, std::string(message), {}});
  res.log_note = fmt::format("mcp_refused={}", reason);
  return res;
}

// The request ids of a message or batch as map keys (serialised), in order; "" for a request
// whose id is unusable (the engine answers it, but the transport cannot wait for it).
struct message_shape {
  std::vector<std::string> request_ids;
  std::vector<std::string> progress_tokens;
  bool initialize = false;
  bool era_meta = false;      // a 2026-07-28 request (its _meta or its method says so)
  bool wants_stream = false;  // a tools/call, or a request that asked for progress
};

void inspect(const json::value& message, message_shape& shape) {
  auto in = mcp::classify(message);
  if (in.type != mcp::incoming::kind::request) return;
  shape.request_ids.push_back(json::serialize(in.id));
  // An initialize without params.protocolVersion but with the 2026-07-28 _meta is a modern
  // request (answered -32601), not a handshake.
  if (mcp::request_era(in.method, in.params) == mcp::protocol_era::modern) {
    shape.era_meta = true;
  } else if (in.method == "initialize") {
    shape.initialize = true;
  }
  // Calls may send progress and log messages first; a 2026-07-28 subscription is a stream.
  if (in.method == "tools/call" || in.method == "subscriptions/listen") shape.wants_stream = true;
  if (auto* meta = in.params.if_contains("_meta"); meta && meta->is_object()) {
    if (auto* p = meta->get_object().if_contains("progressToken")) {
      shape.progress_tokens.push_back(json::serialize(*p));
      shape.wants_stream = true;
    }
  }
}

message_shape shape_of(const json::value& body) {
  message_shape shape;
  if (body.is_array()) {
    for (const auto& item : body.get_array()) inspect(item, shape);
    shape.wants_stream = false;  // a batch has one answer: JSON
  } else {
    inspect(body, shape);
  }
  return shape;
}

// An error answering one 2026-07-28 request, with its id, at the status the transport page sets.
http::server_response modern_error(const json::value& id, const mcp::rpc_error& error,
                                   std::string_view reason) {
  http::server_response res;
  res.status = modern_error_status(static_cast<int>(error.code));
  res.content_type = "application/json";
  res.body = mcp::make_error_response(id, error);
  res.log_note = fmt::format("mcp_refused={}", reason);
  return res;
}

// The checks of a 2026-07-28 request the transport answers itself, before any engine: headers
// that disagree with the body (-32020), _meta missing or naming a revision we do not serve
// (-32602, -32022), and a method this era does not have (-32601, 404).
std::optional<http::server_response> check_modern_request(const http::server_request& req,
                                                          const json::value& body) {
  auto in = mcp::classify(body);
  if (in.type != mcp::incoming::kind::request) return std::nullopt;
  auto header = [&](std::string_view name) -> std::optional<std::string_view> {
    if (!req.has_header(name)) return std::nullopt;
    return req.header(name);
  };
  mirrored_fields f;
  f.protocol_header = header("MCP-Protocol-Version");
  f.method_header = header("Mcp-Method");
  f.name_header = header("Mcp-Name");
  f.protocol_body = mcp::requested_version(in.params);
  f.method_body = in.method;
  for (const char* key : {"name", "uri"}) {
    if (auto* v = in.params.if_contains(key); v && v->is_string()) {
      f.name_body = std::string_view(v->get_string());
      break;
    }
  }
  if (auto mismatch = header_mismatch(f)) {
    return modern_error(in.id, {mcp::rpc_code::header_mismatch, std::move(*mismatch), nullptr},
                        "header_mismatch");
  }
  auto meta = mcp::read_request_meta(in.params);
  if (auto* err = std::get_if<mcp::rpc_error>(&meta)) return modern_error(in.id, *err, "meta");
  if (!mcp::is_modern_method(in.method)) {
    return modern_error(
        in.id,
        {mcp::rpc_code::method_not_found,
         fmt::format(
             "Method not found: {} is not a method of protocol 2026-07-28{}", in.method,
             in.method == "initialize" || in.method == "ping" || in.method == "logging/setLevel" ||
                     in.method == "resources/subscribe" || in.method == "resources/unsubscribe"
                 ? " (it was removed; see server/discover and subscriptions/listen)"
                 : ""),
         nullptr},
        "method_not_found");
  }
  return std::nullopt;
}

// A message the authenticator's check refused (a tool the key lacks the scope for): its status
// and headers, and a JSON-RPC error with the request's id when there is one, so the client can
// tell the assistant which call failed and why.
http::server_response message_refused(const json::value& body, message_refusal refused) {
  json::value id = nullptr;
  if (auto in = mcp::classify(body); in.type == mcp::incoming::kind::request) id = in.id;
  http::server_response res;
  res.status = refused.status;
  res.content_type = "application/json";
  res.headers = std::move(refused.headers);
  res.body = mcp::make_error_response(
      id, mcp::rpc_error{mcp::rpc_code::invalid_request, std::move(refused.message), nullptr});
  res.log_note = "mcp_refused=scope";
  return res;
}

// True when MCP-Protocol-Version names a revision served per request (2026-07-28): such a
// request without the _meta is still a modern one, refused for its missing _meta (-32602).
bool names_modern_version(const http::server_request& req) {
  if (!req.has_header("MCP-Protocol-Version")) return false;
  auto v = mcp::parse_protocol_version(req.header("MCP-Protocol-Version"));
  return v && mcp::era_of(*v) == mcp::protocol_era::modern;
}

// The HTTP status of an engine's answer to a 2026-07-28 request sent as JSON.
int modern_answer_status(std::string_view answer) {
  boost::system::error_code ec;
  auto v = json::parse(answer, ec);
  auto* o = ec ? nullptr : v.if_object();
  auto* error = o ? o->if_contains("error") : nullptr;
  auto* code = error && error->is_object() ? error->get_object().if_contains("code") : nullptr;
  return code && code->is_int64() ? modern_error_status(static_cast<int>(code->get_int64())) : 200;
}

}  // namespace

// One POST waiting for its answer, or one GET stream: the messages routed to it, on the io thread.
struct exchange {
  explicit exchange(net::any_io_executor ex, std::size_t keep_written = 0)
      : wake(std::move(ex)), queue(keep_written) {}
  net::steady_timer wake;
  stream_events queue;
  std::vector<std::string> ids;              // request ids it waits for (serialised)
  std::vector<std::string> progress_tokens;  // progress notifications routed here
  bool answered = false;                     // the response (or batch answer) arrived
  bool ended = false;                        // the session closed
  bool listener = false;                     // a GET stream: never answered
  // A GET stream of a session: its number among the session's streams, for event ids; which
  // connection writes it (a resumption takes over from one not yet noticed gone); and whether
  // its connection went away, leaving it to collect messages until the client resumes it.
  std::uint64_t number = 0;
  std::uint64_t writer = 0;
  bool detached = false;

  // Messages a GET stream may hold for a client that reads too slowly; one more ends the stream
  // (the client opens another) rather than growing memory.
  static constexpr std::size_t max_queued = 1024;
  // Messages a GET stream keeps after writing them, for a client that resumes it.
  static constexpr std::size_t max_replayed = 256;

  void push(std::string message) {
    if (listener && queue.size() >= max_queued) return end();
    queue.push(std::move(message));
    wake.cancel();
  }
  void end() {
    ended = true;
    wake.cancel();
  }
};

// The engine of a session and the sink it writes to; destroyed on the reaper thread, since an
// engine waits for its running calls when it stops.
struct session;
struct session_core {
  struct routing_sink final : mcp::message_sink {
    routing_sink(net::io_context& c, std::weak_ptr<session> s) : io(c), target(std::move(s)) {}
    void send(std::string message) override;
    void send_related(std::string message, const json::value& related_id) override;
    void send_answer(std::string message, const json::value& id) override;
    net::io_context& io;
    std::weak_ptr<session> target;
  };
  session_core(net::io_context& io, std::weak_ptr<session> s) : sink(io, std::move(s)) {}
  routing_sink sink;                    // first: outlives the engine
  std::unique_ptr<mcp::engine> engine;  // set right after construction
};

struct session {
  std::string id;         // empty for a stateless request
  std::string principal;  // who opened it (the authenticator's); only they may use it
  std::shared_ptr<session_core> core;
  mcp::protocol_version version = mcp::latest_version;
  std::map<std::string, std::shared_ptr<exchange>, std::less<>> waiting;  // by request id
  std::vector<std::weak_ptr<exchange>> streams;  // POST streams open, newest last
  std::shared_ptr<exchange> listener;  // the GET stream, when open or waiting to be resumed
  std::uint64_t streams_opened = 0;    // GET streams so far: the next one's number
  std::size_t open = 0;
  bool closed = false;

  // Delivers one message of the engine to the exchange it belongs to (io thread). A message made
  // while a request runs (`related`: its serialised id) goes on that request's stream while it
  // is open.
  void route(std::string message, std::optional<std::string> related = std::nullopt) {
    if (closed) return;
    if (related) {
      if (auto it = waiting.find(*related); it != waiting.end()) {
        std::erase_if(streams, [](const auto& w) { return w.expired(); });
        for (const auto& w : streams) {
          if (w.lock() == it->second) return it->second->push(std::move(message));
        }
      }
    }
    boost::system::error_code ec;
    auto v = json::parse(message, ec);
    if (ec) return;
    if (v.is_array()) {
      for (const auto& item : v.get_array()) {
        auto* o = item.if_object();
        auto* id = o ? o->if_contains("id") : nullptr;
        if (!id) continue;
        if (auto it = waiting.find(json::serialize(*id)); it != waiting.end()) {
          return answer(it->second, std::move(message));
        }
      }
      return;
    }
    auto* o = v.if_object();
    if (!o) return;
    if (!o->contains("method")) {
      auto* id = o->if_contains("id");
      if (!id) return;
      if (auto it = waiting.find(json::serialize(*id)); it != waiting.end()) {
        answer(it->second, std::move(message));
      }
      return;
    }
    // A notification: progress goes to the stream of the request that asked for it; anything
    // else to the GET stream, else to the newest open POST stream, else nowhere.
    std::optional<std::string> progress;
    if (auto* params = o->if_contains("params"); params && params->is_object()) {
      if (auto* p = params->get_object().if_contains("progressToken")) {
        progress = json::serialize(*p);
      }
    }
    std::erase_if(streams, [](const auto& w) { return w.expired(); });
    if (progress) {
      for (const auto& w : streams) {
        auto x = w.lock();
        for (const auto& t : x->progress_tokens)
          if (t == *progress) return x->push(std::move(message));
      }
      return;
    }
    if (listener) return listener->push(std::move(message));
    if (!streams.empty()) streams.back().lock()->push(std::move(message));
  }

  // Delivers the engine's answer to the request with serialised id `key` (io thread): the
  // engine said whose it is, so the message, a tool's whole result, is not parsed to find out.
  void route_answer(std::string message, const std::string& key) {
    if (closed) return;
    if (auto it = waiting.find(key); it != waiting.end()) answer(it->second, std::move(message));
  }

  void answer(const std::shared_ptr<exchange>& x, std::string message) {
    for (const auto& key : x->ids) waiting.erase(key);
    x->answered = true;
    x->push(std::move(message));
  }

  void end_all() {
    closed = true;
    for (auto& [key, x] : waiting) x->end();
    waiting.clear();
    for (auto& w : streams)
      if (auto x = w.lock()) x->end();
    streams.clear();
    if (listener) listener->end();
    listener.reset();
  }
};

void session_core::routing_sink::send(std::string message) {
  net::post(io, [target = target, message = std::move(message)]() mutable {
    if (auto s = target.lock()) s->route(std::move(message));
  });
}

void session_core::routing_sink::send_answer(std::string message, const json::value& id) {
  net::post(io,
            [target = target, message = std::move(message), key = json::serialize(id)]() mutable {
              if (auto s = target.lock()) s->route_answer(std::move(message), key);
            });
}

void session_core::routing_sink::send_related(std::string message, const json::value& related_id) {
  net::post(io, [target = target, message = std::move(message),
                 related = json::serialize(related_id)]() mutable {
    if (auto s = target.lock()) s->route(std::move(message), std::move(related));
  });
}

// Stops engines off the io thread: an engine waits for its running calls when it stops.
class reaper {
 public:
  reaper() : thread_([this] { run(); }) {}
  ~reaper() { stop(); }

  void reap(std::shared_ptr<session_core> core) {
    {
      std::lock_guard lock(mutex_);
      if (!stopping_) {
        queue_.push_back(std::move(core));
        cv_.notify_one();
        return;
      }
    }
    core.reset();  // after stop(): here and now
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      cv_.notify_one();
    }
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto core = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      core.reset();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<session_core>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

struct transport::impl : std::enable_shared_from_this<impl> {
  impl(net::io_context& c, const mcp::registry& r, mcp::worker_pool& p, transport_options o)
      : io(c), tools(r), pool(p), opt(std::move(o)), table(opt.sessions), sweep(c), recheck(c) {}

  net::io_context& io;
  const mcp::registry& tools;
  mcp::worker_pool& pool;
  transport_options opt;
  session_table table;
  std::map<std::string, std::shared_ptr<session>, std::less<>> sessions;
  // 2026-07-28 requests in progress: sessions of one request each, in no table, whose streams
  // (a subscription's) may stay open as long as a GET stream.
  std::map<const session*, std::weak_ptr<session>> stateless;
  net::steady_timer sweep;
  bool sweeping = false;
  net::steady_timer recheck;
  bool rechecking = false;
  std::string last_rechecked;  // principals are checked in turn, from the one after this
  bool closing = false;
  reaper reaper_;

  std::uint64_t opened = 0;
  std::uint64_t closed_deleted = 0;
  std::uint64_t closed_expired = 0;
  std::uint64_t closed_evicted = 0;
  std::uint64_t closed_revoked = 0;
  std::uint64_t refused_full = 0;
  std::uint64_t refused_principal_full = 0;

  void log(std::string_view event, std::string_view fields) const {
    if (opt.log) opt.log(event, fields);
  }

  // Origin and authentication, for every method: the refusal, or who is asking and what they
  // may see.
  struct admission {
    std::optional<http::server_response> refused;
    std::string principal;
    mcp::account_scope account;
    std::optional<std::vector<mcp::scope>> scopes;
    message_check check;
  };

  // The session's engine sees what its principal may: their account and their key's tools.
  std::shared_ptr<session> make_session(std::string id, const admission& who) {
    auto s = std::make_shared<session>();
    s->id = std::move(id);
    s->principal = who.principal;
    s->core = std::make_shared<session_core>(io, s);
    auto options = opt.engine;
    options.account = who.account;
    options.granted_scopes = who.scopes;
    s->core->engine =
        std::make_unique<mcp::engine>(tools, pool, s->core->sink, options, opt.call_out_pool);
    return s;
  }

  // A new session for an initialize, or null when every session is busy (`principal_full`: every
  // session of its principal).
  std::shared_ptr<session> open_session(const admission& who, bool& principal_full) {
    auto id = new_session_id();
    auto admitted = table.add(id, who.principal, steady_clock::now());
    principal_full = admitted.principal_full;
    if (!admitted.admitted) {
      ++(principal_full ? refused_principal_full : refused_full);
      return nullptr;
    }
    if (admitted.evict) {
      ++closed_evicted;
      close_session(*admitted.evict, "evicted");
    }
    auto s = make_session(id, who);
    sessions.emplace(std::move(id), s);
    ++opened;
    start_sweep();
    start_recheck();
    return s;
  }

  // A session for one 2026-07-28 request, known to the principal check while it runs.
  std::shared_ptr<session> open_stateless(const admission& who) {
    auto s = make_session({}, who);
    stateless.insert_or_assign(s.get(), s);
    start_recheck();
    return s;
  }

  void end_session(const std::shared_ptr<session>& s) {
    if (s->id.empty()) stateless.erase(s.get());
    s->end_all();
    reaper_.reap(std::move(s->core));
  }

  void close_session(std::string_view id, std::string_view why) {
    table.remove(id);
    auto it = sessions.find(id);
    if (it == sessions.end()) return;
    auto s = it->second;
    sessions.erase(it);
    end_session(s);
    log("mcp_session_closed", fmt::format("reason={} sessions={}", why, sessions.size()));
  }

  // Principals are checked again while their sessions are in use, so that a key revoked (or
  // expired) while a stream is open does not keep it flowing: only the next request would see
  // it otherwise.
  void start_recheck() {
    if (rechecking || closing || !opt.still_valid) return;
    rechecking = true;
    net::co_spawn(io, recheck_loop(shared_from_this()), net::detached);
  }

  net::awaitable<void> recheck_loop(std::shared_ptr<impl> self) {
    while (!closing && (!sessions.empty() || !stateless.empty())) {
      recheck.expires_after(opt.recheck_interval);
      co_await recheck.async_wait(token);
      if (closing) break;
      recheck_principals();
    }
    rechecking = false;
    (void)self;  // keeps the transport alive while the timer waits
  }

  // Asks about the distinct principals with a request or stream open, a bounded number per
  // round, in turn; closes every session of a principal no longer valid.
  void recheck_principals() {
    std::set<std::string, std::less<>> in_use;
    for (const auto& [id, s] : sessions)
      if (s->open > 0 || s->listener) in_use.insert(s->principal);
    // A request refused before it was held ends without end_session: forget it here.
    std::erase_if(stateless, [](const auto& entry) { return entry.second.expired(); });
    for (const auto& [key, w] : stateless)
      if (auto s = w.lock()) in_use.insert(s->principal);
    if (in_use.empty()) return;
    auto from = in_use.upper_bound(last_rechecked);
    if (from == in_use.end()) from = in_use.begin();
    std::vector<std::string> invalid;
    auto it = from;
    for (std::size_t n = 0; n < opt.recheck_per_round && n < in_use.size(); ++n) {
      last_rechecked = *it;
      if (!opt.still_valid(*it)) invalid.push_back(*it);
      if (++it == in_use.end()) it = in_use.begin();
    }
    for (const auto& principal : invalid) close_principal(principal);
  }

  // Ends every session of `principal`: its streams end, its next request meets the
  // authenticator (401).
  void close_principal(std::string_view principal) {
    std::vector<std::string> ids;
    for (const auto& [id, s] : sessions)
      if (s->principal == principal) ids.push_back(id);
    std::vector<std::shared_ptr<session>> requests;
    for (const auto& [key, w] : stateless)
      if (auto s = w.lock(); s && s->principal == principal) requests.push_back(std::move(s));
    for (const auto& id : ids) {
      table.remove(id);
      auto it = sessions.find(id);
      auto s = it->second;
      sessions.erase(it);
      end_session(s);
      ++closed_revoked;
    }
    for (const auto& s : requests) end_session(s);
    log("mcp_session_closed",
        fmt::format("reason=key_revoked principal={} closed={} requests_ended={} sessions={}",
                    logging::log_value(principal), ids.size(), requests.size(), sessions.size()));
  }

  // Idle sessions are closed by a timer that runs while there are sessions.
  void start_sweep() {
    if (sweeping || closing) return;
    sweeping = true;
    net::co_spawn(io, sweep_loop(shared_from_this()), net::detached);
  }

  net::awaitable<void> sweep_loop(std::shared_ptr<impl> self) {
    auto period = std::clamp<std::chrono::milliseconds>(opt.sessions.idle_timeout / 4,
                                                        std::chrono::milliseconds(250),
                                                        std::chrono::milliseconds(60'000));
    while (!closing && !sessions.empty()) {
      sweep.expires_after(period);
      co_await sweep.async_wait(token);
      if (closing) break;
      for (const auto& id : table.expire(steady_clock::now())) {
        ++closed_expired;
        close_session(id, "expired");
      }
    }
    sweeping = false;
    (void)self;  // keeps the transport alive while the timer waits
  }

  void close_all() {
    closing = true;
    sweep.cancel();
    recheck.cancel();
    while (!sessions.empty()) close_session(sessions.begin()->first, "shutdown");
  }

  admission admit(const http::server_request& req) const {
    admission a;
    auto origin = req.header("Origin");
    if (!origin_allowed(origin, opt.allowed_origins) &&
        !(opt.allow_loopback_origins && is_loopback_origin(origin))) {
      a.refused =
          refusal(403, "Origin not allowed: add it to the allowed origins of /mcp", "origin");
      return a;
    }
    auto decision = opt.authenticate(req);
    if (decision.status != 0) {
      a.refused = refusal(decision.status,
                          decision.message.empty() ? "not authorized" : decision.message, "auth");
      a.refused->headers = std::move(decision.headers);
      return a;
    }
    a.principal = std::move(decision.principal);
    a.account = std::move(decision.account);
    a.scopes = std::move(decision.scopes);
    a.check = std::move(decision.check);
    return a;
  }

  // The session a GET, DELETE or later POST names, with its protocol header checked.
  struct lookup {
    std::shared_ptr<session> found;
    std::optional<http::server_response> refused;
  };
  lookup find_session(const http::server_request& req, std::string_view principal) {
    lookup l;
    if (!req.has_header("Mcp-Session-Id")) {
      l.refused =
          refusal(400, "Mcp-Session-Id header required: send initialize first", "no_session");
      return l;
    }
    auto id = req.header("Mcp-Session-Id");
    auto it = valid_session_id(id) ? sessions.find(id) : sessions.end();
    // Another principal's session is as unknown as an ended one (session hijacking).
    if (it == sessions.end() || it->second->principal != principal) {
      l.refused = refusal(404, "session not found (ended or expired): send initialize again",
                          "unknown_session");
      return l;
    }
    auto v = check_protocol_header(req.header("MCP-Protocol-Version"),
                                   req.has_header("MCP-Protocol-Version"), it->second->version);
    if (!v) {
      l.refused = refusal(
          400,
          fmt::format("MCP-Protocol-Version is not a version this server supports: send {}, the "
                      "version negotiated by initialize",
                      mcp::to_string(it->second->version)),
          "protocol_version");
      return l;
    }
    l.found = it->second;
    return l;
  }

  // Holds a place among the session's open requests and streams while alive.
  struct hold {
    hold(std::shared_ptr<impl> i, std::shared_ptr<session> s)
        : owner(std::move(i)), s(std::move(s)) {
      ++this->s->open;
      if (!this->s->id.empty()) owner->table.acquire(this->s->id, steady_clock::now());
    }
    ~hold() {
      --s->open;
      if (!s->id.empty()) owner->table.release(s->id, steady_clock::now());
      if (s->id.empty() && s->core) owner->end_session(s);  // stateless: one request only
    }
    hold(const hold&) = delete;
    hold& operator=(const hold&) = delete;
    std::shared_ptr<impl> owner;
    std::shared_ptr<session> s;
  };

  // Waits until the exchange has something or `interval` (the keepalive interval when not
  // given) passed; false on the timeout.
  net::awaitable<bool> wait(exchange& x, std::optional<std::chrono::milliseconds> interval = {}) {
    x.wake.expires_after(interval.value_or(opt.keepalive_interval));
    auto [ec] = co_await x.wake.async_wait(token);
    co_return ec == net::error::operation_aborted;
  }

  // The fields of an SSE event up to its data; a GET stream's events carry ids a client can
  // resume from.
  static std::string sse_fields(const exchange& x) {
    if (x.number == 0) return "event: message\ndata: ";
    return fmt::format("id: {}\nevent: message\ndata: ",
                       event_id{x.number, x.queue.front_seq()}.text());
  }

  // The body of an SSE answer: messages as they come, a comment now and then, until the
  // answer (POST) or the session's end. `prime` first sends the stream's start as an event id
  // with no data, so a client can resume even before the first message. A head the server
  // holds for the first write goes out within head_hold, with a comment if nothing else comes.
  static net::awaitable<void> pump(std::shared_ptr<impl> self, std::shared_ptr<exchange> x,
                                   std::shared_ptr<hold> held, std::uint64_t writer, bool prime,
                                   http::body_writer& w) {
    bool gone = false;
    if (prime)
      gone = !co_await w.write(fmt::format("id: {}\ndata: \n\n", event_id{x->number, 0}.text()));
    while (!gone && x->writer == writer) {
      if (!x->queue.empty()) {
        // Taken off the queue only once written: a message in flight when the connection
        // breaks stays for a resumption.
        const auto seq = x->queue.front_seq();
        // A POST's answer with nothing queued after it: the body ends in the same write, one
        // send for the client to read instead of two.
        const bool last = x->answered && !x->listener && x->queue.size() == 1;
        // A POST's answer goes out from its queue as it stands (tens of kilobytes, not copied):
        // only this pump takes from that queue. A GET stream's event is copied, since another
        // connection may take the stream over, queue and all, while this one writes.
        const std::string fields = sse_fields(*x);
        std::string copy;
        std::string_view data = x->queue.front();
        if (x->number != 0) {
          copy = data;
          data = copy;
        }
        const std::array<std::string_view, 3> parts{fields, data, "\n\n"};
        gone = !co_await w.write_parts(parts, last);
        if (!gone && x->writer == writer && !x->queue.empty() && x->queue.front_seq() == seq) {
          x->queue.pop_written();
        }
        if (last) break;
        continue;
      }
      if (x->ended || (x->answered && !x->listener)) break;
      const auto interval = w.holds_head()
                                ? std::min(self->opt.head_hold, self->opt.keepalive_interval)
                                : self->opt.keepalive_interval;
      if (!co_await self->wait(*x, interval)) gone = !co_await w.write(": keepalive\n\n");
    }
    if (x->writer != writer || held->s->listener != x) co_return;  // another connection took over
    if (gone && !x->ended && x->number != 0) {
      x->detached = true;  // kept, collecting messages, for the client to resume
    } else {
      held->s->listener.reset();
    }
  }

  net::awaitable<http::server_response> post(http::server_request& req) {
    auto self = shared_from_this();
    auto who = admit(req);
    if (who.refused) co_return std::move(*who.refused);
    if (!is_json_content_type(req.header("Content-Type"))) {
      co_return refusal(415, "Content-Type must be application/json", "content_type");
    }
    auto accept = req.header("Accept");
    if (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream")) {
      co_return refusal(406, "Accept must list application/json and text/event-stream", "accept");
    }
    if (req.body.size() > opt.body_limit) {
      co_return refusal(413, fmt::format("body larger than {} bytes", opt.body_limit),
                        "body_too_large");
    }
    mcp::rpc_error parse_error;
    auto body = mcp::parse_json(req.body, opt.engine.max_depth, parse_error);
    if (!body) co_return refusal(400, parse_error.message, "parse", parse_error.code);
    auto shape = shape_of(*body);
    if (who.check) {
      if (auto refused = who.check(*body)) co_return message_refused(*body, std::move(*refused));
    }

    std::shared_ptr<session> s;
    bool created = false;
    bool modern = false;
    if (req.has_header("Mcp-Session-Id")) {
      auto l = find_session(req, who.principal);
      if (l.refused) co_return std::move(*l.refused);
      s = l.found;
    } else if (shape.initialize && body->is_object()) {
      if (closing) {
        co_return refusal(503, "the server is shutting down: try again later", "shutting_down");
      }
      bool principal_full = false;
      s = open_session(who, principal_full);
      if (!s && principal_full) {
        // The client's own doing, like its rate: 429, where 503 says the server is full.
        auto res = refusal(429,
                           fmt::format("this API key has {} MCP sessions, all busy: end one "
                                       "(DELETE) or try again later",
                                       opt.sessions.max_per_principal),
                           "principal_sessions_full");
        res.headers.emplace_back("Retry-After", "5");
        co_return res;
      }
      if (!s) {
        auto res =
            refusal(503, "too many MCP sessions, all busy: try again later", "sessions_full");
        res.headers.emplace_back("Retry-After", "5");
        co_return res;
      }
      created = true;
    } else if (shape.era_meta || names_modern_version(req)) {
      // 2026-07-28: a request that carries its protocol version in _meta needs no session. It
      // gets an engine of its own for this one request, once the transport's checks pass.
      modern = true;
      if (body->is_object()) {
        if (auto refused = check_modern_request(req, *body)) co_return std::move(*refused);
      }
      s = open_stateless(who);
    } else {
      co_return refusal(400, "Mcp-Session-Id header required: send initialize first", "no_session");
    }

    if (body->is_array() && (created || !mcp::allows_batches(s->version))) {
      co_return refusal(400,
                        fmt::format("JSON-RPC batches are not allowed in protocol version {}",
                                    mcp::to_string(s->version)),
                        "batch");
    }
    auto held = std::make_shared<hold>(self, s);
    if (shape.request_ids.empty()) {
      // Notifications and responses only: accepted, nothing to answer.
      s->core->engine->handle(*body);
      http::server_response accepted;
      accepted.status = 202;
      accepted.body.clear();
      co_return accepted;
    }
    if (s->open > opt.max_open_per_session) {
      co_return refusal(429, "too many open requests in this session", "session_busy");
    }
    for (std::size_t i = 0; i < shape.request_ids.size(); ++i) {
      const auto& key = shape.request_ids[i];
      bool repeated = s->waiting.contains(key) ||
                      std::find(shape.request_ids.begin(), shape.request_ids.begin() + i, key) !=
                          shape.request_ids.begin() + i;
      if (repeated) {
        co_return refusal(400, fmt::format("request id {} is already in use", key), "repeated_id");
      }
    }
    auto x = std::make_shared<exchange>(io.get_executor());
    x->ids = shape.request_ids;
    x->progress_tokens = shape.progress_tokens;
    for (const auto& key : x->ids) s->waiting.emplace(key, x);
    const bool stream = shape.wants_stream;
    if (stream) s->streams.push_back(x);
    s->core->engine->handle(*body);

    if (stream && modern) {
      // A 2026-07-28 answer that comes at once (an error before the handler runs, or a quick
      // result) goes out as JSON, so an error gets its status; a stream starts with the first
      // notification, or when the answer takes longer than a keepalive interval.
      if (x->queue.empty() && !x->ended) co_await wait(*x);
      if (x->answered && x->queue.size() == 1) {
        std::erase_if(s->streams, [&](const auto& w) { return w.lock() == x; });
        http::server_response res;
        res.content_type = "application/json";
        res.status = modern_answer_status(x->queue.front());
        res.body = std::move(x->queue.front());
        co_return res;
      }
    }
    if (stream) {
      http::server_response res;
      res.content_type = "text/event-stream";
      res.headers.emplace_back("Cache-Control", "no-cache");
      // The client waits for this answer anyway: a quick one goes out with its head in one send.
      // A slow one sends its head with its first notification, or a comment after head_hold.
      // (A 2026-07-28 answer has already waited a keepalive interval to become a stream.)
      res.head_with_body = !modern;
      res.stream = [self, x, held](http::body_writer& w) {
        return pump(self, x, held, 0, false, w);
      };
      co_return res;
    }
    while (x->queue.empty() && !x->ended) co_await wait(*x);
    if (x->queue.empty()) {
      co_return refusal(404, "the session ended before the answer", "session_ended");
    }
    http::server_response res;
    res.content_type = "application/json";
    if (modern) res.status = modern_answer_status(x->queue.front());
    res.body = std::move(x->queue.front());
    if (created) {
      if (auto v = s->core->engine->version(); v && !s->closed) {
        s->version = *v;
        res.headers.emplace_back("Mcp-Session-Id", s->id);
        log("mcp_session_opened",
            fmt::format("version={} sessions={} principal={}", mcp::to_string(*v), sessions.size(),
                        logging::log_value(s->principal)));
      } else {
        close_session(s->id, "initialize_failed");
      }
    }
    co_return res;
  }

  net::awaitable<http::server_response> get(http::server_request& req) {
    auto self = shared_from_this();
    auto who = admit(req);
    if (who.refused) co_return std::move(*who.refused);
    if (!accepts(req.header("Accept"), "text/event-stream")) {
      co_return refusal(406, "Accept must list text/event-stream", "accept");
    }
    auto l = find_session(req, who.principal);
    if (l.refused) co_return std::move(*l.refused);
    auto s = l.found;
    // Last-Event-ID naming the session's GET stream resumes it: what was written after that
    // event goes out again, then what came while no connection was there. Anything else
    // (another stream, events no longer kept) starts a new stream, as the header is optional.
    std::shared_ptr<exchange> resumed;
    if (auto last = event_id::parse(req.header("Last-Event-ID")); last && s->listener) {
      auto& x = *s->listener;
      if (!x.ended && x.number == last->stream && x.queue.rewind(last->seq)) resumed = s->listener;
    }
    if (!resumed && s->listener && !s->listener->detached) {
      co_return refusal(409, "this session already has a GET stream open", "stream_open");
    }
    if (s->open >= opt.max_open_per_session) {
      co_return refusal(429, "too many open requests in this session", "session_busy");
    }
    auto held = std::make_shared<hold>(self, s);
    auto x = resumed;
    if (x) {
      x->detached = false;
      x->wake.cancel();  // a writer not yet noticed gone stops
    } else {
      if (s->listener) s->listener->end();
      x = std::make_shared<exchange>(io.get_executor(), exchange::max_replayed);
      x->listener = true;
      x->number = ++s->streams_opened;
      s->listener = x;
    }
    const auto writer = ++x->writer;
    // A 2025-11-25 client expects the stream's start as an event it can resume from; earlier
    // clients may not read an event without data.
    const bool prime = !resumed && s->version >= mcp::protocol_version::v2025_11_25;
    if (resumed) {
      log("mcp_stream_resumed", fmt::format("stream={} replayed={}", x->number, x->queue.size()));
    }
    http::server_response res;
    res.content_type = "text/event-stream";
    res.headers.emplace_back("Cache-Control", "no-cache");
    res.stream = [self, x, held, writer, prime](http::body_writer& w) {
      return pump(self, x, held, writer, prime, w);
    };
    co_return res;
  }

  net::awaitable<http::server_response> del(http::server_request& req) {
    auto who = admit(req);
    if (who.refused) co_return std::move(*who.refused);
    auto l = find_session(req, who.principal);
    if (l.refused) co_return std::move(*l.refused);
    ++closed_deleted;
    close_session(l.found->id, "deleted");
    http::server_response res;
    res.status = 204;
    co_return res;
  }
};

transport::transport(net::io_context& io, const mcp::registry& tools, mcp::worker_pool& pool,
                     transport_options options)
    : impl_(std::make_shared<impl>(io, tools, pool, std::move(options))) {}

transport::~transport() {
  impl_->close_all();
  impl_->reaper_.stop();
}

void transport::add_routes(http::router& routes) {
  auto i = impl_;
  routes.add("POST", i->opt.path, [i](http::server_request& r) { return i->post(r); });
  routes.add("GET", i->opt.path, [i](http::server_request& r) { return i->get(r); });
  routes.add("DELETE", i->opt.path, [i](http::server_request& r) { return i->del(r); });
}

void transport::close() {
  impl_->close_all();
}

void transport::notify(std::function<void(mcp::engine&)> what) {
  net::post(impl_->io, [i = impl_, what = std::move(what)] {
    for (const auto& [id, s] : i->sessions)
      if (s->core && s->core->engine) what(*s->core->engine);
  });
}

std::size_t transport::sessions() const {
  return impl_->sessions.size();
}

std::string transport::metrics_text() const {
  namespace prom = pons::prometheus;
  const auto& i = *impl_;
  std::string out;
  prom::append_metric(out, "pons_mcp_http_sessions", "gauge", "Open MCP sessions on /mcp.",
                      i.sessions.size());
  prom::append_metric(out, "pons_mcp_http_session_limit", "gauge", "MCP sessions allowed at once.",
                      i.opt.sessions.max_sessions);
  prom::append_metric(out, "pons_mcp_http_sessions_opened_total", "counter",
                      "MCP sessions opened by initialize.", i.opened);
  prom::append_family(out, "pons_mcp_http_sessions_closed_total", "counter",
                      "MCP sessions closed, by reason.");
  prom::append_sample(out, "pons_mcp_http_sessions_closed_total", {{"reason", "deleted"}},
                      i.closed_deleted);
  prom::append_sample(out, "pons_mcp_http_sessions_closed_total", {{"reason", "expired"}},
                      i.closed_expired);
  prom::append_sample(out, "pons_mcp_http_sessions_closed_total", {{"reason", "evicted"}},
                      i.closed_evicted);
  prom::append_sample(out, "pons_mcp_http_sessions_closed_total", {{"reason", "key_revoked"}},
                      i.closed_revoked);
  prom::append_metric(out, "pons_mcp_http_sessions_refused_total", "counter",
                      "initialize refused because every session was busy.", i.refused_full);
  prom::append_metric(out, "pons_mcp_http_sessions_refused_per_key_total", "counter",
                      "initialize refused because every session of its principal was busy.",
                      i.refused_principal_full);
  return out;
}

}  // namespace pons::mcp_http
