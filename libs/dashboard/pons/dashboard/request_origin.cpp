#include "pons/dashboard/request_origin.hpp"

#include <cctype>
#include <string>

namespace pons::dashboard {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  if (address.rfind("::ffff:", 0) == 0) address.remove_prefix(7);
  return address == "::1" || address.rfind("127.", 0) == 0;
}

bool came_over_https(const http::server_request& req) {
  if (!is_loopback_address(req.peer_address)) return false;
  // A proxy chain may list several; the first is what the browser used.
  std::string_view proto = req.header("X-Forwarded-Proto");
  proto = proto.substr(0, proto.find(','));
  while (!proto.empty() && proto.back() == ' ') proto.remove_suffix(1);
  while (!proto.empty() && proto.front() == ' ') proto.remove_prefix(1);
  return lower(proto) == "https";
}

bool same_origin_or_none(const http::server_request& req) {
  if (!req.has_header("Origin")) return true;
  const std::string origin = lower(req.header("Origin"));
  auto matches = [&](std::string_view h) {
    const std::string host = lower(h);
    return !host.empty() && (origin == "http://" + host || origin == "https://" + host);
  };
  // A proxy on this machine may rewrite Host and name the browser's in X-Forwarded-Host.
  if (is_loopback_address(req.peer_address) && matches(req.header("X-Forwarded-Host"))) return true;
  return matches(req.header("Host"));
}

}  // namespace pons::dashboard
