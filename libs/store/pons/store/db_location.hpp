#pragma once
// Where the database file is. One rule for pons-webhook (service and admin commands) and
// pons-mcp, so both processes always open the same file. Pure: the environment and the working
// directory are passed in (create_db_directory excepted).

#include <boost/system/error_code.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace pons::store {

/// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// Why the database location cannot be decided.
enum class db_location_errc {
  /// The value is a placeholder ("<...>") from an example configuration.
  placeholder = 1,
  /// A postgres:// or postgresql:// URL without PONS_DATA_DIR, HOME or XDG_DATA_HOME for the
  /// files kept beside the database.
  postgres_url,
  /// Another scheme:// URL: the value must be a file path.
  url,
  /// A file: URL that does not name a local absolute path (host, query, relative path).
  bad_file_url,
  /// No --db, no PONS_DB, and neither XDG_DATA_HOME nor HOME is an absolute path.
  no_default,
};

/// The category of db_location_errc ("pons.db_location").
const boost::system::error_category& db_location_category() noexcept;

/// Makes an error_code from a db_location_errc (found by ADL).
boost::system::error_code make_error_code(db_location_errc e) noexcept;

/// The database (a file, or a PostgreSQL server's URL), or why it cannot be decided.
struct db_location {
  std::string path;  // absolute and normalised, or the URL as given; empty on error
  /// The folder for what is kept beside the database (downloaded media, the outbox folder):
  /// the file's folder; with a PostgreSQL server, $PONS_DATA_DIR or the default data folder
  /// ($XDG_DATA_HOME/pons or ~/.local/share/pons). Instances sharing a server share it too.
  std::string data_dir;
  std::string origin;               // what decided it: "--db", "PONS_DB", "XDG_DATA_HOME", "HOME"
  boost::system::error_code error;  // a db_location_errc; empty when `path` is set
  std::string message;  // on error, for a person: which value, what is wrong, what to do next

  /// True when `path` is set.
  explicit operator bool() const noexcept { return !error; }
};

/// Resolves the database file: `flag` (the --db value) when given, else $PONS_DB, else
/// $XDG_DATA_HOME/pons/pons.db, else $HOME/.local/share/pons/pons.db. A relative path is taken
/// from `cwd` (absolute), a leading "~/" from $HOME, and file:///path URLs are read as their
/// path; a postgresql:// (or postgres://) URL names a PostgreSQL server. Placeholders and other
/// URLs are refused.
db_location resolve_db_location(std::optional<std::string_view> flag, const env_lookup& env,
                                std::string_view cwd);

/// Creates the missing folders above `db_path` with mode 0700 (the database holds private
/// conversations); for a PostgreSQL URL, nothing. Does I/O. Returns an empty string, or what
/// failed for a person.
std::string create_db_directory(const std::string& db_path);

/// Creates `data_dir` and the folders above it with mode 0700. Returns an empty string, or what
/// failed for a person.
std::string create_data_directory(const std::string& data_dir);

/// Where the files beside the database go (media, the default outbox): `data_dir` when given,
/// else the database file's folder ("." for a bare file name); empty only for a server's URL
/// without a data folder, since a URL names no folder (and may hold a password).
std::string data_folder(std::string_view db_path, std::string_view data_dir);

/// The location as logs, errors and /health may show it: a file's path, or a server's URL with
/// its password written as ****.
std::string shown_location(std::string_view db_path);

}  // namespace pons::store

namespace boost::system {
template <>
struct is_error_code_enum<pons::store::db_location_errc> : std::true_type {};
}  // namespace boost::system
