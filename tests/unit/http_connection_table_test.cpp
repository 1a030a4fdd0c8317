#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "pons/http/connection_table.hpp"

using namespace pons::http;
using verdict = connection_table::admission::verdict;

namespace {

address_key v4(unsigned char last) {
  return ipv4_key({127, 0, 0, last});
}

struct conn : connection_table::entry {
  int id = 0;
};

// Connections that stay registered for the test's length; removed before they are destroyed.
struct fixture {
  connection_table table;
  std::vector<std::unique_ptr<conn>> open;
  explicit fixture(connection_limits limits) : table(limits) {}
  ~fixture() {
    for (auto& c : open) table.remove(*c);
  }
  conn& add(const address_key& a) {
    open.push_back(std::make_unique<conn>());
    open.back()->id = static_cast<int>(open.size());
    table.add(*open.back(), a);
    return *open.back();
  }
};

int id_of(connection_table::entry* e) {
  return e ? static_cast<conn*>(e)->id : 0;
}

}  // namespace

TEST_CASE("connection table: under the limits every connection is admitted", "[http]") {
  fixture f({10, 3});
  CHECK(f.table.admit(v4(1)).what == verdict::admit);
  f.add(v4(1));
  f.add(v4(1));
  CHECK(f.table.admit(v4(1)).what == verdict::admit);
  CHECK(f.table.size() == 2);
  CHECK(f.table.waiting() == 2);
  CHECK(f.table.addresses() == 1);
}

TEST_CASE("connection table: an address at its limit replaces its own oldest waiting one",
          "[http]") {
  fixture f({10, 3});
  auto& a = f.add(v4(1));
  auto& b = f.add(v4(1));
  auto& c = f.add(v4(1));
  auto& other = f.add(v4(2));
  (void)other;
  auto d = f.table.admit(v4(1));
  CHECK(d.what == verdict::admit_after_closing);
  CHECK(d.address_full);
  CHECK(id_of(d.close_first) == a.id);
  // a sends a request: now b has waited longest.
  f.table.set_busy(a);
  CHECK(id_of(f.table.admit(v4(1)).close_first) == b.id);
  // b is answered and waits again, behind c.
  f.table.set_busy(b);
  f.table.set_waiting(b);
  CHECK(id_of(f.table.admit(v4(1)).close_first) == c.id);
  // All three busy: nothing to replace, the newcomer is refused.
  f.table.set_busy(b);
  f.table.set_busy(c);
  auto refused = f.table.admit(v4(1));
  CHECK(refused.what == verdict::refuse);
  CHECK(refused.address_full);
  // Another address is not affected.
  CHECK(f.table.admit(v4(3)).what == verdict::admit);
}

TEST_CASE("connection table: a full server replaces the oldest waiting one of any address",
          "[http]") {
  fixture f({4, 4});
  auto& a = f.add(v4(1));
  auto& b = f.add(v4(2));
  f.add(v4(3));
  f.add(v4(3));
  auto d = f.table.admit(v4(9));
  CHECK(d.what == verdict::admit_after_closing);
  CHECK_FALSE(d.address_full);
  CHECK(id_of(d.close_first) == a.id);
  f.table.remove(a);
  CHECK(f.table.admit(v4(9)).what == verdict::admit);
  f.add(v4(9));
  for (auto& c : f.open) f.table.set_busy(*c);
  CHECK(f.table.admit(v4(10)).what == verdict::refuse);
  f.table.set_waiting(b);
  CHECK(id_of(f.table.admit(v4(10)).close_first) == b.id);
  CHECK(f.table.oldest_waiting() == &b);
}

TEST_CASE("connection table: remove forgets a connection once, and empty addresses", "[http]") {
  fixture f({10, 2});
  auto& a = f.add(v4(1));
  auto& b = f.add(v4(1));
  f.table.set_busy(b);
  f.table.remove(a);
  f.table.remove(a);
  CHECK_FALSE(a.registered());
  CHECK(f.table.size() == 1);
  CHECK(f.table.waiting() == 0);
  CHECK(f.table.admit(v4(1)).what == verdict::admit);
  f.table.remove(b);
  CHECK(f.table.size() == 0);
  CHECK(f.table.addresses() == 0);
  CHECK(f.table.oldest_waiting() == nullptr);
}

TEST_CASE("connection table: the per-address limit never exceeds the total", "[http]") {
  connection_table t({2, 100});
  CHECK(t.limits().max_per_address == 2);
  connection_table zero({0, 0});
  CHECK(zero.limits().max_connections == 1);
  CHECK(zero.limits().max_per_address == 1);
}

TEST_CASE("address keys: IPv4-mapped IPv6 is IPv4, IPv6 counts by /64", "[http]") {
  std::array<unsigned char, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  CHECK(ipv6_key(mapped) == v4(1));
  std::array<unsigned char, 16> a{0x20, 0x01, 0xd, 0xb8, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8};
  auto b = a;
  b[15] = 9;
  CHECK(ipv6_key(a) == ipv6_key(b));
  auto c = a;
  c[7] = 2;
  CHECK(ipv6_key(a) != ipv6_key(c));
  CHECK(ipv4_key({10, 0, 0, 1}) != ipv4_key({10, 0, 0, 2}));
}
