#pragma once
// Forwarding errors as values: an enum class plus a Boost.System category.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <type_traits>

namespace pons::forward {

/// What went wrong while managing targets or delivering events.
enum class forward_errc {
  /// The URL is not an absolute http(s) URL with a host.
  invalid_url = 1,
  /// Plain http to a host that is not loopback; only https may leave the machine.
  insecure_url,
  /// An event type outside the four Pons emits.
  unknown_event_type,
  /// max_attempts or timeout outside the accepted range.
  invalid_value,
  /// No target or delivery with that id.
  not_found,
  /// The delivery is in a state that does not allow the operation (e.g. retrying a success).
  invalid_state,
  /// The host resolved to a link-local or cloud metadata address, which forwarding refuses.
  address_refused,
  /// The random number generator failed (no entropy): nothing was created.
  random_failed,
};

/// The category of forward_errc ("pons.forward").
const boost::system::error_category& forward_category() noexcept;

/// Makes an error_code from a forward_errc (found by ADL).
boost::system::error_code make_error_code(forward_errc e) noexcept;

/// Shorthand used by every forward function.
template <class T>
using result = boost::system::result<T>;

}  // namespace pons::forward

namespace boost::system {
template <>
struct is_error_code_enum<pons::forward::forward_errc> : std::true_type {};
}  // namespace boost::system
