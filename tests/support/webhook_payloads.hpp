#pragma once
// Test support: Meta-shaped webhook payloads built from parts (same shape as the fixtures in
// tests/fixtures/meta/webhooks), for tests and benchmarks that need many distinct ones.

#include <string>
#include <vector>

namespace pons::test {

/// One inbound text message object (value.messages[] item).
inline std::string text_message_json(const std::string& wamid, const std::string& from,
                                     const std::string& body, long long timestamp = 1749416383) {
  return R"({"from":")" + from + R"(","id":")" + wamid + R"(","timestamp":")" +
         std::to_string(timestamp) + R"(","type":"text","text":{"body":")" + body + R"("}})";
}

/// One status object (value.statuses[] item).
inline std::string status_json(const std::string& wamid, const std::string& status,
                               const std::string& recipient, long long timestamp = 1750263773) {
  return R"({"id":")" + wamid + R"(","status":")" + status + R"(","timestamp":")" +
         std::to_string(timestamp) + R"(","recipient_id":")" + recipient + R"("})";
}

/// One change (entry.changes[] item) of field "messages" for our number, with optional
/// contacts, messages and statuses (each a JSON array body without brackets).
inline std::string messages_change_json(const std::string& phone_number_id,
                                        const std::vector<std::string>& messages,
                                        const std::vector<std::string>& statuses = {},
                                        const std::string& contact_wa_id = "16505551234",
                                        const std::string& contact_name = "Sheena Nelson") {
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
    return out;
  };
  std::string value = R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":)"
                      R"("15550783881","phone_number_id":")" +
                      phone_number_id + R"("})";
  if (!messages.empty()) {
    value += R"(,"contacts":[{"profile":{"name":")" + contact_name + R"("},"wa_id":")" +
             contact_wa_id + R"("}])";
    value += R"(,"messages":[)" + join(messages) + "]";
  }
  if (!statuses.empty()) value += R"(,"statuses":[)" + join(statuses) + "]";
  value += "}";
  return R"({"value":)" + value + R"(,"field":"messages"})";
}

/// A whole payload: entries, each a (waba id, changes) pair.
inline std::string webhook_payload_json(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& entries) {
  std::string out = R"({"object":"whatsapp_business_account","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i) out += ",";
    out += R"({"id":")" + entries[i].first + R"(","changes":[)";
    for (std::size_t j = 0; j < entries[i].second.size(); ++j)
      out += (j ? "," : "") + entries[i].second[j];
    out += "]}";
  }
  return out + "]}";
}

/// A one-entry, one-change payload with the given messages and statuses.
inline std::string simple_payload(const std::string& phone_number_id,
                                  const std::vector<std::string>& messages,
                                  const std::vector<std::string>& statuses = {},
                                  const std::string& waba_id = "102290129340398") {
  return webhook_payload_json(
      {{waba_id, {messages_change_json(phone_number_id, messages, statuses)}}});
}

}  // namespace pons::test
