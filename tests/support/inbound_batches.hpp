#pragma once
// Parsed webhook batches for tests that call the ingest directly: one text message from a sender
// to the number PN1 of the account WABA1.
#include <string>

#include "pons/domain/message.hpp"

namespace pons::test {

inline domain::webhook_batch one_text_message(const std::string& wamid, const std::string& from,
                                              const std::string& text) {
  domain::webhook_batch b;
  domain::inbound_message m;
  m.phone_number_id = "PN1";
  m.waba_id = "WABA1";
  m.wamid = wamid;
  m.from = from;
  m.sender.wa_id = from;
  m.type = "text";
  m.text = text;
  m.timestamp_unix = 1700000000;
  b.messages.push_back(std::move(m));
  return b;
}

}  // namespace pons::test
