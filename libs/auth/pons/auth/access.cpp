#include "pons/auth/access.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pons::auth {

namespace {

access_decision decide_one(const grant& g, const boost::json::value& message,
                           const mcp::registry& reg) {
  access_decision d;
  std::vector<mcp::scope> needed{mcp::scope::read};
  std::string what = "this request";
  const auto* o = message.if_object();
  const auto* method = o ? o->if_contains("method") : nullptr;
  if (method && method->is_string() && method->get_string() == "tools/call") {
    const auto* params = o->if_contains("params");
    const auto* name =
        params && params->is_object() ? params->get_object().if_contains("name") : nullptr;
    if (name && name->is_string()) {
      const std::string tool(name->get_string());
      if (const mcp::tool_def* t = reg.find_tool(tool)) {
        if (!t->required_scope) {
          d.allowed = false;
          d.reason = fmt::format("the tool {} cannot be called with an API key", tool);
          return d;
        }
        if (*t->required_scope != mcp::scope::read) needed.push_back(*t->required_scope);
        what = "the tool " + tool;
      }
    }
  }
  for (auto s : needed) {
    if (!g.has(s)) {
      d.allowed = false;
      d.needed = needed;
      d.reason = fmt::format("{} needs an API key with the {} scope", what, mcp::to_string(s));
      return d;
    }
  }
  return d;
}

}  // namespace

bool grant::has(mcp::scope s) const {
  return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
}

grant grant_of(const store::api_key& key) {
  grant g;
  for (const auto& name : key.scopes) {
    if (auto s = mcp::parse_scope(name)) g.scopes.push_back(*s);
  }
  if (!key.waba_id.empty()) g.account = mcp::account_scope::only(key.waba_id);
  return g;
}

access_decision decide(const grant& g, const boost::json::value& message,
                       const mcp::registry& reg) {
  // A batch is allowed only when every message in it is.
  if (const auto* batch = message.if_array()) {
    for (const auto& item : *batch) {
      if (auto d = decide_one(g, item, reg); !d.allowed) return d;
    }
    return decide_one(g, boost::json::object{}, reg);
  }
  return decide_one(g, message, reg);
}

}  // namespace pons::auth
