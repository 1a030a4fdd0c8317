#include "pons/domain/meta_error.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

using pons::domain::meta_catalogue;
using pons::domain::meta_errc;
using pons::domain::meta_errc_from_code;
using pons::domain::meta_errc_from_codes;
using pons::domain::parse_graph_error;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fixture(const std::string& name) {
  return read_file(std::string(PONS_FIXTURES_DIR) + "/meta/api_responses/" + name);
}

// The catalogue as a Markdown table; docs/errors.md must contain exactly this.
std::string catalogue_markdown() {
  std::string out =
      "| Meta code | name | title | HTTP | retryable | hint |\n"
      "|---|---|---|---|---|---|\n";
  for (const auto& row : meta_catalogue()) {
    std::string code;
    if (row.code == meta_errc::unknown) {
      code = "any other";
    } else if (row.first < 0) {
      code = "(none)";
    } else if (row.first == row.last) {
      code = std::to_string(row.first);
    } else {
      code = std::to_string(row.first) + "-" + std::to_string(row.last);
    }
    out += "| " + code + " | `" + std::string(row.name) + "` | " + std::string(row.title) + " | " +
           (row.http_status ? std::to_string(row.http_status) : std::string("-")) + " | " +
           (row.retryable ? "yes" : "no") + " | " + std::string(row.hint) + " |\n";
  }
  return out;
}

}  // namespace

TEST_CASE("every catalogue entry has a title, a name and an actionable hint", "[meta_error]") {
  auto rows = meta_catalogue();
  REQUIRE(rows.size() == static_cast<std::size_t>(meta_errc::template_name_not_found));
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    INFO("row " << i << " " << row.name);
    CHECK(static_cast<std::size_t>(row.code) == i + 1);
    CHECK_FALSE(row.title.empty());
    CHECK_FALSE(row.name.empty());
    CHECK(row.hint.size() > 20);
    CHECK(row.hint.back() == '.');
    CHECK(row.first <= row.last);
    CHECK(names.insert(row.name).second);
    auto ec = make_error_code(row.code);
    CHECK(ec.failed());
    CHECK(ec.message().find(row.hint) != std::string::npos);
    CHECK(&pons::domain::meta_info(row.code) == &row);
  }
}

TEST_CASE("every code the issue lists maps to its own enumerator", "[meta_error]") {
  const int required[] = {0,      3,      4,      10,     100,    190,    200,    250,    299,
                          368,    130429, 130472, 130497, 131000, 131005, 131008, 131009, 131016,
                          131021, 131026, 131031, 131042, 131045, 131047, 131048, 131049, 131050,
                          131051, 131052, 131053, 131056, 131057, 132068, 132069, 135000};
  for (int code : required) {
    INFO(code);
    auto e = meta_errc_from_code(code);
    CHECK(e != meta_errc::unknown);
    const auto& info = pons::domain::meta_info(e);
    CHECK(info.first <= code);
    CHECK(code <= info.last);
  }
  for (int code = 132000; code <= 132016; ++code) {
    INFO(code);
    CHECK(meta_errc_from_code(code) != meta_errc::unknown);
  }
  for (int code = 133000; code <= 133016; ++code) {
    INFO(code);
    CHECK(meta_errc_from_code(code) != meta_errc::unknown);
  }
  CHECK(meta_errc_from_code(200) == meta_errc::api_permission);
  CHECK(meta_errc_from_code(299) == meta_errc::api_permission);
  CHECK(meta_errc_from_code(300) == meta_errc::unknown);
  CHECK(meta_errc_from_code(131047) == meta_errc::reengagement_required);
  CHECK(meta_errc_from_code(132001) == meta_errc::template_not_found);
  CHECK(meta_errc_from_code(132002) == meta_errc::template_error);
  CHECK(meta_errc_from_code(133005) == meta_errc::two_step_pin_mismatch);
  CHECK(meta_errc_from_code(133001) == meta_errc::registration_error);
  CHECK(meta_errc_from_code(999999) == meta_errc::unknown);
  CHECK(meta_errc_from_code(-1) == meta_errc::unknown);
}

