#include "pons/mcp/tools/toolset.hpp"

#include <chrono>

#include "pons/mcp/tools/conformance_fixtures.hpp"
#include "pons/mcp/tools/graph_pool.hpp"
#include "pons/mcp/tools/inbox_tools.hpp"
#include "pons/mcp/tools/number_health_tool.hpp"
#include "pons/mcp/tools/read_tools.hpp"
#include "pons/mcp/tools/send_tools.hpp"
#include "pons/mcp/tools/template_tools.hpp"
#include "pons/mcp/tools/usage_tool.hpp"
#include "pons/store/db_location.hpp"

namespace pons::mcp {

std::string_view toolset_instructions() {
  return "Pons connects you to the user's WhatsApp Business inbox. Read with list_conversations, "
         "get_messages (keep the returned cursor and pass it back to fetch only newer messages), "
         "search_messages and get_contact; list_unanswered shows who is waiting for an answer, "
         "longest first, and update_conversation archives, labels or notes a conversation. "
         "wait_for_messages blocks until a new inbound message "
         "arrives. WhatsApp only allows free-form replies within 24 hours of the customer's last "
         "message: check get_window_status, and outside the window send an approved template "
         "(list_templates, send_template). Show the user what you are about to send and wait for "
         "their go-ahead before calling a send tool.";
}

toolset::toolset(std::unique_ptr<db_pool> db, std::string db_path)
    : db_(std::move(db)), pulls_(std::move(db_path)) {}

boost::system::result<std::unique_ptr<toolset>> toolset::open(const toolset_settings& settings) {
  auto db = db_pool::open(settings.db_path, settings.db_connections);
  if (!db) return db.error();
  std::unique_ptr<toolset> set(new toolset(std::move(*db), settings.db_path));

  const std::string parent = store::data_folder(settings.db_path, settings.data_dir);
  read_tools_deps deps;
  deps.pulls = &set->pulls_;
  deps.pool = set->db_.get();
  deps.now = [] { return std::chrono::system_clock::now(); };
  deps.media_dir = parent.empty() ? std::string(".") : parent;
  if (auto numbers = settings.accounts.phone_number_ids(); numbers.size() == 1) {
    deps.default_sender = numbers.front();
  }
  register_read_tools(set->registry_, deps);
  register_list_unanswered(set->registry_, deps);
  register_usage_tool(set->registry_, deps);
  register_resources_and_prompts(set->registry_, deps);
  if (settings.conformance_fixtures) register_conformance_fixtures(set->registry_);
  // Send tools, and update_conversation (it writes): not offered at all in read-only mode.
  if (settings.read_only) return set;
  register_update_conversation(set->registry_, deps);
  send_tools_deps send;
  send.read = deps;
  send.graph = settings.graph;
  send.accounts = settings.accounts;
  send.pacer = &set->pacer_;
  send.dry_run = settings.dry_run;
  if (settings.env) {
    if (auto allowed = settings.env("PONS_ALLOWED_RECIPIENTS")) {
      send.allowed_recipients = parse_allowed_recipients(*allowed);
    }
  }
  auto upload = upload_settings_from(
      {settings.upload_dirs, settings.db_path, settings.config_path, settings.data_dir},
      settings.env);
  // The config file's tokens are credentials too: a file holding one is never sent.
  for (const auto& a : settings.accounts.accounts) {
    if (a.access_token.size() >= 8) upload.secrets.push_back(a.access_token);
  }
  send.uploads = std::make_shared<const upload_policy>(upload);
  set->uploads_ = send.uploads;
  if (settings.on_upload_dir_refused) {
    for (const auto& r : send.uploads->refused()) settings.on_upload_dir_refused(r.path, r.reason);
  }
  // One pool of Graph clients for the send tools, the template tools and get_number_health.
  send.graphs = std::make_shared<graph_pool>(send.graph, send.accounts);
  register_send_tools(set->registry_, send);
  register_number_health_tool(set->registry_, send);
  register_template_tools(set->registry_, send);
  return set;
}

}  // namespace pons::mcp
