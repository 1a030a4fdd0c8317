// What pons-mcp-loadgen checks in each answer to tools/call get_messages.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string>

namespace pons::loadgen {

/// "" when the answer to request `id` is a successful tools/call result with `limit` message
/// lines in its text and, when it has structuredContent, `limit` rows there; else what is wrong.
std::string problem_of(const boost::beast::http::response<boost::beast::http::string_body>& res,
                       std::int64_t id, int limit);

}  // namespace pons::loadgen