TEST_CASE("hints an assistant acts on say what to do", "[meta_error]") {
  CHECK(pons::domain::meta_error_from_code(131047).title() == "Re-engagement message");
  CHECK(pons::domain::meta_error_from_code(131047).hint() ==
        "The 24-hour customer service window is closed; send an approved template instead.");
  CHECK(pons::domain::meta_error_from_code(190).hint().find("new one") != std::string_view::npos);
  CHECK(pons::domain::meta_error_from_code(130429).hint().find("backoff") !=
        std::string_view::npos);
  CHECK(pons::domain::meta_error_from_code(131056).hint().find("wait") != std::string_view::npos);
  CHECK(pons::domain::meta_error_from_code(131026).hint().find("not be on WhatsApp") !=
        std::string_view::npos);
}

TEST_CASE("explanations end each sentence with one period", "[meta_error]") {
  auto expired = parse_graph_error(
      R"({"error":{"message":"Error validating access token: Session has expired on Tuesday, 04-Nov-25 09:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC"}})",
      401);
  CHECK(expired.explain() ==
        "Meta error 190 (HTTP 401): Error validating access token: Session has expired on "
        "Tuesday, 04-Nov-25 09:00:00 PST. The access token has expired; generate a new one (a "
        "system-user token does not expire) and update the configuration. Meta trace id: AbC.");
  auto window = parse_graph_error(
      R"({"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}})",
      400);
  CHECK(window.explain() ==
        "Meta error 131047 (HTTP 400): (#131047) Re-engagement message (Message failed to send "
        "because more than 24 hours have passed since the customer last replied to this "
        "number.). The 24-hour customer service window is closed; send an approved template "
        "instead.");
}

TEST_CASE("the 130429 fixture parses into a retryable rate limit", "[meta_error]") {
  auto e = parse_graph_error(fixture("error_130429.json"), 400);
  CHECK(e.code == meta_errc::rate_limit_hit);
  CHECK(e.meta_code == 130429);
  CHECK(e.subcode == 2494055);
  CHECK(e.http_status == 400);
  CHECK(e.type == "OAuthException");
  CHECK(e.message == "(#130429) Rate limit hit");
  CHECK(e.details == "Cloud API message throughput has been reached.");
  CHECK(e.fbtrace_id == "Az8or2yhqkZfEZ-_4Qn_Bam");
  CHECK(e.retryable());
  auto text = e.explain();
  CHECK(text.find("130429") != std::string::npos);
  CHECK(text.find("Cloud API message throughput has been reached.") != std::string::npos);
  CHECK(text.find("Az8or2yhqkZfEZ-_4Qn_Bam") != std::string::npos);
  CHECK(text.find("retried") != std::string::npos);
}

TEST_CASE("the 100 fixture parses without a subcode and is not retryable", "[meta_error]") {
  auto e = parse_graph_error(fixture("error_100_mmlite_non_template.json"), 400);
  CHECK(e.code == meta_errc::invalid_parameter);
  CHECK(e.meta_code == 100);
  CHECK(e.subcode == 0);
  CHECK(e.details == "Message must be a template message.");
  CHECK(e.fbtrace_id == "Ak6nxJSySLEJz32Ps-QiZ1t");
  CHECK_FALSE(e.retryable());
  CHECK(e.explain().find("retried") == std::string::npos);
}

TEST_CASE("retryable: rate limits, transient failures and 5xx: not client errors", "[meta_error]") {
  for (int code : {130429, 131056, 131000, 131016, 2, 4, 80007, 131057, 133004}) {
    INFO(code);
    CHECK(pons::domain::meta_error_from_code(code).retryable());
  }
  for (int code : {0, 100, 131047, 190, 131026, 131050, 132001, 368, 131048, 131049}) {
    INFO(code);
    CHECK_FALSE(pons::domain::meta_error_from_code(code).retryable());
  }
  // Unknown codes: the HTTP status decides.
  CHECK(pons::domain::meta_error_from_code(987654, 503).retryable());
  CHECK(pons::domain::meta_error_from_code(987654, 429).retryable());
  CHECK_FALSE(pons::domain::meta_error_from_code(987654, 400).retryable());
}

