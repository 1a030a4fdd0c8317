#include "pons/mcp/tools/read_tools.hpp"

#include <fmt/core.h>

#include "pons/mcp/tools/account_filter.hpp"

namespace pons::mcp {

void register_read_tools(registry& reg, const read_tools_deps& deps) {
  register_conversation_tools(reg, deps);
  register_contact_tools(reg, deps);
  register_account_tools(reg, deps);
}

std::string database_problem(const boost::system::error_code& ec) {
  return fmt::format(
      "The Pons database could not be read ({}). Check that PONS_DB points at the "
      "database pons-webhook writes, then retry.",
      ec.message());
}

std::optional<std::string> resolve_sender(store::database& db, std::string_view from,
                                          const account_scope& scope, std::string& problem) {
  if (from.empty()) return std::string();
  std::string digits;
  for (char c : from) {
    if (c >= '0' && c <= '9') digits += c;
  }
  auto s = db.prepare(fmt::format(
      "SELECT phone_number_id FROM phone_numbers WHERE (phone_number_id = ?1 OR "
      "(?2 <> '' AND replace(replace(replace(replace(display_phone_number, ' ', ''), '+', ''), "
      "'-', ''), '.', '') = ?2)){}",
      scope_numbers(scope, "phone_number_id", 3)));
  if (!s) {
    problem = database_problem(s.error());
    return std::nullopt;
  }
  s->bind(1, from).bind(2, digits);
  bind_scope(*s, scope, 3);
  if (auto row = s->step(); row && *row) return s->column_text(0);
  std::string numbers;
  auto all = db.prepare(
      fmt::format("SELECT phone_number_id, display_phone_number FROM phone_numbers WHERE 1 = 1{}",
                  scope_numbers(scope, "phone_number_id", 1)));
  if (all) {
    bind_scope(*all, scope, 1);
    while (true) {
      auto more = all->step();
      if (!more || !*more) break;
      numbers +=
          fmt::format("\n- {} (phone_number_id {})", all->column_text(1), all->column_text(0));
    }
  }
  problem = fmt::format("\"{}\" is not one of our WhatsApp numbers. Use one of:{}", from,
                        numbers.empty() ? std::string("\n(none configured yet)") : numbers);
  return std::nullopt;
}

}  // namespace pons::mcp
