// The fake Graph API's versions, as Meta's at the end of 2026: v23.0 to v26.0 are served, an
// older version is answered as the oldest usable one (Meta's versioning guide), a newer or
// malformed one is an unknown path; and the client's default is the newest, v26.0.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "integration/graph_harness.hpp"
#include "pons/http/client.hpp"
#include "pons/meta/graph_client.hpp"

using namespace pons;
using namespace pons::graph_test;

TEST_CASE("fake graph: v23.0 to v26.0 served, older defaulted up, newer unknown", "[graph]") {
  temp_dir dir;
  fake_graph_process fake(dir, {});
  http::client client;
  auto status_of = [&](const std::string& version) {
    http::request req;
    req.url = fake.base_url() + "/" + version + "/1/message_templates";
    req.headers.push_back({"Authorization", "Bearer " + fake.token()});
    auto res = client.send(req);
    REQUIRE(res.has_value());
    return std::pair{res->status, res->body};
  };
  for (const char* version : {"v23.0", "v24.0", "v25.0", "v26.0", "v19.0"}) {
    INFO(version);
    auto [status, body] = status_of(version);
    CHECK(status == 200);
    CHECK(body.find("hello_world") != std::string::npos);
  }
  for (const char* version : {"v27.0", "v26", "vx.0"}) {
    INFO(version);
    auto [status, body] = status_of(version);
    CHECK(status == 400);
    CHECK(boost::json::parse(body).at("error").at("code") == 100);
  }
  CHECK(meta::default_graph_version == "v26.0");
}
