#pragma once
// Whether a request's header says where its body ends (RFC 9112 6.1, 6.3) and names its host
// (3.2). Checked after the header is read and before any body byte is: a request whose framing
// is in doubt is refused and its connection closed, so what follows it can never be read as
// another request (request smuggling). Pure: no I/O.

#include <cstddef>
#include <string_view>
#include <vector>

namespace pons::http {

/// The framing headers of one request, as received.
struct request_framing {
  unsigned version = 11;                           // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::vector<std::string_view> transfer_codings;  // each Transfer-Encoding field's value
  bool has_content_length = false;
  std::vector<std::string_view> hosts;  // each Host field's value
};

/// What to answer before reading the body.
struct framing_verdict {
  int status = 0;           // 0: go on; otherwise 400 or 501, then close the connection
  std::string_view reason;  // a log token: why (empty when status is 0)
};

/// Checks `f`: a Transfer-Encoding must end in exactly one "chunked" and hold no other coding
/// (another one is 501, not implemented), comes without Content-Length and not in HTTP/1.0; an
/// HTTP/1.1 request has exactly one Host, and it is a valid host[:port].
framing_verdict check_framing(const request_framing& f);

}  // namespace pons::http
