#pragma once
// The read tools of pons-mcp (ARCHITECTURE.md §5), one file per group:
// conversation_tools.cpp (list_conversations, get_messages, search_messages, wait_for_messages),
// contact_tools.cpp (get_contact, search_contacts, get_window_status),
// account_tools.cpp (list_accounts, list_templates, get_media).
// The send tools register themselves next to these (see register_send_tools in the app).

#include "pons/mcp/registry.hpp"
#include "pons/mcp/tools/inbox_model.hpp"

namespace pons::mcp {

/// Adds every read tool.
void register_read_tools(registry& reg, const read_tools_deps& deps);

/// Adds list_conversations, get_messages, search_messages and wait_for_messages.
void register_conversation_tools(registry& reg, const read_tools_deps& deps);

/// Adds get_contact, search_contacts and get_window_status.
void register_contact_tools(registry& reg, const read_tools_deps& deps);

/// Adds list_accounts, list_templates and get_media.
void register_account_tools(registry& reg, const read_tools_deps& deps);

/// Adds the resources (inbox, conversations/{id}, templates) and the prompts.
void register_resources_and_prompts(registry& reg, const read_tools_deps& deps);

/// Text of a tool error for a database failure (what happened, what to do).
std::string database_problem(const boost::system::error_code& ec);

/// Resolves an optional `from` argument (our phone_number_id or display number) among the
/// numbers of the accounts `scope` allows. Returns the phone_number_id, "" when `from` is empty,
/// or nullopt with `problem` set (lists those numbers).
std::optional<std::string> resolve_sender(store::database& db, std::string_view from,
                                          const account_scope& scope, std::string& problem);

}  // namespace pons::mcp
