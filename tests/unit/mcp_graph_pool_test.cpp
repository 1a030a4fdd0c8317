#include <catch2/catch.hpp>

#include "core/mcp/tools/graph_pool.hpp"

using namespace pons::mcp;

TEST_CASE("the graph pool reuses an idle client and makes one per concurrent call",
          "[mcp][graph]") {
  pons::meta::graph_config config;
  config.base_url = "http://127.0.0.1:9";
  graph_pool pool(config, 1);
  const pons::meta::graph_client* first = nullptr;
  {
    auto a = pool.acquire();
    first = &*a;
    CHECK(a->config().base_url == config.base_url);
  }
  {
    auto again = pool.acquire();
    CHECK(&*again == first);  // the same client, with its TLS context and connection
    auto other = pool.acquire();
    CHECK(&*other != first);  // busy: a second caller gets its own
    CHECK(pool.clients_made() == 2);
  }
  // Only max_idle (1) clients are kept: the next two calls need one new client.
  auto x = pool.acquire();
  auto y = pool.acquire();
  CHECK(pool.clients_made() == 3);
}
