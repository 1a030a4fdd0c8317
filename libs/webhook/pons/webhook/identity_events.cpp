#include "pons/webhook/identity_events.hpp"

#include "pons/store/contact_identity.hpp"
#include "pons/store/contact_repository.hpp"
#include "pons/store/database.hpp"

namespace pons::webhook {

namespace {

store::identity_change_kind kind_of(domain::identity_notice::what w) {
  switch (w) {
    case domain::identity_notice::what::number_changed:
      return store::identity_change_kind::number_changed;
    case domain::identity_notice::what::user_id_changed:
      return store::identity_change_kind::user_id_changed;
    case domain::identity_notice::what::phone_shared:
      break;
  }
  return store::identity_change_kind::phone_shared;
}

}  // namespace

store::result<void> apply_identity_notice(store::database& db, std::int64_t account_id,
                                          std::int64_t sender_contact_id,
                                          const domain::identity_notice& notice,
                                          store::time_point now) {
  std::int64_t subject = sender_contact_id;
  // The contact known by the BSUID being replaced has the history, whichever id the message
  // itself was sent from.
  if (!notice.previous_user_id.empty()) {
    auto holder = store::find_contact_by_user_id(db, account_id, notice.previous_user_id);
    if (!holder) return holder.error();
    if (*holder) subject = (*holder)->id;
  }
  auto after = store::change_contact_identity(
      db, subject, kind_of(notice.change),
      {.wa_id = notice.wa_id, .user_id = notice.user_id, .parent_user_id = notice.parent_user_id},
      now);
  if (!after) return after.error();
  return {};
}

}  // namespace pons::webhook
