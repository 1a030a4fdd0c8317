#include "pons/forward/error.hpp"

#include <string>

namespace pons::forward {

namespace {

class forward_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pons.forward"; }
  std::string message(int ev) const override {
    switch (static_cast<forward_errc>(ev)) {
      case forward_errc::invalid_url:
        return "not an absolute http(s) URL with a host; use e.g. https://example.com/hook";
      case forward_errc::insecure_url:
        return "plain http is only allowed to localhost, 127.0.0.0/8 or [::1]; use an https:// "
               "URL for any other host";
      case forward_errc::unknown_event_type:
        return "unknown event type; use message.inbound.received, message.outbound.sent, "
               "message.outbound.failed or message.status.updated";
      case forward_errc::invalid_value:
        return "value out of range (max attempts 1..50, timeout 100 ms..300 s)";
      case forward_errc::not_found:
        return "no such target or delivery; list them to see the ids";
      case forward_errc::invalid_state:
        return "the delivery is not in a state that allows this operation";
      case forward_errc::address_refused:
        return "the host resolves to a link-local or cloud metadata address, which forwarding "
               "refuses (set PONS_FORWARD_ALLOW_LINK_LOCAL=1 to allow)";
      case forward_errc::random_failed:
        return "the system random number generator failed; nothing was created";
    }
    return "unknown forwarding error";
  }
};

const forward_category_impl category_instance;

}  // namespace

const boost::system::error_category& forward_category() noexcept {
  return category_instance;
}

boost::system::error_code make_error_code(forward_errc e) noexcept {
  return {static_cast<int>(e), category_instance};
}

}  // namespace pons::forward
