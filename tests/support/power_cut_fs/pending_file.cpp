#include "pending_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

namespace pons::power_cut {

namespace {

constexpr off_t end_of_file = std::numeric_limits<off_t>::max();

}  // namespace

void pending_file::write(off_t offset, std::string_view bytes) {
  ops_.push_back({file_op::kind::write, offset, std::string(bytes), 0});
  size_ = std::max(size_, offset + static_cast<off_t>(bytes.size()));
}

void pending_file::truncate(off_t size) {
  ops_.push_back({file_op::kind::truncate, size, {}, size_});
  size_ = size;
}

void pending_file::apply(const file_op& op, off_t offset, std::span<char> out) {
  const off_t end = offset + static_cast<off_t>(out.size());
  if (op.what == file_op::kind::truncate) {
    // Everything past the new size reads as zeros if the file grows again.
    if (op.offset < end) {
      const off_t from = std::max(op.offset, offset);
      std::memset(out.data() + (from - offset), 0, static_cast<std::size_t>(end - from));
    }
    return;
  }
  const off_t op_end = op.offset + static_cast<off_t>(op.bytes.size());
  const off_t from = std::max(op.offset, offset);
  const off_t to = std::min(op_end, end);
  if (from >= to) return;
  std::memcpy(out.data() + (from - offset), op.bytes.data() + (from - op.offset),
              static_cast<std::size_t>(to - from));
}

void pending_file::overlay(off_t offset, std::span<char> out) const {
  const off_t end = offset + static_cast<off_t>(out.size());
  // Lost bytes first: they are older than every change still pending.
  for (auto it = lost_.begin(); it != lost_.end() && it->first < end; ++it) {
    const off_t e_end = it->first + it->second.length();
    const off_t from = std::max(it->first, offset);
    const off_t to = std::min(e_end, end);
    if (from >= to) continue;
    char* dst = out.data() + (from - offset);
    if (it->second.zeros > 0) {
      std::memset(dst, 0, static_cast<std::size_t>(to - from));
    } else {
      std::memcpy(dst, it->second.bytes.data() + (from - it->first),
                  static_cast<std::size_t>(to - from));
    }
  }
  for (const auto& op : ops_) apply(op, offset, out);
}

void pending_file::forget_lost(off_t begin, off_t end) {
  if (begin >= end) return;
  // The extent that starts before `begin` may reach into the range.
  auto it = lost_.lower_bound(begin);
  if (it != lost_.begin()) --it;
  while (it != lost_.end() && it->first < end) {
    const off_t e_begin = it->first;
    const off_t e_end = e_begin + it->second.length();
    if (e_end <= begin) {
      ++it;
      continue;
    }
    extent whole = std::move(it->second);
    it = lost_.erase(it);
    auto piece = [&](off_t from, off_t to) {
      extent part;
      if (whole.zeros > 0) {
        part.zeros = to - from;
      } else {
        part.bytes = whole.bytes.substr(static_cast<std::size_t>(from - e_begin),
                                        static_cast<std::size_t>(to - from));
      }
      lost_.emplace(from, std::move(part));
    };
    if (e_begin < begin) piece(e_begin, begin);
    if (e_end > end) piece(end, e_end);
    it = lost_.upper_bound(e_begin);
  }
}

void pending_file::lose() {
  for (auto& op : ops_) {
    if (op.what == file_op::kind::write) {
      const off_t len = static_cast<off_t>(op.bytes.size());
      forget_lost(op.offset, op.offset + len);
      lost_.emplace(op.offset, extent{std::move(op.bytes), 0});
    } else {
      forget_lost(op.offset, end_of_file);
      if (op.previous_size > op.offset)
        lost_.emplace(op.offset, extent{{}, op.previous_size - op.offset});
    }
  }
  ops_.clear();
}

int pending_file::write_all(int fd, const char* data, std::size_t size, off_t offset) {
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, data, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    offset += n;
  }
  return 0;
}

int pending_file::persist(int fd) {
  std::size_t done = 0;
  for (; done < ops_.size(); ++done) {
    const auto& op = ops_[done];
    int rc = 0;
    if (op.what == file_op::kind::write) {
      rc = write_all(fd, op.bytes.data(), op.bytes.size(), op.offset);
      if (rc == 0) forget_lost(op.offset, op.offset + static_cast<off_t>(op.bytes.size()));
    } else {
      rc = ::ftruncate(fd, op.offset) == 0 ? 0 : -errno;
      if (rc == 0) forget_lost(op.offset, end_of_file);
    }
    if (rc != 0) {
      // What was written stays written; the rest waits for the next sync.
      ops_.erase(ops_.begin(), ops_.begin() + static_cast<std::ptrdiff_t>(done));
      return rc;
    }
  }
  ops_.clear();
  return 0;
}

int pending_file::persist_prefix(int fd, std::size_t count, std::size_t torn_bytes) {
  count = std::min(count, ops_.size());
  int rc = 0;
  for (std::size_t i = 0; i < count && rc == 0; ++i) {
    const auto& op = ops_[i];
    rc = op.what == file_op::kind::write
             ? write_all(fd, op.bytes.data(), op.bytes.size(), op.offset)
             : (::ftruncate(fd, op.offset) == 0 ? 0 : -errno);
  }
  if (rc == 0 && count < ops_.size() && torn_bytes > 0) {
    const auto& op = ops_[count];
    if (op.what == file_op::kind::write) {
      rc = write_all(fd, op.bytes.data(), std::min(torn_bytes, op.bytes.size()), op.offset);
    }
  }
  ops_.clear();
  lost_.clear();
  return rc;
}

}  // namespace pons::power_cut
