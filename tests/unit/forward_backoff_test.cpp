#include <catch2/catch.hpp>

#include "pons/forward/backoff.hpp"

using namespace pons::forward;
using std::chrono::milliseconds;

TEST_CASE("forward: backoff starts at 5 s and doubles to a 1 h cap", "[forward]") {
  backoff_policy p;
  p.jitter = 0;
  CHECK(backoff_delay(p, 1, 0.5) == milliseconds(5000));
  CHECK(backoff_delay(p, 2, 0.5) == milliseconds(10000));
  CHECK(backoff_delay(p, 3, 0.5) == milliseconds(20000));
  CHECK(backoff_delay(p, 10, 0.5) == milliseconds(2560000));
  CHECK(backoff_delay(p, 11, 0.5) == milliseconds(3600000));
  CHECK(backoff_delay(p, 1000, 0.5) == milliseconds(3600000));
}

TEST_CASE("forward: jitter only shortens, and delays still grow", "[forward]") {
  backoff_policy p;  // jitter 0.2
  CHECK(backoff_delay(p, 1, 0.0) == milliseconds(5000));
  CHECK(backoff_delay(p, 1, 0.999) > milliseconds(4000));
  CHECK(backoff_delay(p, 1, 0.999) < milliseconds(5000));
  for (int n = 1; n < 10; ++n) {
    INFO(n);
    CHECK(backoff_delay(p, n + 1, 0.999) > backoff_delay(p, n, 0.0));
  }
  CHECK(backoff_delay(p, 30, 0.0) <= milliseconds(3600000));
}

TEST_CASE("forward: the scale factor shortens the whole schedule", "[forward]") {
  backoff_policy p;
  p.jitter = 0;
  p.scale = 0.01;
  CHECK(backoff_delay(p, 1, 0) == milliseconds(50));
  CHECK(backoff_delay(p, 2, 0) == milliseconds(100));
  CHECK(backoff_delay(p, 20, 0) == milliseconds(36000));
  p.scale = 0.00001;
  CHECK(backoff_delay(p, 1, 0) == milliseconds(1));  // never zero: no busy loop
}
