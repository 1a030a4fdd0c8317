#include <catch2/catch.hpp>

#include "pons/mcp/tools/graph_pool.hpp"

using namespace pons::mcp;

TEST_CASE("the graph pool reuses an idle client and makes one per concurrent call",
          "[mcp][graph]") {
  pons::meta::graph_config config;
  config.base_url = "http://127.0.0.1:9";
  graph_pool pool(config, {}, 1);
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

TEST_CASE("the graph pool lends each number a client with its own account's token",
          "[mcp][graph]") {
  pons::meta::graph_config config;
  config.base_url = "http://127.0.0.1:9";
  config.access_token = "env-token";
  pons::meta::account_config accounts;
  accounts.accounts.push_back({"WABA-A", "", "", "token-a", {{"1001", ""}}, "cfg"});
  accounts.accounts.push_back({"WABA-B", "", "", "token-b", {{"2002", ""}, {"2003", ""}}, "cfg"});
  accounts.accounts.push_back({"WABA-C", "", "", "", {{"3003", ""}}, "env"});
  graph_pool pool(config, accounts);
  CHECK(pool.for_number("1001")->config().access_token == "token-a");
  CHECK(pool.for_number("2003")->config().access_token == "token-b");
  CHECK(pool.for_account("WABA-B")->config().access_token == "token-b");
  // No token of its own, or a number nobody configured: the default (WA_ACCESS_TOKEN).
  CHECK(pool.for_number("3003")->config().access_token == "env-token");
  CHECK(pool.for_number("9999")->config().access_token == "env-token");
  CHECK(pool.acquire()->config().access_token == "env-token");
  // A returned client goes back to its own token's clients.
  const pons::meta::graph_client* a = nullptr;
  { a = &*pool.for_number("1001"); }
  CHECK(&*pool.for_number("1001") == a);
  CHECK(&*pool.for_number("2002") != a);
}
