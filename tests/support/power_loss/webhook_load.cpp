#include "webhook_load.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <random>

#include "integration/hardening_support.hpp"

namespace pons::power_loss {

using namespace std::chrono_literals;

webhook_load::webhook_load(int connections, int pause_ms, std::uint64_t seed)
    : pause_ms_(pause_ms) {
  for (int i = 0; i < connections; ++i) threads_.emplace_back([this, i, seed] { run(i, seed); });
}

webhook_load::~webhook_load() {
  finish();
}

void webhook_load::finish() {
  stop_.store(true);
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::vector<webhook_sent> webhook_load::payloads() const {
  std::lock_guard lock(mu_);
  return payloads_;
}

void webhook_load::run(int index, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + static_cast<std::uint64_t>(index));
  std::unique_ptr<test::http_connection> conn;
  std::uint16_t conn_port = 0;
  std::optional<webhook_sent> current;
  int seq = 0;
  auto settle = [&](webhook_sent done) {
    std::lock_guard lock(mu_);
    payloads_.push_back(std::move(done));
  };
  while (!stop_.load()) {
    const std::uint16_t port = port_.load();
    if (port == 0) {
      conn.reset();
      std::this_thread::sleep_for(2ms);
      continue;
    }
    if (!conn || conn_port != port) {
      try {
        conn = std::make_unique<test::http_connection>(port);
        conn_port = port;
      } catch (const std::exception&) {
        conn.reset();
        std::this_thread::sleep_for(2ms);
        continue;
      }
    }
    if (!current) {
      current.emplace();
      current->prefix = "wamid.pl." + std::to_string(index) + "." + std::to_string(seq++);
      current->messages = 1 + static_cast<int>(rng() % 4);
    }
    const auto body = test::hardening::numbered_payload(current->prefix, current->messages);
    ++current->attempts;
    std::optional<test::http_response> res;
    if (conn->send_request("POST", "/webhook/meta", body, test::hardening::signed_headers(body)))
      res = conn->read_response(10s);
    if (res && res->status == 200) {
      current->acknowledged = true;
      ++acknowledged_;
      settle(std::move(*current));
      current.reset();
      // Meta's traffic comes and goes; a closed loop on every connection would keep the write
      // lock busy all the time, and pons-mcp's writes would mostly wait.
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % (pause_ms_ * 1000 + 1)));
      continue;
    }
    // Cut off by a power cut, or refused: its fate is unknown until a later attempt succeeds.
    conn.reset();
    if (current->attempts >= max_attempts) {
      settle(std::move(*current));
      current.reset();
    }
    std::this_thread::sleep_for(2ms);
  }
  if (current) settle(std::move(*current));
}

}  // namespace pons::power_loss
