#include <catch2/catch.hpp>

#include "pons/http/request_framing.hpp"

using namespace pons::http;

namespace {

request_framing te(std::vector<std::string_view> codings, unsigned version = 11) {
  request_framing f;
  f.version = version;
  f.transfer_codings = std::move(codings);
  f.hosts = {"example.com"};
  return f;
}

}  // namespace

TEST_CASE("framing: chunked alone, or no transfer coding at all, is read", "[http]") {
  CHECK(check_framing(te({})).status == 0);
  CHECK(check_framing(te({"chunked"})).status == 0);
  CHECK(check_framing(te({"Chunked"})).status == 0);
  CHECK(check_framing(te({" chunked\t"})).status == 0);
  CHECK(check_framing(te({", chunked,"})).status == 0);
}

TEST_CASE("framing: a body whose end cannot be known is 400", "[http]") {
  for (auto coding : {"gzip", "xchunked", "chunked, gzip", "chunked;x=1", "", ","}) {
    INFO(coding);
    auto v = check_framing(te({coding}));
    CHECK(v.status == 400);
    CHECK(v.reason == "transfer_encoding_not_chunked");
  }
  CHECK(check_framing(te({"chunked", "gzip"})).status == 400);
  CHECK(check_framing(te({"chunked, chunked"})).reason == "chunked_twice");
  CHECK(check_framing(te({"chunked", "chunked"})).reason == "chunked_twice");
}

TEST_CASE("framing: another coding before chunked is 501", "[http]") {
  auto v = check_framing(te({"gzip, chunked"}));
  CHECK(v.status == 501);
  CHECK(v.reason == "transfer_coding_not_implemented");
  CHECK(check_framing(te({"gzip", "chunked"})).status == 501);
}

TEST_CASE("framing: Transfer-Encoding with Content-Length, or in HTTP/1.0, is 400", "[http]") {
  auto both = te({"chunked"});
  both.has_content_length = true;
  CHECK(check_framing(both).status == 400);
  CHECK(check_framing(both).reason == "transfer_encoding_with_content_length");
  auto old = te({"chunked"}, 10);
  CHECK(check_framing(old).status == 400);
  CHECK(check_framing(old).reason == "transfer_encoding_in_http10");
  request_framing length_only;
  length_only.has_content_length = true;
  length_only.hosts = {"x"};
  CHECK(check_framing(length_only).status == 0);
}

TEST_CASE("framing: HTTP/1.1 needs exactly one valid Host", "[http]") {
  request_framing f;
  CHECK(check_framing(f).reason == "host_missing");
  f.version = 10;
  CHECK(check_framing(f).status == 0);  // HTTP/1.0 may leave it out
  f.version = 11;
  for (auto host : {"127.0.0.1", "127.0.0.1:8080", "example.com", "[::1]:80", "", "x"}) {
    INFO(host);
    f.hosts = {host};
    CHECK(check_framing(f).status == 0);
  }
  for (auto host : {"a b", "user@host", "host:port", "exa mple.com", "[::1"}) {
    INFO(host);
    f.hosts = {host};
    CHECK(check_framing(f).reason == "host_invalid");
  }
  f.hosts = {"a", "b"};
  CHECK(check_framing(f).reason == "host_repeated");
  f.version = 10;
  CHECK(check_framing(f).reason == "host_repeated");
}
