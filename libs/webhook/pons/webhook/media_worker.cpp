#include "pons/webhook/media_worker.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>

#include "pons/logging/log_field.hpp"
#include "pons/logging/log_line.hpp"
#include "pons/store/database.hpp"
#include "pons/store/media_repository.hpp"
#include "pons/store/private_directory.hpp"

namespace pons::webhook {

std::string media_file_path(std::string_view media_dir, std::string_view sha256_hex) {
  return fmt::format("{}/{}/{}", media_dir, sha256_hex.substr(0, 2), sha256_hex);
}

bool write_media_file(const std::string& path, std::string_view bytes) {
  std::filesystem::path target(path);
  if (!store::make_private_directory(target.parent_path().string())) return false;
  std::string tmp = path + ".part";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  // The row says "done" only after the bytes are on disk.
  bool ok = ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

media_worker::media_worker(media_worker_options options) : opt_(std::move(options)) {
  if (!opt_.log_sink) {
    opt_.log_sink = [](std::string_view line) { logging::write_log_text(line); };
  }
}

media_worker::~media_worker() {
  stop();
}

void media_worker::start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { run(); });
}

void media_worker::wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void media_worker::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void media_worker::run() {
  // What customers sent is for this user only; older versions made the folder 0755.
  if (auto made = store::make_private_directory(opt_.media_dir); !made) {
    opt_.log_sink(fmt::format(
        "level=warn event=media_worker error={}",
        logging::log_quoted("cannot make the media folder private: " + made.error().message())));
  }
  auto db = store::database::open(opt_.db_path);
  if (!db) {
    opt_.log_sink(
        fmt::format("level=error event=media_worker error={}",
                    logging::log_quoted("cannot open database: " + db.error().message())));
    return;
  }
  // One Graph client per access token (accounts may differ), created on first use.
  std::map<std::string, std::unique_ptr<meta::graph_client>> clients;
  auto client_for = [&](const std::string& phone_number_id) -> meta::graph_client* {
    const auto* account = opt_.accounts.find_by_phone_number_id(phone_number_id);
    if (!account && opt_.accounts.accounts.size() == 1) account = &opt_.accounts.accounts[0];
    if (!account || account->access_token.empty()) return nullptr;
    auto& slot = clients[account->access_token];
    if (!slot) {
      auto cfg = opt_.graph;
      cfg.access_token = account->access_token;
      // Retries happen at the job level (with backoff persisted in the row), not inside.
      cfg.max_retries = 1;
      slot = std::make_unique<meta::graph_client>(cfg);
    }
    return slot.get();
  };

  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
      wake_ = false;
    }
    auto now = std::chrono::system_clock::now();
    auto job = store::claim_next_media_job(*db, now);
    if (!job || !*job) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, opt_.poll_interval, [&] { return stop_ || wake_; });
      continue;
    }
    const auto& m = **job;
    auto fail = [&](const std::string& why, bool final) {
      ++failures_;
      // A final error (e.g. an unknown media id) is not worth more attempts.
      int max = final ? m.attempts : opt_.max_attempts;
      auto r = store::mark_media_failed(*db, m.id, why, std::chrono::system_clock::now(), max);
      // The media id came in a webhook: escaped, like every value that came from outside.
      opt_.log_sink(fmt::format(
          "level=warn event=media_download media_id={} attempt={} final={} error={}{}",
          logging::log_value(m.media_id), m.attempts, final || m.attempts >= opt_.max_attempts,
          logging::log_quoted(why), r ? "" : " store_error=1"));
    };
    auto* client = client_for(m.phone_number_id);
    if (!client) {
      fail("no access token configured for this number; set WA_ACCESS_TOKEN or access_token",
           false);
      continue;
    }
    auto info = client->get_media(m.media_id);
    if (!info) {
      fail(info.error().explain(), !info.error().retryable());
      continue;
    }
    auto bytes = client->download_media(*info);
    if (!bytes) {
      fail(bytes.error().explain(), false);
      continue;
    }
    auto sha = meta::sha256_hex(*bytes);
    auto path = media_file_path(opt_.media_dir, sha);
    if (!std::filesystem::exists(path) && !write_media_file(path, *bytes)) {
      fail(fmt::format("cannot write {}", path), false);
      continue;
    }
    auto mime = info->mime_type.empty() ? m.mime : info->mime_type;
    auto done = store::mark_media_done(*db, m.id, path, static_cast<std::int64_t>(bytes->size()),
                                       sha, mime, std::chrono::system_clock::now());
    if (!done) {
      fail("cannot record the download: " + done.error().message(), false);
      continue;
    }
    ++downloaded_;
    opt_.log_sink(fmt::format("level=info event=media_download media_id={} size={} sha256={}",
                              logging::log_value(m.media_id), bytes->size(), sha));
  }
}

}  // namespace pons::webhook
