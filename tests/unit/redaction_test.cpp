#include "pons/meta/redaction.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "pons/meta/json_reader.hpp"

using pons::meta::is_secret_key;
using pons::meta::redact;
using pons::meta::redact_for_log;
using pons::meta::redact_keep_invalid;
using pons::meta::redacted;

TEST_CASE("is_secret_key matches token, secret, signature, password in any case", "[redaction]") {
  for (const char* key : {"token", "access_token", "AccessToken", "APP_SECRET", "client_secret",
                          "X-Hub-Signature-256", "signature", "Password", "db_password_hash",
                          "flow_token", "verify_token"}) {
    INFO(key);
    CHECK(is_secret_key(key));
  }
  for (const char* key : {"", "wa_id", "id", "from", "body", "tok", "secrets_"}) {
    INFO(key);
    CHECK(is_secret_key(key) == (std::string(key) == "secrets_"));
  }
}

TEST_CASE("is_secret_key agrees with a plain substring search on many keys", "[redaction]") {
  // The fast scan (first letters, then the word) against the obvious definition.
  auto plain = [](std::string key) {
    for (auto& c : key) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    for (const char* w : {"token", "secret", "signature", "password", "passwd", "authorization",
                          "api_key", "apikey", "api-key", "credential"})
      if (key.find(w) != std::string::npos) return true;
    return false;
  };
  const std::string alphabet = "tokenSECRETsignaturePASSWORD_-x9";
  std::uint32_t state = 12345;
  auto next = [&] {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  int secret_keys = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string key;
    const auto len = next() % 14;
    for (std::uint32_t k = 0; k < len; ++k) key += alphabet[next() % alphabet.size()];
    // Plant a word now and then, in any case, anywhere.
    if (next() % 4 == 0) {
      static const char* words[] = {"Token", "secret", "SIGNATURE", "passWord", "toke", "secre"};
      key.insert(next() % (key.size() + 1), words[next() % 6]);
    }
    INFO(key);
    REQUIRE(is_secret_key(key) == plain(key));
    secret_keys += plain(key) ? 1 : 0;
  }
  CHECK(secret_keys > 1000);  // both answers were exercised
}

TEST_CASE("redact replaces secret values at any depth, arrays included", "[redaction]") {
  auto v = boost::json::parse(R"({
    "access_token": "EAAG123",
    "object": "whatsapp_business_account",
    "nested": {"App_Secret": {"value": "s3cr3t"}, "keep": 1, "password": 12345},
    "list": [{"signature": "sha256=abc", "id": "1"}, [{"refresh_token": null}], "plain"]
  })");
  CHECK(redact(v) == 5);
  CHECK(v.at("access_token") == "<redacted>");
  CHECK(v.at("object") == "whatsapp_business_account");
  CHECK(v.at("nested").at("App_Secret") == "<redacted>");
  CHECK(v.at("nested").at("keep") == 1);
  CHECK(v.at("nested").at("password") == "<redacted>");
  CHECK(v.at("list").at(0).at("signature") == "<redacted>");
  CHECK(v.at("list").at(0).at("id") == "1");
  CHECK(v.at("list").at(1).at(0).at("refresh_token") == "<redacted>");
  CHECK(v.at("list").at(2) == "plain");
  const std::string text = boost::json::serialize(v);
  for (const char* secret : {"EAAG123", "s3cr3t", "12345", "sha256=abc"}) {
    INFO(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}

TEST_CASE("redact reaches into strings that hold JSON documents", "[redaction]") {
  // Flow replies carry their form data as a JSON string (nfm_reply.response_json).
  auto v = boost::json::parse(
      R"({"response_json":"{\"flow_token\":\"FT-1\",\"name\":\"x\"}","other":"{not json","arr":"[1,2]"})");
  CHECK(redact(v) == 1);
  auto inner = boost::json::parse(v.at("response_json").as_string());
  CHECK(inner.at("flow_token") == "<redacted>");
  CHECK(inner.at("name") == "x");
  CHECK(v.at("other") == "{not json");
  CHECK(v.at("arr") == "[1,2]");  // untouched: nothing to redact, not re-serialised
}

TEST_CASE("redacted returns a copy and leaves the original alone", "[redaction]") {
  const auto original = boost::json::parse(R"({"token":"t","a":{"b":"c"}})");
  const auto copy = redacted(original);
  CHECK(original.at("token") == "t");
  CHECK(copy.at("token") == "<redacted>");
  CHECK(copy.at("a") == original.at("a"));
}

TEST_CASE("redact_for_log never echoes invalid JSON", "[redaction]") {
  CHECK(redact_for_log(R"({ "access_token" : "EAA", "x" : [1, 2] })") ==
        R"({"access_token":"<redacted>","x":[1,2]})");
  const std::string bad = R"({"access_token": "EAA-leak)";
  const std::string out = redact_for_log(bad);
  CHECK(out == "<invalid JSON, " + std::to_string(bad.size()) + " bytes>");
  CHECK(out.find("EAA") == std::string::npos);
}

