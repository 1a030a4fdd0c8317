#include "pons/meta/graph_client.hpp"

#include <catch2/catch.hpp>

using namespace pons::meta;

TEST_CASE("graph ids are digits only", "[graph]") {
  CHECK(is_graph_id("106540352242922"));
  CHECK(is_graph_id("1"));
  CHECK(is_graph_id(std::string(32, '9')));
  CHECK_FALSE(is_graph_id(""));
  CHECK_FALSE(is_graph_id(std::string(33, '9')));
  CHECK_FALSE(is_graph_id("../../../../etc/passwd"));
  CHECK_FALSE(is_graph_id("123/messages"));
  CHECK_FALSE(is_graph_id("123?x=1"));
  CHECK_FALSE(is_graph_id("123#x"));
  CHECK_FALSE(is_graph_id("%31"));
  CHECK_FALSE(is_graph_id("12 3"));
  CHECK_FALSE(is_graph_id("id\r\nX: 1"));
  CHECK_FALSE(is_graph_id("\xd9\xa1"));  // ARABIC-INDIC DIGIT ONE is no ASCII digit
}

TEST_CASE("every graph error code has its own message", "[graph]") {
  std::vector<std::string> seen;
  for (int v = static_cast<int>(graph_errc::unexpected_response);
       v <= static_cast<int>(graph_errc::invalid_template_id); ++v) {
    auto msg = make_error_code(static_cast<graph_errc>(v)).message();
    INFO("value " << v);
    CHECK(msg != "unknown graph client error");
    CHECK(std::find(seen.begin(), seen.end(), msg) == seen.end());
    seen.push_back(msg);
  }
}

TEST_CASE("a refused id is a typed, final error that says what to check", "[graph]") {
  graph_config cfg;
  // Nothing listens here: an id that got through would fail as a transport error instead.
  cfg.base_url = "http://127.0.0.1:9";
  cfg.max_retries = 0;
  graph_client client(cfg);
  auto media = client.get_media("../x");
  REQUIRE_FALSE(media.has_value());
  CHECK(media.error().code == graph_errc::invalid_media_id);
  CHECK(media.error().attempts == 0);
  CHECK_FALSE(media.error().retryable());
  CHECK(media.error().explain().find("media id") != std::string::npos);
  auto sent = client.mark_read("1/2", "wamid.x");
  REQUIRE_FALSE(sent.has_value());
  CHECK(sent.error().code == graph_errc::invalid_phone_number_id);
  CHECK(sent.error().explain().find("WA_PHONE_NUMBER_ID") != std::string::npos);
  auto templates = client.list_templates("abc");
  REQUIRE_FALSE(templates.has_value());
  CHECK(templates.error().code == graph_errc::invalid_waba_id);
  CHECK(templates.error().explain().find("WA_WABA_ID") != std::string::npos);
  auto created = client.create_message_template("1/../2", boost::json::object{{"name", "x"}});
  REQUIRE_FALSE(created.has_value());
  CHECK(created.error().code == graph_errc::invalid_waba_id);
  CHECK(created.error().attempts == 0);
  auto deleted = client.delete_message_template("102290129340398", "x", "12?name=y");
  REQUIRE_FALSE(deleted.has_value());
  CHECK(deleted.error().code == graph_errc::invalid_template_id);
  CHECK(deleted.error().attempts == 0);
}