TEST_CASE("bodies without a Meta envelope are classified by HTTP status", "[meta_error]") {
  auto gateway = parse_graph_error("<html><body><h1>502 Bad Gateway</h1>\n</body></html>", 502);
  CHECK(gateway.code == meta_errc::server_unavailable);
  CHECK(gateway.meta_code == -1);
  CHECK(gateway.http_status == 502);
  CHECK(gateway.retryable());
  CHECK(gateway.details.find("502 Bad Gateway") != std::string::npos);
  CHECK(gateway.details.find('\n') == std::string::npos);
  CHECK(gateway.explain().find("HTTP 502") != std::string::npos);

  auto throttled = parse_graph_error("", 429);
  CHECK(throttled.code == meta_errc::too_many_requests);
  CHECK(throttled.retryable());

  for (std::string_view body :
       {"", "not json", "{\"error\":", "[1,2]", "{\"error\":\"oops\"}", "{\"other\":{}}", "null"}) {
    INFO(body);
    auto e = parse_graph_error(body, 400);
    CHECK(e.code == meta_errc::unparseable_response);
    CHECK_FALSE(e.retryable());
    CHECK_FALSE(e.explain().empty());
  }

  std::string huge(5000, 'x');
  CHECK(parse_graph_error(huge, 500).details.size() < 200);
}

TEST_CASE("envelopes with missing or odd fields still parse", "[meta_error]") {
  auto no_code = parse_graph_error(R"({"error":{"message":"Something broke"}})", 500);
  CHECK(no_code.code == meta_errc::server_unavailable);
  CHECK(no_code.message == "Something broke");
  CHECK(no_code.retryable());

  auto no_code_400 = parse_graph_error(R"({"error":{"message":"Bad thing"}})", 400);
  CHECK(no_code_400.code == meta_errc::unknown);
  CHECK(no_code_400.title() == "Bad thing");
  CHECK_FALSE(no_code_400.retryable());

  auto string_code = parse_graph_error(R"({"error":{"code":"131047","error_subcode":"7"}})", 400);
  CHECK(string_code.code == meta_errc::reengagement_required);
  CHECK(string_code.subcode == 7);
  CHECK(string_code.message.empty());
  CHECK(string_code.explain().find("Re-engagement message") != std::string::npos);

  auto wrong_types = parse_graph_error(
      R"({"error":{"code":{"x":1},"message":42,"type":null,"error_data":[1],"fbtrace_id":7}})",
      400);
  CHECK(wrong_types.code == meta_errc::unknown);
  CHECK(wrong_types.message.empty());
  CHECK(wrong_types.details.empty());

  auto data_string = parse_graph_error(
      R"({"error":{"code":100,"error_data":"{\"details\":\"Param to is invalid\"}"}})", 400);
  CHECK(data_string.details == "Param to is invalid");
  auto data_text = parse_graph_error(R"({"error":{"code":100,"error_data":"plain words"}})", 400);
  CHECK(data_text.details == "plain words");

  auto user_msg =
      parse_graph_error(R"({"error":{"code":190,"error_user_msg":"Log in again"}})", 401);
  CHECK(user_msg.code == meta_errc::access_token_expired);
  CHECK(user_msg.details == "Log in again");

  auto huge_code = parse_graph_error(R"({"error":{"code":99999999999999}})", 400);
  CHECK(huge_code.code == meta_errc::unknown);
  auto double_code = parse_graph_error(R"({"error":{"code":131047.0}})", 400);
  CHECK(double_code.code == meta_errc::reengagement_required);
  auto uint_code = parse_graph_error(R"({"error":{"code":18446744073709551615}})", 503);
  CHECK(uint_code.meta_code == -1);
  CHECK(uint_code.code == meta_errc::server_unavailable);
  auto negative = parse_graph_error(R"({"error":{"code":-4}})", 400);
  CHECK(negative.code == meta_errc::unknown);
  CHECK(negative.meta_code == -1);
  CHECK(&pons::domain::meta_info(static_cast<meta_errc>(0)) == &meta_catalogue()[0]);
  CHECK(&pons::domain::meta_info(static_cast<meta_errc>(9999)) == &meta_catalogue()[0]);
}