TEST_CASE("redact_keep_invalid keeps valid bodies byte for byte when nothing is secret",
          "[redaction]") {
  const std::string body = R"({"name": "Jos\u00e9", "url": "https:\/\/x"})";
  CHECK(redact_keep_invalid(body) == body);
  CHECK(redact_keep_invalid(R"({"a":1,"app_secret":"zz"})") ==
        R"({"a":1,"app_secret":"<redacted>"})");
}

TEST_CASE("redact_keep_invalid masks secret pairs in invalid JSON", "[redaction]") {
  // Truncated body: the string value runs to the end of the text.
  CHECK(redact_keep_invalid(R"({"id":"1","access_token": "EAA-unterminated)") ==
        R"({"id":"1","access_token": "<redacted>")");
  // Trailing comma makes it invalid; string, number, literal, object and array values.
  CHECK(
      redact_keep_invalid(
          R"({"token":"a\"b","n_token" : 123,"secret":true,"Password":{"x":"}","y":[1]},"signature":[1,[2]],"keep":"v",})") ==
      R"({"token":"<redacted>","n_token" : "<redacted>","secret":"<redacted>","Password":"<redacted>","signature":"<redacted>","keep":"v",})");
  // Values that are strings, not keys, and non-secret keys pass through; so does non-JSON.
  CHECK(redact_keep_invalid(R"(["token", "secret"] x)") == R"(["token", "secret"] x)");
  CHECK(redact_keep_invalid("plain text with token=abc") == "plain text with token=abc");
  // A secret key at the very end, or a bracketed value never closed.
  CHECK(redact_keep_invalid(R"({"token":)") == R"({"token":)");
  CHECK(redact_keep_invalid(R"({"token": )") == R"({"token": )");
  CHECK(redact_keep_invalid(R"({"token":{"a":[1,)") == R"({"token":"<redacted>")");
  CHECK(redact_keep_invalid(R"({"token"   )") == R"({"token"   )");
  CHECK(redact_keep_invalid("\"") == "\"");
  CHECK(redact_keep_invalid("{\"a\\") == "{\"a\\");
}

