#pragma once
// Which local files send_media may upload. Tool arguments can be written by whoever messaged
// the business (prompt injection), so a path is honoured only when the file it really is (after
// symlinks, "..", hard links and races) lies in a folder the user chose for uploads, and is
// neither Pons's own database or configuration, nor a system file, nor holds a credential.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "pons/store/db_location.hpp"

namespace pons::mcp {

using env_lookup = store::env_lookup;

/// Why a local file may not be uploaded.
enum class upload_errc {
  no_folder = 1,    // no usable upload folder is configured
  bad_path,         // empty, or holds a NUL character
  not_found,        // no such file
  outside_folders,  // the file is not inside an upload folder
  pons_file,        // Pons's database, its journal files, or its configuration file
  system_file,      // under /proc, /sys or /dev
  not_regular,      // a folder, device, socket or pipe
  hard_linked,      // the file has other names, so where it "is" says nothing
  unreadable,       // permissions or an I/O error
  too_large,        // larger than the caller's limit
  changed,          // replaced between the check and the open
  secret_inside,    // holds a credential of this process
};

/// The category of upload_errc ("pons.upload").
const boost::system::error_category& upload_category() noexcept;

/// Makes an error_code from an upload_errc (found by ADL).
boost::system::error_code make_error_code(upload_errc e) noexcept;

/// What the user configured, and what must never leave the machine.
struct upload_settings {
  std::vector<std::string> folders;          // absolute, or relative to the working directory
  bool create_missing = false;               // create missing folders 0700 (the default outbox)
  std::string database_path;                 // never sent, nor any folder holding it
  std::vector<std::string> protected_files;  // the configuration file (PONS_CONFIG)
  std::string home;                          // $HOME: refused as a whole
  std::vector<std::string> secrets;          // files holding one of these are never sent
};

/// What pons-mcp was started with that decides where uploads may come from.
struct upload_origin {
  std::vector<std::string> upload_dirs;  // --upload-dir, in order
  std::string db_path;                   // the database in use (a file, or a server's URL)
  std::string config_path;               // --config, empty without
  std::string data_dir;                  // where outbox/ goes; empty: the database file's folder
};

/// The upload folder settings of pons-mcp: --upload-dir, else PONS_UPLOAD_DIR, else outbox/
/// beside the database (created); PONS_CONFIG, HOME and the credentials from `env`.
upload_settings upload_settings_from(const upload_origin& origin, const env_lookup& env);

/// A configured folder that was not accepted, and why (in words for the user).
struct refused_folder {
  std::string path;
  std::string reason;
};

/// A file that passed every check, read through the descriptor that was checked.
struct upload_file {
  std::string bytes;
  std::string real_path;  // where the file really is
};

/// The upload folders, checked once at start; then each path is checked as it is used.
class upload_policy {
 public:
  /// Resolves and checks the folders (creating them when asked). Never fails: refused folders
  /// are listed with a reason, and with none accepted every upload is refused.
  explicit upload_policy(const upload_settings& settings);

  /// The accepted folders, resolved (no symlinks, no trailing slash).
  const std::vector<std::string>& folders() const { return folders_; }

  /// The configured folders that were refused.
  const std::vector<refused_folder>& refused() const { return refused_; }

  /// Opens and reads `path` (absolute, or relative to the first folder) when it may be
  /// uploaded, reading at most `max_bytes` (more is too_large).
  boost::system::result<upload_file> read(std::string_view path, std::uint64_t max_bytes) const;

  /// What went wrong with `path` and what to do next, for an assistant to relay.
  std::string explain(const boost::system::error_code& ec, std::string_view path) const;

  /// One sentence naming the folders and how to change them (for tool descriptions).
  std::string summary() const;

 private:
  boost::system::error_code check_location(const std::string& real) const;

  std::vector<std::string> folders_;
  std::vector<refused_folder> refused_;
  std::vector<std::string> protected_;  // resolved paths of the database family and config
  std::vector<std::string> secrets_;
};

}  // namespace pons::mcp

namespace boost::system {
template <>
struct is_error_code_enum<pons::mcp::upload_errc> : std::true_type {};
}  // namespace boost::system
