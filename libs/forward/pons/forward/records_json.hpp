#pragma once
// Targets and deliveries as JSON, one shape for `pons-webhook targets|deliveries --json` and the
// dashboard's forwarding API. A target's secret is never part of it.

#include <boost/json/object.hpp>

#include "pons/forward/delivery_repository.hpp"
#include "pons/forward/target_repository.hpp"

namespace pons::forward {

/// A target's settings and health.
boost::json::object target_json(const target& t);

/// A delivery's state, without its body or attempts.
boost::json::object delivery_json(const delivery_row& d);

/// A delivery with its event body (parsed when it is JSON) and every attempt ("attemptLog").
boost::json::object delivery_detail_json(const delivery_detail& d);

}  // namespace pons::forward
