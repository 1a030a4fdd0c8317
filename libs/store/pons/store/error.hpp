#pragma once
// Storage errors as values: an enum class plus a Boost.System category.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <type_traits>

namespace pons::store {

/// What went wrong in the storage layer. SQLite's own message for the last failure is kept by the
/// connection (database::last_error_message()).
enum class store_errc {
  /// The database stayed locked by another writer past busy_timeout; retry later.
  busy = 1,
  /// The file could not be created or opened.
  open_failed,
  /// A UNIQUE/NOT NULL/CHECK/FOREIGN KEY constraint refused the write.
  constraint,
  /// The file is not a database or is damaged.
  corrupt,
  /// The disk is full.
  full,
  /// An operating-system I/O error (disk, permissions).
  io,
  /// The database or its directory is read-only for this process.
  read_only,
  /// The requested row does not exist.
  not_found,
  /// The database was migrated by a newer Pons than this binary knows.
  schema_too_new,
  /// A schema migration failed and was rolled back.
  migration_failed,
  /// A caller passed a value the store cannot use (bad cursor, empty key...).
  invalid_argument,
  /// Any other SQLite failure.
  sqlite_error,
  /// The PostgreSQL server could not be reached, or the connection to it was lost.
  unavailable,
  /// Any other PostgreSQL failure.
  server_error,
};

/// The category of store_errc ("pons.store").
const boost::system::error_category& store_category() noexcept;

/// Makes an error_code from a store_errc (found by ADL).
boost::system::error_code make_error_code(store_errc e) noexcept;

/// True for errors that go away when the caller retries later (busy).
bool is_retryable(const boost::system::error_code& ec) noexcept;

/// Shorthand used by every store function.
template <class T>
using result = boost::system::result<T>;

}  // namespace pons::store

namespace boost::system {
template <>
struct is_error_code_enum<pons::store::store_errc> : std::true_type {};
}  // namespace boost::system
