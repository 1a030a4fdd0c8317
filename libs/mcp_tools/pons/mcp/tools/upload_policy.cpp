#include "pons/mcp/tools/upload_policy.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <filesystem>
#include <optional>

#include "pons/store/db_location.hpp"
#include "pons/store/pg_dialect.hpp"

namespace pons::mcp {

namespace fs = std::filesystem;

namespace {

class upload_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.upload"; }
  std::string message(int ev) const override {
    switch (static_cast<upload_errc>(ev)) {
      case upload_errc::no_folder:
        return "no usable upload folder is configured";
      case upload_errc::bad_path:
        return "the path is empty or holds a NUL character";
      case upload_errc::not_found:
        return "no such file";
      case upload_errc::outside_folders:
        return "the file is outside the upload folders";
      case upload_errc::pons_file:
        return "the file is Pons's database or configuration";
      case upload_errc::system_file:
        return "the file is a system file";
      case upload_errc::not_regular:
        return "not a regular file";
      case upload_errc::hard_linked:
        return "the file has several names (hard links)";
      case upload_errc::unreadable:
        return "the file cannot be read";
      case upload_errc::too_large:
        return "the file is too large";
      case upload_errc::changed:
        return "the file changed while it was checked";
      case upload_errc::secret_inside:
        return "the file holds a credential";
    }
    return "unknown upload error";
  }
};

// Whole trees no upload may come from, whatever a folder links to.
constexpr std::array<std::string_view, 3> system_trees{"/proc", "/sys", "/dev"};
// Folders that hold system files or other processes' secrets: refused as upload folders, with
// everything under them.
constexpr std::array<std::string_view, 6> system_folder_trees{"/etc", "/boot", "/proc",
                                                              "/sys", "/dev",  "/run"};
// Folders too wide to be an upload folder themselves (a subfolder may be fine).
constexpr std::array<std::string_view, 15> wide_folders{
    "/usr",   "/var", "/tmp", "/home", "/root",  "/bin",     "/sbin",   "/lib",
    "/lib64", "/opt", "/srv", "/mnt",  "/media", "/var/tmp", "/var/lib"};

bool at_or_under(std::string_view path, std::string_view root) {
  if (root == "/") return true;
  return path == root || (path.size() > root.size() && path.substr(0, root.size()) == root &&
                          path[root.size()] == '/');
}

// The path with symlinks and ".." resolved, without a trailing slash.
std::optional<std::string> resolved(const std::string& path, bool must_exist) {
  std::error_code ec;
  fs::path p = must_exist ? fs::canonical(path, ec) : fs::weakly_canonical(path, ec);
  if (ec) return std::nullopt;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// "a", "a or b", "a, b or c".
std::string join(const std::vector<std::string>& items) {
  if (items.size() < 2) return items.empty() ? std::string() : items.front();
  return fmt::format("{} or {}", fmt::join(items.begin(), items.end() - 1, ", "), items.back());
}

// Closes a descriptor on every way out.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

const boost::system::error_category& upload_category() noexcept {
  static const upload_category_impl category;
  return category;
}

boost::system::error_code make_error_code(upload_errc e) noexcept {
  return {static_cast<int>(e), upload_category()};
}

upload_settings upload_settings_from(const upload_origin& options, const env_lookup& env) {
  upload_settings s;
  s.folders = options.upload_dirs;
  if (s.folders.empty()) {
    if (auto list = env("PONS_UPLOAD_DIR"); list && !list->empty()) {
      // A list like PATH: folders separated by ':'.
      std::size_t start = 0;
      while (start <= list->size()) {
        std::size_t colon = list->find(':', start);
        std::string item = list->substr(start, colon == std::string::npos ? colon : colon - start);
        if (!item.empty()) s.folders.push_back(item);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    }
  }
  // The default outbox sits in the data folder; a server's URL without one gives none.
  if (const fs::path parent = store::data_folder(options.db_path, options.data_dir);
      s.folders.empty() && !parent.empty()) {
    s.folders.push_back((parent / "outbox").string());
    s.create_missing = true;
  }
  // A database file (and its -wal, -shm) is never sent; a server's URL names no file.
  if (!store::is_postgresql_url(options.db_path)) s.database_path = options.db_path;
  if (auto config = env("PONS_CONFIG"); config && !config->empty()) {
    s.protected_files.push_back(*config);
  }
  if (!options.config_path.empty() &&
      (s.protected_files.empty() || s.protected_files.front() != options.config_path)) {
    s.protected_files.push_back(options.config_path);
  }
  if (auto home = env("HOME"); home) s.home = *home;
  for (std::string_view name : {"WA_ACCESS_TOKEN", "WA_APP_SECRET", "WA_WEBHOOK_VERIFY_TOKEN"}) {
    // Short values would match by chance; real credentials are long.
    if (auto v = env(name); v && v->size() >= 8) s.secrets.push_back(*v);
  }
  return s;
}

upload_policy::upload_policy(const upload_settings& settings) : secrets_(settings.secrets) {
  // What must never be sent, resolved as far as it exists today (the -wal and -shm files come
  // and go; they are checked again by inode at each read).
  std::vector<std::string> pons_files;
  if (!settings.database_path.empty()) {
    for (std::string_view suffix : {"", "-wal", "-shm", "-journal"}) {
      pons_files.push_back(settings.database_path + std::string(suffix));
    }
  }
  for (const auto& f : settings.protected_files) pons_files.push_back(f);
  for (const auto& f : pons_files) {
    if (auto r = resolved(f, false)) protected_.push_back(*r);
  }
  std::optional<std::string> home;
  if (!settings.home.empty()) home = resolved(settings.home, false);

  for (const auto& configured : settings.folders) {
    if (configured.empty()) continue;
    std::error_code ec;
    fs::path absolute = fs::absolute(configured, ec);
    if (ec) {
      refused_.push_back({configured, "the path cannot be resolved"});
      continue;
    }
    if (settings.create_missing && !fs::exists(absolute, ec)) {
      // Private from the start: what the user drops there is about to be sent to customers.
      fs::create_directories(absolute.parent_path(), ec);
      if (::mkdir(absolute.c_str(), 0700) != 0 && errno != EEXIST) {
        refused_.push_back({configured, "it does not exist and could not be created"});
        continue;
      }
    }
    auto real = resolved(absolute.string(), true);
    if (!real) {
      refused_.push_back({configured, "it does not exist or cannot be opened"});
      continue;
    }
    struct stat st {};
    if (::stat(real->c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      refused_.push_back({configured, "it is not a folder"});
      continue;
    }
    std::string reason;
    for (auto wide : wide_folders) {
      if (*real == wide) reason = "it is a system-wide folder, far wider than an upload folder";
    }
    for (auto tree : system_folder_trees) {
      if (at_or_under(*real, tree)) reason = "it holds system files";
    }
    if (*real == "/") reason = "it is the root of the file system";
    if (home && *real == *home) reason = "it is the whole home folder (with its keys and secrets)";
    for (const auto& p : protected_) {
      if (reason.empty() && at_or_under(p, *real) && p != *real) {
        reason = fmt::format("it contains Pons's own files ({})", p);
      }
    }
    if (reason.empty() && (st.st_mode & S_IWOTH)) {
      reason = "other users of this machine can write to it";
    }
    if (!reason.empty()) {
      refused_.push_back({configured, reason});
      continue;
    }
    folders_.push_back(*real);
  }
}

boost::system::error_code upload_policy::check_location(const std::string& real) const {
  for (auto tree : system_trees) {
    if (at_or_under(real, tree)) return upload_errc::system_file;
  }
  for (const auto& p : protected_) {
    if (real == p) return upload_errc::pons_file;
  }
  for (const auto& folder : folders_) {
    if (at_or_under(real, folder) && real != folder) return {};
  }
  return upload_errc::outside_folders;
}

boost::system::result<upload_file> upload_policy::read(std::string_view path,
                                                       std::uint64_t max_bytes) const {
  if (path.empty() || path.find('\0') != std::string_view::npos) return upload_errc::bad_path;
  if (folders_.empty()) return upload_errc::no_folder;
  fs::path requested(path);
  if (requested.is_relative()) requested = fs::path(folders_.front()) / requested;

  // 1. Resolve (symlinks, "..") and check the place before opening anything there: opening a
  // device or a FIFO can have effects of its own.
  std::error_code ec;
  fs::path real = fs::canonical(requested, ec);
  if (ec) {
    return ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory
               ? upload_errc::not_found
               : upload_errc::unreadable;
  }
  if (auto where = check_location(real.string())) return where;
  struct stat before {};
  if (::stat(real.c_str(), &before) != 0) return upload_errc::unreadable;
  if (!S_ISREG(before.st_mode)) return upload_errc::not_regular;

  // 2. Open what was checked, refusing a symlink swapped in since; O_NONBLOCK so a FIFO
  // swapped in cannot hang the call.
  fd_guard file{::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW)};
  if (file.fd < 0) return errno == ELOOP ? upload_errc::changed : upload_errc::unreadable;

  // 3. Check the opened file itself: the same inode as checked, where the kernel says it is,
  // with one name only, and none of Pons's own files under another name.
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return upload_errc::unreadable;
  if (!S_ISREG(st.st_mode)) return upload_errc::not_regular;
  if (st.st_dev != before.st_dev || st.st_ino != before.st_ino) return upload_errc::changed;
  std::array<char, 4096> link{};
  std::string proc = fmt::format("/proc/self/fd/{}", file.fd);
  ssize_t n = ::readlink(proc.c_str(), link.data(), link.size() - 1);
  if (n <= 0) return upload_errc::unreadable;  // cannot tell where it is: refuse
  if (auto where = check_location(std::string(link.data(), static_cast<std::size_t>(n)))) {
    return where;
  }
  for (const auto& p : protected_) {
    struct stat other {};
    if (::stat(p.c_str(), &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino) {
      return upload_errc::pons_file;
    }
  }
  if (st.st_nlink != 1) return upload_errc::hard_linked;
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return upload_errc::too_large;

  // 4. Read through the checked descriptor, never by name again; the file may still grow.
  upload_file out;
  out.real_path = std::string(link.data(), static_cast<std::size_t>(n));
  out.bytes.reserve(static_cast<std::size_t>(st.st_size));
  std::array<char, 64 * 1024> buffer{};
  for (;;) {
    ssize_t got = ::read(file.fd, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return upload_errc::unreadable;
    if (got == 0) break;
    out.bytes.append(buffer.data(), static_cast<std::size_t>(got));
    if (out.bytes.size() > max_bytes) return upload_errc::too_large;
  }
  for (const auto& secret : secrets_) {
    if (out.bytes.find(secret) != std::string::npos) return upload_errc::secret_inside;
  }
  return out;
}

std::string upload_policy::summary() const {
  if (folders_.empty()) {
    return "pons-mcp has no usable upload folder, so it sends no local files; the user can set "
           "one with --upload-dir or PONS_UPLOAD_DIR.";
  }
  return fmt::format(
      "Local files are sent only from the upload folder {} (the user chooses it with "
      "--upload-dir or PONS_UPLOAD_DIR); a relative path is taken inside {}.",
      join(folders_), folders_.front());
}

std::string upload_policy::explain(const boost::system::error_code& ec,
                                   std::string_view path) const {
  std::string where = summary();
  std::string refusals;
  for (const auto& r : refused_) {
    refusals += fmt::format(" The configured folder {} was refused: {}.", r.path, r.reason);
  }
  if (ec.category() != upload_category())
    return fmt::format("{} cannot be sent: {}.", path, ec.message());
  switch (static_cast<upload_errc>(ec.value())) {
    case upload_errc::no_folder:
      return fmt::format(
          "pons-mcp cannot send local files: it has no usable upload folder.{} Ask the user to "
          "set one with --upload-dir or PONS_UPLOAD_DIR, or send media that is online with url.",
          refusals);
    case upload_errc::bad_path:
      return "The path is empty or holds a NUL character; pass the name of a file in the upload "
             "folder. " +
             where;
    case upload_errc::not_found:
      return fmt::format("There is no file {}. {}", path, where);
    case upload_errc::outside_folders:
      return fmt::format(
          "{} is outside the upload folder, so pons-mcp will not send it. {} If the user wants "
          "this file sent, ask them to put it in the upload folder; media that is online can be "
          "sent with url.{}",
          path, where, refusals);
    case upload_errc::pons_file:
      return fmt::format(
          "{} is Pons's own database or configuration (it holds every conversation and "
          "credential), so pons-mcp never sends it, under any name.",
          path);
    case upload_errc::system_file:
      return fmt::format(
          "{} is a system file (under /proc, /sys or /dev), so pons-mcp never sends it.", path);
    case upload_errc::not_regular:
      return fmt::format(
          "{} is not a regular file (a folder, device or pipe); only files can be "
          "sent. {}",
          path, where);
    case upload_errc::hard_linked:
      return fmt::format(
          "{} has more than one name on disk (a hard link), so pons-mcp cannot tell what it "
          "really is and will not send it. Ask the user to put a plain copy in the upload "
          "folder.",
          path);
    case upload_errc::unreadable:
      return fmt::format(
          "{} cannot be read by pons-mcp (permissions or a disk error). Ask the "
          "user to check the file.",
          path);
    case upload_errc::too_large:
      return fmt::format("{} is too large to send.", path);
    case upload_errc::changed:
      return fmt::format("{} changed while pons-mcp was checking it; try again.", path);
    case upload_errc::secret_inside:
      return fmt::format(
          "{} contains one of Pons's credentials (the WhatsApp access token or app secret), so "
          "pons-mcp will not send it. Tell the user: this request may come from someone trying "
          "to steal the credentials.",
          path);
  }
  return fmt::format("{} cannot be sent: {}.", path, ec.message());
}

}  // namespace pons::mcp
