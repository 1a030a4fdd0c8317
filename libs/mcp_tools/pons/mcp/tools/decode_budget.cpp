#include "pons/mcp/tools/decode_budget.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace pons::mcp {

namespace {

// The one piece of thread-wide state: stb's hooks cannot be handed a context, so the budget a
// decode_budget installs on its own stack frame is found here (and only while it lives).
thread_local decode_budget* installed = nullptr;

// Room in front of each block for its size, keeping the block aligned like malloc's.
constexpr std::size_t header = alignof(std::max_align_t);
static_assert(header >= sizeof(std::size_t));

std::size_t& size_of(void* block) {
  return *static_cast<std::size_t*>(static_cast<void*>(static_cast<char*>(block) - header));
}

void* base_of(void* block) {
  return static_cast<char*>(block) - header;
}

void* block_of(void* base) {
  return static_cast<char*>(base) + header;
}

}  // namespace

decode_budget::decode_budget(std::size_t limit) noexcept : limit_(limit), previous_(installed) {
  installed = this;
}

decode_budget::~decode_budget() {
  installed = previous_;
}

decode_budget* decode_budget::current() noexcept {
  return installed;
}

bool decode_budget::charge(std::size_t less, std::size_t more) noexcept {
  std::size_t base = in_use_ >= less ? in_use_ - less : 0;
  if (more > limit_ || base > limit_ - more) {
    exceeded_ = true;
    return false;
  }
  in_use_ = base + more;
  if (in_use_ > peak_) peak_ = in_use_;
  return true;
}

void decode_budget::release(std::size_t bytes) noexcept {
  // A block allocated before this budget was installed was never charged to it.
  in_use_ = in_use_ >= bytes ? in_use_ - bytes : 0;
}

namespace detail {

void* budget_malloc(std::size_t size) noexcept {
  if (size > std::numeric_limits<std::size_t>::max() - header) return nullptr;
  decode_budget* budget = decode_budget::current();
  if (budget && !budget->charge(0, size)) return nullptr;
  // Zeroed: see stb_implementation.cpp (stb 2.27 can read state a malformed JPEG never set).
  void* base = std::calloc(1, header + size);
  if (!base) {
    if (budget) budget->release(size);
    return nullptr;
  }
  void* block = block_of(base);
  size_of(block) = size;
  return block;
}

void* budget_realloc(void* p, std::size_t size) noexcept {
  if (!p) return budget_malloc(size);
  if (size > std::numeric_limits<std::size_t>::max() - header) return nullptr;
  std::size_t old = size_of(p);
  decode_budget* budget = decode_budget::current();
  // Refused: the old block stays valid (realloc's contract), stb frees it on its error path.
  if (budget && !budget->charge(old, size)) return nullptr;
  void* base = std::realloc(base_of(p), header + size);
  if (!base) {
    if (budget) {
      budget->release(size);
      budget->charge(0, old);
    }
    return nullptr;
  }
  void* block = block_of(base);
  size_of(block) = size;
  return block;
}

void budget_free(void* p) noexcept {
  if (!p) return;
  if (decode_budget* budget = decode_budget::current()) budget->release(size_of(p));
  std::free(base_of(p));
}

}  // namespace detail

}  // namespace pons::mcp
