// Claim keys: every instance of a deployment must derive the same key from the same row, whatever
// its build, so the hash is FNV-1a, checked here against its published test vectors.
#include <catch2/catch.hpp>
#include <cstdint>

#include "pons/store/insert_claims.hpp"

using namespace pons::store;

namespace {

std::int32_t as_key(std::uint32_t fnv) {
  return static_cast<std::int32_t>(fnv);
}

}  // namespace

TEST_CASE("claim keys are FNV-1a of the kind and the key", "[store][claims]") {
  // FNV-1a 32-bit of "a" and of "foobar" (the vectors of the FNV reference).
  CHECK(claim_key('a', "") == as_key(0xe40c292cu));
  CHECK(claim_key('f', "oobar") == as_key(0xbf9cf968u));
  // The kind keeps a message's wamid apart from an event key with the same text.
  CHECK(claim_key('m', "wamid.X") != claim_key('k', "wamid.X"));
}

TEST_CASE("a sender's claim keeps the number and the phone apart", "[store][claims]") {
  CHECK(sender_claim_key("12", "3") != sender_claim_key("1", "23"));
  CHECK(sender_claim_key("106540352242922", "447700900001") ==
        sender_claim_key("106540352242922", "447700900001"));
  CHECK(sender_claim_key("106540352242922", "447700900001") !=
        sender_claim_key("106540352242922", "447700900002"));
}
