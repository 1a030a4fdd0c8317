#include "pons/forward/test_event.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "pons/forward/outbox.hpp"
#include "pons/forward/target_repository.hpp"
#include "pons/store/database.hpp"

namespace pons::forward {

namespace json = boost::json;

result<delivery_job> make_test_job(store::database& db, std::int64_t target_id,
                                   std::string_view source, store::time_point now) {
  auto t = get_target(db, target_id);
  if (!t) return t.error();
  auto st = db.prepare("SELECT secret FROM webhook_targets WHERE id = ?1");
  if (!st) return st.error();
  st->bind(1, target_id);
  auto row = st->step();
  if (!row) return row.error();
  if (!*row) return forward_errc::not_found;
  delivery_job job;
  job.secret = st->column_text(0);
  job.target_id = target_id;
  job.url = t->url;
  job.timeout = t->timeout;
  job.attempt = 1;
  job.round_attempt = 1;
  job.max_attempts = 1;
  job.event_type = std::string(event_test);
  // The same id form as every forwarded event (evt_ + 32 hex), so receivers need no exception.
  auto event_id = random_event_id();
  if (!event_id) return event_id.error();
  job.event_id = std::move(*event_id);
  json::object envelope;
  envelope["id"] = job.event_id;
  envelope["type"] = event_test;
  envelope["source"] = source;
  envelope["occurredAt"] = store::format_timestamp(now);
  envelope["accountId"] = "";
  envelope["payload"] =
      json::object{{"message", "A test event from Pons: answer 200 when the signature verifies."}};
  job.body = json::serialize(envelope);
  return job;
}

}  // namespace pons::forward
