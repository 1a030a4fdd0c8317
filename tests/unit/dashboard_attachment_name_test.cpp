// The name an attachment from the dashboard is stored under in the upload folder: no path, no
// hidden file, nothing but plain characters, whatever the browser sent as its name.
#include <catch2/catch.hpp>
#include <string>

#include "pons/dashboard/attachment_route.hpp"

using pons::dashboard::stored_attachment_name;

TEST_CASE("attachment names keep only a plain last part", "[dashboard]") {
  CHECK(stored_attachment_name("photo.jpg", "ab12") == "dashboard-ab12-photo.jpg");
  CHECK(stored_attachment_name("../../etc/passwd", "ab12") == "dashboard-ab12-passwd");
  CHECK(stored_attachment_name("C:\\Users\\ana\\invoice 7.pdf", "ab12") ==
        "dashboard-ab12-invoice7.pdf");
  CHECK(stored_attachment_name(".htaccess", "ab12") == "dashboard-ab12-htaccess");
  CHECK(stored_attachment_name("", "ab12") == "dashboard-ab12-file");
  CHECK(stored_attachment_name("<script>", "ab12") == "dashboard-ab12-script");
  CHECK(stored_attachment_name("\xF0\x9F\x98\x80", "ab12") == "dashboard-ab12-file");
  CHECK(stored_attachment_name(std::string(200, 'a') + ".png", "ab12") ==
        "dashboard-ab12-" + std::string(80, 'a'));
}
