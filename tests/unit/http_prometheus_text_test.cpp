#include <catch2/catch.hpp>

#include "pons/prometheus/text.hpp"

namespace prom = pons::prometheus;

TEST_CASE("a family header and its samples", "[http][prometheus]") {
  std::string out;
  prom::append_family(out, "pons_things_total", "counter", "Things counted.");
  prom::append_sample(out, "pons_things_total", 3);
  prom::append_sample(out, "pons_things_total", {{"route", "/webhook"}, {"status", "200"}}, 7);
  prom::append_sample(out, "pons_seconds_sum", "0.500000");
  CHECK(out ==
        "# HELP pons_things_total Things counted.\n"
        "# TYPE pons_things_total counter\n"
        "pons_things_total 3\n"
        "pons_things_total{route=\"/webhook\",status=\"200\"} 7\n"
        "pons_seconds_sum 0.500000\n");
}

TEST_CASE("label values and help text are escaped", "[http][prometheus]") {
  CHECK(prom::escape_label_value("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  std::string out;
  prom::append_family(out, "x", "gauge", "say \"hi\\\"\nthen");
  CHECK(out == "# HELP x say \"hi\\\\\"\\nthen\n# TYPE x gauge\n");
  out.clear();
  prom::append_sample(out, "x", {{"name", "a\"b"}}, 1);
  CHECK(out == "x{name=\"a\\\"b\"} 1\n");
}