TEST_CASE("unknown codes pass through with Meta's original text", "[meta_error]") {
  auto e = parse_graph_error(
      R"({"error":{"message":"(#777777) Brand new problem","type":"OAuthException","code":777777,
          "error_data":{"details":"Something new happened."},"fbtrace_id":"T1"}})",
      400);
  CHECK(e.code == meta_errc::unknown);
  CHECK(e.meta_code == 777777);
  CHECK(e.title() == "(#777777) Brand new problem");
  auto text = e.explain();
  CHECK(text.find("777777") != std::string::npos);
  CHECK(text.find("Brand new problem") != std::string::npos);
  CHECK(text.find("Something new happened.") != std::string::npos);
}

TEST_CASE("webhook errors[] entries become typed errors", "[meta_error]") {
  pons::domain::meta_error_detail d;
  d.code = 131049;
  d.title = "This message was not delivered to maintain healthy ecosystem engagement.";
  d.message = d.title;
  d.details = "In order to maintain a healthy ecosystem engagement, the message failed.";
  auto e = pons::domain::meta_error_from_detail(d);
  CHECK(e.code == meta_errc::meta_chose_not_to_deliver);
  CHECK(e.meta_code == 131049);
  CHECK(e.http_status == 0);
  CHECK(e.details == d.details);
  CHECK_FALSE(e.retryable());
  CHECK(e.explain().find("24 hours") != std::string::npos);

  pons::domain::meta_error_detail title_only;
  title_only.code = 131026;
  title_only.title = "Message Undeliverable.";
  CHECK(pons::domain::meta_error_from_detail(title_only).message == "Message Undeliverable.");
}

TEST_CASE("docs/errors.md lists the catalogue as implemented", "[meta_error]") {
  auto doc = read_file(std::string(PONS_FIXTURES_DIR) + "/../../docs/errors.md");
  auto table = catalogue_markdown();
  INFO("regenerate with: pons_unit_tests \"[.errors-doc]\" and paste the table");
  CHECK(doc.find(table) != std::string::npos);
}

TEST_CASE("print the errors.md catalogue table", "[.errors-doc]") {
  std::cout << catalogue_markdown();
  CHECK_FALSE(catalogue_markdown().empty());
}

TEST_CASE("template management subcodes win over code 100 and keep Meta's words", "[meta_error]") {
  auto e = parse_graph_error(
      R"({"error":{"message":"Invalid parameter","type":"OAuthException","code":100,)"
      R"("error_subcode":2388024,"is_transient":false,)"
      R"("error_user_title":"Content in This Language Already Exists",)"
      R"("error_user_msg":"There is already English content for this template. You can create a new template and try again.",)"
      R"("fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}})",
      400);
  CHECK(e.code == meta_errc::template_language_exists);
  CHECK(e.meta_code == 100);
  CHECK(e.subcode == 2388024);
  CHECK(e.user_title == "Content in This Language Already Exists");
  auto text = e.explain();
  CHECK(text.find("Meta error 100 (subcode 2388024)") != std::string::npos);
  CHECK(text.find("Content in This Language Already Exists") != std::string::npos);
  CHECK(text.find("There is already English content") != std::string::npos);
  CHECK(text.find("choose another name") != std::string::npos);

  CHECK(meta_errc_from_codes(100, 2388023) == meta_errc::template_language_deleting);
  CHECK(meta_errc_from_codes(100, 2593002) == meta_errc::template_name_not_found);
  CHECK(meta_errc_from_codes(100, 2388293) == meta_errc::template_too_many_variables);
  // A subcode the catalogue does not list, or a small one (190's 463), leaves the code's row.
  CHECK(meta_errc_from_codes(100, 2499999) == meta_errc::invalid_parameter);
  CHECK(meta_errc_from_codes(190, 463) == meta_errc::access_token_expired);
  CHECK(meta_errc_from_codes(131047, 0) == meta_errc::reengagement_required);
}