TEST_CASE("may_need_redaction is false only when redact would change nothing", "[redaction]") {
  using pons::meta::may_need_redaction;
  auto parse = [](std::string_view s) { return boost::json::parse(s); };
  CHECK_FALSE(may_need_redaction(parse(R"({"a":[{"b":"text","c":1}],"d":null})")));
  CHECK(may_need_redaction(parse(R"({"a":[{"Access_TOKEN":"x"}]})")));
  CHECK(may_need_redaction(parse(R"({"a":["{\"nested\":1}"]})")));
  CHECK(may_need_redaction(parse(R"({"a":{"b":"[1]"}})")));
  // Whenever it says false, redact indeed finds nothing.
  for (auto text : {R"({"x":"y"})", R"([1,"a",{"b":{"c":[true]}}])", R"("plain")"}) {
    auto v = parse(text);
    REQUIRE_FALSE(may_need_redaction(v));
    CHECK(pons::meta::redact(v) == 0);
  }
}

TEST_CASE("may_hold_secret is false only for documents redact() leaves alone", "[redaction]") {
  using pons::meta::may_hold_secret;
  CHECK_FALSE(may_hold_secret(R"({"entry":[{"id":"1","changes":[{"field":"messages"}]}]})"));
  CHECK(may_hold_secret(R"({"access_token":"x"})"));
  CHECK(may_hold_secret(R"({"Flow_TOKEN":"x"})"));
  CHECK(may_hold_secret(R"({"\u0074oken":"x"})"));  // a key spelled with escapes
  CHECK(may_hold_secret(R"({"reply":"{\"password\":\"hunter2\"}"})"));  // JSON inside a string
  for (const char* text :
       {R"({"a":{"b":[{"c":"d"}]},"e":"{\"f\":1}"})", R"({"access_token":"x"})",
        R"({"reply":"{\"password\":\"p\"}"})", R"({"\u0074oken":"x","id":"1"})"}) {
    INFO(text);
    auto v = boost::json::parse(text);
    if (!may_hold_secret(text))
      CHECK(redact(v) == 0);
    else
      CHECK(redact(v) > 0);
  }
}

TEST_CASE("is_secret_key also matches authorization, api keys, credentials and passwd",
          "[redaction]") {
  for (const char* key : {"Authorization", "proxy_authorization", "api_key", "X-Api-Key", "apiKey",
                          "credentials", "aws_credential", "passwd", "PASSWD_HASH"}) {
    INFO(key);
    CHECK(is_secret_key(key));
  }
  for (const char* key : {"author", "api", "key", "credit", "pass", "wd"}) {
    INFO(key);
    CHECK_FALSE(is_secret_key(key));
  }
  auto v = boost::json::parse(
      R"({"Authorization":"Bearer EAA-1","api_key":"K-2","credentials":{"u":"x","p":"C-3"},)"
      R"("passwd":"P-4","keep":"v"})");
  CHECK(redact(v) == 4);
  const std::string text = boost::json::serialize(v);
  for (const char* secret : {"EAA-1", "K-2", "C-3", "P-4"}) {
    INFO(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
  CHECK(v.at("keep") == "v");
  CHECK(redact_keep_invalid(R"({"authorization":"Bearer X-5","x":)") ==
        R"({"authorization":"<redacted>","x":)");
}

TEST_CASE("redact_keep_invalid decodes escaped key names before matching them", "[redaction]") {
  // Invalid JSON (trailing comma): the lexical scan must compare what the key means, not its bytes.
  const std::string out =
      redact_keep_invalid(R"({"access_\u0074oken":"EAA-LEAK-1","\u0070asswd":"LEAK-2",)"
                          R"("api\u005Fkey":["LEAK-3"],"x\"token":"LEAK-4","plain":"kept",})");
  CHECK(out.find("LEAK") == std::string::npos);
  CHECK(out.find(R"("plain":"kept")") != std::string::npos);
  // The key itself is kept as it was sent.
  CHECK(out.find(R"("access_\u0074oken":"<redacted>")") != std::string::npos);
}

TEST_CASE("redact reaches JSON in strings that start with whitespace or are encoded twice",
          "[redaction]") {
  auto spaced = boost::json::parse(R"({"r":" \n{\"flow_token\":\"FT-LEAK\",\"n\":1}"})");
  CHECK(redact(spaced) == 1);
  CHECK(boost::json::serialize(spaced).find("FT-LEAK") == std::string::npos);
  CHECK(boost::json::parse(spaced.at("r").as_string()).at("n") == 1);

  // A JSON string whose text is itself a JSON document (double encoding), and three levels deep.
  auto twice = boost::json::parse(R"({"r":"\"{\\\"password\\\":\\\"PW-LEAK\\\",\\\"k\\\":2}\""})");
  CHECK(redact(twice) == 1);
  CHECK(boost::json::serialize(twice).find("PW-LEAK") == std::string::npos);
  auto inner = boost::json::parse(twice.at("r").as_string());
  REQUIRE(inner.is_string());
  CHECK(boost::json::parse(inner.as_string()).at("k") == 2);

  boost::json::value deep = boost::json::object{{"secret", "S-LEAK"}};
  for (int i = 0; i < 3; ++i) deep = boost::json::value(boost::json::serialize(deep));
  boost::json::value holder = boost::json::object{{"r", deep}};
  CHECK(redact(holder) == 1);
  CHECK(boost::json::serialize(holder).find("S-LEAK") == std::string::npos);

  // Invalid JSON around them: the lexical scan reaches into such strings too.
  const std::string invalid =
      R"({"a":" {\"access_token\":\"EAA-LEAK\"}","b":"\"{\\\"secret\\\":\\\"S2-LEAK\\\"}\"",)";
  const std::string masked = redact_keep_invalid(invalid);
  CHECK(masked.find("LEAK") == std::string::npos);
  CHECK(masked.find(R"("a":)") != std::string::npos);

  // Strings that only look like JSON are left alone.
  auto plain = boost::json::parse(R"({"r":" {not json","s":"\"just quoted\""})");
  CHECK(redact(plain) == 0);
  CHECK(plain.at("r") == " {not json");
  CHECK(plain.at("s") == "\"just quoted\"");
}

TEST_CASE("may_need_redaction notices embedded JSON behind whitespace or a second encoding",
          "[redaction]") {
  using pons::meta::may_need_redaction;
  for (const char* text :
       {R"({"r":" {\"password\":\"p\"}"})", R"({"r":"\"{\\\"password\\\":\\\"p\\\"}\""})",
        R"({"authorization":1})"}) {
    INFO(text);
    auto v = boost::json::parse(text);
    CHECK(may_need_redaction(v));
    CHECK(redact(v) == 1);
  }
}

TEST_CASE("may_hold_secret agrees with redact on new words, escapes and nested strings",
          "[redaction]") {
  using pons::meta::may_hold_secret;
  for (const char* text :
       {R"({"Authorization":"x"})", R"({"api_key":"x"})", R"({"credentials":"x"})",
        R"({"passwd":"x"})", R"({"access_\u0074oken":"x"})", R"({"r":" {\"apiKey\":1}"})",
        R"({"r":"\"{\\\"pass\\u0077d\\\":1}\""})", R"({"author":"x","api":"y","key":"z"})"}) {
    INFO(text);
    auto v = boost::json::parse(text);
    const std::size_t n = redact(v);
    if (!may_hold_secret(text)) CHECK(n == 0);
    CHECK((n > 0) == (std::string(text).find("author\"") == std::string::npos));
  }
}
