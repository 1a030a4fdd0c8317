#pragma once
// What a disk's volatile cache holds for one file: every write and truncation since the file's
// last successful fsync, in the order they were made. The backing file holds only what a sync
// made durable; a power cut forgets the rest (or lands a random prefix of it). Pure: no I/O
// except through the descriptor passed to persist().

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pons::power_cut {

/// One change to a file's bytes that has not reached the backing file.
struct file_op {
  enum class kind { write, truncate };
  kind what = kind::write;
  off_t offset = 0;         // write: where it starts; truncate: the new size
  std::string bytes;        // write only
  off_t previous_size = 0;  // truncate only: the size it replaced
};

/// The unsynced changes of one file, on top of its backing file.
class pending_file {
 public:
  /// A file whose backing copy is `backing_size` bytes long.
  explicit pending_file(off_t backing_size) : size_(backing_size) {}

  /// Records a write (nothing reaches the backing file).
  void write(off_t offset, std::string_view bytes);
  /// Records a truncation or extension to `size`.
  void truncate(off_t size);

  /// The file's size as its readers see it.
  off_t size() const { return size_; }
  /// True when the live file is exactly its backing file (the state can be forgotten).
  bool clean() const { return ops_.empty() && lost_.empty(); }
  /// The unsynced changes, oldest first.
  const std::vector<file_op>& ops() const { return ops_; }

  /// Turns `out`, which holds the backing file's bytes from `offset` (zeros past its end), into
  /// what the live file holds there.
  void overlay(off_t offset, std::span<char> out) const;

  /// fsync: writes every unsynced change to `fd` in order and forgets it. 0 or -errno.
  int persist(int fd);
  /// A power cut that lands only the first `count` changes, and the first `torn_bytes` bytes of
  /// the one after (a torn write), on `fd`. Everything is forgotten afterwards. 0 or -errno.
  int persist_prefix(int fd, std::size_t count, std::size_t torn_bytes);
  /// A failed fsync: the unsynced changes never reach the backing file, but readers still see
  /// them (the kernel's page cache keeps the pages it could not write), until a later change
  /// that is synced replaces them or a power cut forgets them.
  void lose();

 private:
  // Bytes a failed sync did not write: `bytes`, or a run of `zeros` zero bytes (what a lost
  // truncation left readers to see where the backing file still holds old bytes).
  struct extent {
    std::string bytes;
    off_t zeros = 0;
    off_t length() const { return zeros > 0 ? zeros : static_cast<off_t>(bytes.size()); }
  };

  // Removes [begin, end) from the lost extents.
  void forget_lost(off_t begin, off_t end);
  // Applies `op` to `out` (holding the file from `offset`).
  static void apply(const file_op& op, off_t offset, std::span<char> out);
  static int write_all(int fd, const char* data, std::size_t size, off_t offset);

  off_t size_;
  std::vector<file_op> ops_;
  // Bytes a failed sync did not write, by offset; extents do not overlap.
  std::map<off_t, extent> lost_;
};

}  // namespace pons::power_cut
