#pragma once
// The webhook normaliser: turns one parsed Meta webhook payload into domain records. Pure: no
// clock, no I/O, no globals. Nothing valid is ever rejected: unknown fields become account
// events and unknown message types are kept with their type string and redacted raw JSON. Ids
// are another matter: a record is stored under its number and found by its wamid, so a change
// whose metadata.phone_number_id is not a canonical id (pons/meta/webhook_ids.hpp), and a message
// or status without a usable id, become no record; the batch says where and why (`skipped`).
// docs/webhook-payloads.md says what each Meta type becomes.

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>
#include <type_traits>

#include "pons/domain/message.hpp"

namespace pons::meta {

/// Why a payload could not be normalised at all.
enum class webhook_errc {
  invalid_payload = 1,  // top level is not an object, or it has no string "object" member
};

/// The error category of webhook_errc.
const boost::system::error_category& webhook_category() noexcept;

/// Makes webhook_errc usable as a boost::system::error_code.
boost::system::error_code make_error_code(webhook_errc e) noexcept;

/// Walks every entry[] x changes[] of `payload` and returns its messages, statuses, contacts,
/// value-level errors and other events in payload order, secrets redacted everywhere. A payload
/// whose `object` is not "whatsapp_business_account" yields an empty batch with `object` set.
boost::system::result<domain::webhook_batch> normalise_webhook(const boost::json::value& payload);

/// normalise_webhook for a payload the caller has already passed through redact() (or found
/// free of secrets with may_hold_secret): walked as it is, without looking for secrets again.
boost::system::result<domain::webhook_batch> normalise_redacted_webhook(
    const boost::json::value& payload);

/// The batch's skipped parts as one line for the webhook log ("" when nothing was skipped).
std::string skip_notes(const domain::webhook_batch& batch);

}  // namespace pons::meta

template <>
struct boost::system::is_error_code_enum<pons::meta::webhook_errc> : std::true_type {};
