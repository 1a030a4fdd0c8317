#include "pons/dashboard/media_route.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <optional>
#include <variant>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/worker_call.hpp"
#include "pons/http/query.hpp"
#include "pons/store/account_repository.hpp"
#include "pons/store/media_repository.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace fs = std::filesystem;

namespace {

// What WhatsApp carries and a browser shows or plays without running anything.
constexpr std::array<std::string_view, 13> inline_types{
    "image/jpeg", "image/png", "image/webp", "image/gif", "audio/ogg",  "audio/mpeg", "audio/aac",
    "audio/mp4",  "audio/amr", "audio/opus", "video/mp4", "video/3gpp", "audio/wav"};

// The stored file's bytes, or why not.
struct read_outcome {
  int status = 200;
  std::string error;
  std::string bytes;
};

// The file at `stored` (relative to `root`, the media folder resolved, unless absolute), which
// must resolve inside `root` and be a regular file no larger than the limit. Runs on a worker.
read_outcome read_media_file(const fs::path& root, const std::string& stored) {
  std::error_code ec;
  fs::path file(stored);
  if (file.is_relative()) file = root / file;
  const fs::path real = fs::weakly_canonical(file, ec);
  const auto inside = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (ec || root.empty() || inside.first != root.end()) {
    return {
        404, "the stored file is not in the media folder; nothing is served from elsewhere", {}};
  }
  const int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {404, "the stored file is missing on this machine", {}};
  read_outcome out;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out = {404, "the stored file is not a regular file", {}};
  } else if (static_cast<std::uintmax_t>(st.st_size) > max_media_bytes) {
    out = {413, "the file is too large to show here", {}};
  } else {
    out.bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < out.bytes.size()) {
      const auto n = ::read(fd, out.bytes.data() + got, out.bytes.size() - got);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.bytes.resize(got);
  }
  ::close(fd);
  return out;
}

std::optional<std::int64_t> positive_id(std::string_view text) {
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

struct media_context {
  const guard& access;
  std::shared_ptr<locked_database> db;
  fs::path media_root;  // the media folder with its symlinks resolved, once
  mcp::worker_pool& workers;
};

// The message's downloaded media row within what `who` may see; an error answer otherwise.
std::variant<store::media_record, http::server_response> find_row(media_context& c,
                                                                  const principal& who,
                                                                  std::int64_t message_id) {
  std::lock_guard lock(c.db->mutex);
  auto rows = store::media_for_message(c.db->db, message_id);
  if (!rows) return json_error(503, "the database cannot answer just now: try again shortly");
  // Another account's message is answered as if it did not exist.
  const auto not_found = [&] {
    return json_error(404, fmt::format("no media is stored for message {}", message_id));
  };
  if (rows->empty()) return not_found();
  auto row = std::move(rows->front());
  if (!who.waba_id.empty()) {
    auto number = store::find_phone_number(c.db->db, row.phone_number_id);
    if (!number || !*number || (*number)->waba_id != who.waba_id) return not_found();
  }
  if (row.state != "done" || row.path.empty()) {
    return json_error(409, fmt::format("the file is not downloaded yet ({}): pons-webhook fetches "
                                       "it from Meta in the background",
                                       row.state));
  }
  return row;
}

net::awaitable<http::server_response> serve(media_context& c, http::server_request& req) {
  auto v = c.access.check(req);
  if (v.status != 0) co_return from_verdict(v);
  const auto id = positive_id(http::query_param(req.query, "message_id").value_or(""));
  if (!id) co_return json_error(400, "message_id: must be a message id (a whole number from 1)");
  auto found = find_row(c, v.who, *id);
  if (auto* refusal = std::get_if<http::server_response>(&found)) co_return std::move(*refusal);
  auto row = std::get<store::media_record>(std::move(found));

  auto job = [root = c.media_root, path = row.path] { return read_media_file(root, path); };
  auto read = co_await on_worker(c.workers, std::move(job));
  if (!read) {
    auto r = json_error(503, "Pons is busy: try again in a moment");
    r.headers.emplace_back("Retry-After", "1");
    co_return r;
  }
  if (read->status != 200) co_return json_error(read->status, read->error);

  http::server_response r;
  r.body = std::move(read->bytes);
  const bool show = shown_inline(row.mime);
  r.content_type = show ? row.mime : "application/octet-stream";
  const auto name = download_name(row.path.substr(row.path.find_last_of('/') + 1),
                                  fmt::format("message-{}", *id));
  r.headers = {
      {"X-Content-Type-Options", "nosniff"},
      // Even opened on its own, the file is a document without script or plugins.
      {"Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"},
      {"Content-Disposition",
       fmt::format("{}; filename=\"{}\"", show ? "inline" : "attachment", name)},
      // A message's file never changes; a redraw of the thread must not fetch it again.
      {"Cache-Control", "private, max-age=86400"},
  };
  r.log_note = fmt::format("media_message={} principal={}", *id, v.who.label());
  co_return r;
}

}  // namespace

bool shown_inline(std::string_view mime) {
  const auto base = mime.substr(0, mime.find(';'));
  for (auto t : inline_types)
    if (base == t) return true;
  return false;
}

std::string download_name(std::string_view name, std::string_view fallback) {
  std::string out;
  for (char c : name.substr(0, 100)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f || c == '"' || c == '/' || c == '\\') ? '_' : c;
  }
  if (out.empty() || out == "." || out == "..") return std::string(fallback);
  return out;
}

void add_media_route(http::router& routes, const guard& access, std::shared_ptr<locked_database> db,
                     std::string media_dir, mcp::worker_pool& workers) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(media_dir, ec);
  if (ec) root.clear();  // nothing is served rather than files from an unknown place
  auto c = std::make_shared<media_context>(
      media_context{access, std::move(db), std::move(root), workers});
  routes.add("GET", "/api/v1/media", [c](http::server_request& r) { return serve(*c, r); });
}

}  // namespace pons::dashboard
