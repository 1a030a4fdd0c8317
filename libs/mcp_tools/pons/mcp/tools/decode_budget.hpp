#pragma once
// The memory stb_image may hold during one decode. stb allocates through the STBI_MALLOC /
// STBI_REALLOC / STBI_FREE hooks (stb_implementation.cpp), which take no context: they charge
// the budget installed on the calling thread, if any, and fail (stb then reports "out of
// memory" and gives up) once it would be exceeded. Without this, a few kilobytes of deflated
// zeros behind a 1x1 PNG header make stb inflate up to 2 GiB.

#include <cstddef>

namespace pons::mcp {

/// Bounds what stb_image allocates on this thread while the object lives (RAII: installs itself
/// on construction, restores the previous budget on destruction). Not shared between threads.
class decode_budget {
 public:
  /// Allows at most `limit` bytes held at once.
  explicit decode_budget(std::size_t limit) noexcept;
  ~decode_budget();
  decode_budget(const decode_budget&) = delete;
  decode_budget& operator=(const decode_budget&) = delete;

  /// The limit given at construction.
  std::size_t limit() const noexcept { return limit_; }
  /// Bytes stb holds now (allocated under this budget and not yet freed).
  std::size_t in_use() const noexcept { return in_use_; }
  /// The most bytes held at once.
  std::size_t peak() const noexcept { return peak_; }
  /// True once an allocation was refused because it would have passed the limit.
  bool exceeded() const noexcept { return exceeded_; }

  /// Charges `more` bytes (after releasing `less`); false (and nothing charged) when that would
  /// pass the limit.
  bool charge(std::size_t less, std::size_t more) noexcept;
  /// Gives `bytes` back.
  void release(std::size_t bytes) noexcept;

  /// The budget installed on this thread, or nullptr.
  static decode_budget* current() noexcept;

 private:
  std::size_t limit_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
  bool exceeded_ = false;
  decode_budget* previous_;
};

namespace detail {
// stb_image's allocation hooks (see stb_implementation.cpp). Each block carries its size in a
// small header so that a free can give the bytes back. budget_malloc zeroes the block.
void* budget_malloc(std::size_t size) noexcept;
void* budget_realloc(void* p, std::size_t size) noexcept;
void budget_free(void* p) noexcept;
}  // namespace detail

}  // namespace pons::mcp
