#include <catch2/catch.hpp>
#include <string>

#include "pons/dashboard/html_escape.hpp"
#include "pons/dashboard/login_page.hpp"

using pons::dashboard::escape_html;

TEST_CASE("html escape: markup shows as text", "[dashboard][html]") {
  CHECK(escape_html("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(escape_html("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;");
  CHECK(escape_html("\"quoted\"") == "&quot;quoted&quot;");
  CHECK(escape_html("it's") == "it&#39;s");
  CHECK(escape_html("a & b") == "a &amp; b");
  // Already escaped text is escaped again: what was typed is what shows.
  CHECK(escape_html("&lt;") == "&amp;lt;");
}

TEST_CASE("html escape: everything else passes unchanged", "[dashboard][html]") {
  CHECK(escape_html("") == "");
  CHECK(escape_html("plain text 123") == "plain text 123");
  CHECK(escape_html("Grüße, 你好 👋") == "Grüße, 你好 👋");
}

TEST_CASE("html escape: the pages escape what they show", "[dashboard][html]") {
  auto page = pons::dashboard::login_page("<script>x</script>");
  CHECK_THAT(page, Catch::Contains("&lt;script&gt;x&lt;/script&gt;"));
  CHECK_THAT(page, !Catch::Contains("<script"));
  auto app = pons::dashboard::app_page("\"><script>@x", "owner", "tok'en", true);
  CHECK_THAT(app, !Catch::Contains("\"><script>@x"));
  CHECK_THAT(app, Catch::Contains("&quot;&gt;&lt;script&gt;@x"));
  CHECK_THAT(app, Catch::Contains("value=\"tok&#39;en\""));
  CHECK_THAT(app, Catch::Contains("data-csrf=\"tok&#39;en\""));
  // The one script is the embedded file; nothing inline.
  CHECK(app.find("<script") == app.rfind("<script"));
  CHECK_THAT(app, Catch::Contains("<script src=\"/assets/app.js\" defer></script>"));
}
