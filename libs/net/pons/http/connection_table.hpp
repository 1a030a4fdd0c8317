#pragma once
// The server's open connections, counted per client address and in total, and the order in
// which they started waiting for a request. It decides what happens to a new connection: admit
// it, admit it after closing the connection that has waited longest (of its address when the
// address is at its limit, of anyone when the server is), or refuse it when every connection it
// could replace is busy with a request. Silent connections therefore cannot starve the listener:
// each new one pushes out the oldest silent one instead of being turned away. Pure bookkeeping
// (no I/O, no clock); O(1) per request, one hash lookup per connection.

#include <array>
#include <boost/intrusive/list.hpp>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

namespace pons::http {

/// A client address as the limits see it: 16 bytes, an IPv4 address as IPv4-mapped IPv6, and for
/// IPv6 only the /64 prefix (one host usually holds a whole /64, so more bits would not bound
/// it).
using address_key = std::array<unsigned char, 16>;

/// The key of an IPv4 address (4 bytes, network order).
address_key ipv4_key(const std::array<unsigned char, 4>& bytes);
/// The key of an IPv6 address (16 bytes, network order); IPv4-mapped ones count as IPv4.
address_key ipv6_key(const std::array<unsigned char, 16>& bytes);

/// How many connections may be open.
struct connection_limits {
  std::size_t max_connections = 4096;
  std::size_t max_per_address = 1024;
};

/// Open connections, and those waiting for a request in the order they started waiting.
class connection_table {
  using hook = boost::intrusive::list_member_hook<>;
  struct address_state;

 public:
  /// One open connection; the session that owns it embeds it and registers it with add().
  class entry {
   public:
    entry() = default;
    entry(const entry&) = delete;
    entry& operator=(const entry&) = delete;
    /// True while registered (between add() and remove()).
    bool registered() const { return address_ != nullptr; }
    /// True while it waits for a request: it has not sent a complete request header since it
    /// was accepted or last answered.
    bool waiting() const { return all_hook_.is_linked(); }

   private:
    friend class connection_table;
    hook all_hook_;
    hook address_hook_;
    address_state* address_ = nullptr;
  };

  /// What to do with a new connection.
  struct admission {
    enum class verdict { admit, admit_after_closing, refuse };
    verdict what = verdict::admit;
    entry* close_first = nullptr;  // for admit_after_closing: the connection to close first
    bool address_full = false;     // the address (not the whole server) is at its limit
  };

  explicit connection_table(connection_limits limits);
  connection_table(const connection_table&) = delete;
  connection_table& operator=(const connection_table&) = delete;

  /// The decision for a new connection from `address` (changes nothing).
  admission admit(const address_key& address);

  /// Registers `e`, from `address`; it waits for its first request.
  void add(entry& e, const address_key& address);
  /// `e` sent a complete request header: it is busy until answered.
  void set_busy(entry& e);
  /// `e` waits for its next request, behind every connection already waiting.
  void set_waiting(entry& e);
  /// Forgets `e`. Does nothing when it is not registered.
  void remove(entry& e);

  /// The connection that has waited longest, of any address; nullptr when none waits.
  entry* oldest_waiting();

  /// Open connections.
  std::size_t size() const { return size_; }
  /// Open connections waiting for a request.
  std::size_t waiting() const { return waiting_.size(); }
  /// Addresses with at least one open connection.
  std::size_t addresses() const { return addresses_.size(); }
  /// The limits in force.
  const connection_limits& limits() const { return limits_; }

 private:
  using waiting_list =
      boost::intrusive::list<entry, boost::intrusive::member_hook<entry, hook, &entry::all_hook_>,
                             boost::intrusive::constant_time_size<true>>;
  using address_list =
      boost::intrusive::list<entry,
                             boost::intrusive::member_hook<entry, hook, &entry::address_hook_>,
                             boost::intrusive::constant_time_size<false>>;

  struct address_state {
    address_key key{};  // to forget the state when its last connection goes
    std::size_t count = 0;
    address_list waiting;
  };

  struct key_hash {
    std::size_t operator()(const address_key& k) const noexcept;
  };

  connection_limits limits_;
  std::size_t size_ = 0;
  waiting_list waiting_;
  std::unordered_map<address_key, address_state, key_hash> addresses_;
};

}  // namespace pons::http
