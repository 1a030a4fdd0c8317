#include "pons/dashboard/attachment_route.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json/object.hpp>
#include <cerrno>
#include <cstring>
#include <optional>

#include "pons/dashboard/answers.hpp"
#include "pons/dashboard/worker_call.hpp"
#include "pons/http/query.hpp"
#include "pons/store/secret_hash.hpp"

namespace pons::dashboard {

namespace net = boost::asio;
namespace json = boost::json;

namespace {

struct attachment_context {
  const guard& access;
  mcp::worker_pool& workers;
  std::string folder;
};

// Writes `bytes` to a new file `path` (never over an existing one, never through a symlink),
// durably; "" on success, else why.
std::string write_new_file(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return fmt::format("cannot create the file ({})", std::strerror(errno));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(path.c_str());
      return "cannot write the file (is the disk full?)";
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    ::unlink(path.c_str());
    return "cannot write the file durably";
  }
  return {};
}

net::awaitable<http::server_response> upload(attachment_context& c, http::server_request& req) {
  auto v = c.access.check(req);
  if (v.status != 0) co_return from_verdict(v);
  if (!v.who.can_send)
    co_return json_error(403, "sending needs the send scope: this key may only read");
  if (c.folder.empty()) {
    co_return json_error(503,
                         "no upload folder is usable: see pons-webhook's log at start "
                         "(event=upload_dir_refused) and set --upload-dir or PONS_UPLOAD_DIR");
  }
  if (req.body.empty()) co_return json_error(400, "send the file as the request's body");
  const auto filename = http::query_param(req.query, "filename").value_or("");
  auto random = store::random_base64url(8);
  if (!random) co_return json_error(503, "the random number generator failed: try again");
  const auto name = stored_attachment_name(filename, *random);
  const auto path = c.folder + "/" + name;
  const auto size = static_cast<std::int64_t>(req.body.size());
  // The body is moved to the worker: a large file is written off the listener's thread.
  auto job = [path, bytes = std::move(req.body)] { return write_new_file(path, bytes); };
  auto problem = co_await on_worker(c.workers, std::move(job));
  if (!problem) co_return json_error(503, "Pons is busy: try again in a moment");
  if (!problem->empty()) co_return json_error(503, *problem);
  auto r = json_answer(201, json::object{{"path", name}, {"filename", filename}, {"size", size}});
  r.log_note = fmt::format("attachment_stored=1 principal={}", v.who.label());
  co_return r;
}

}  // namespace

std::string stored_attachment_name(std::string_view filename, std::string_view random) {
  if (auto slash = filename.find_last_of("/\\"); slash != std::string_view::npos)
    filename.remove_prefix(slash + 1);
  std::string kept;
  for (char ch : filename) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
    if (ok && kept.size() < 80) kept += ch;
  }
  while (!kept.empty() && kept.front() == '.') kept.erase(kept.begin());
  if (kept.empty()) kept = "file";
  return fmt::format("dashboard-{}-{}", random, kept);
}

void add_attachment_route(http::router& routes, const guard& access, mcp::worker_pool& workers,
                          std::string folder) {
  auto c =
      std::make_shared<attachment_context>(attachment_context{access, workers, std::move(folder)});
  routes.add("POST", "/api/v1/uploads", [c](http::server_request& r) { return upload(*c, r); });
}

}  // namespace pons::dashboard
