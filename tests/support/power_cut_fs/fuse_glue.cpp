#include "fuse_glue.hpp"

#include <string>

#include "file_system.hpp"

namespace pons::power_cut {

namespace {

file_system& fs() {
  return *static_cast<file_system*>(fuse_get_context()->private_data);
}

// With hard_remove and nullpath_ok, an operation on an open file may come without a path.
std::string path_of(const char* path) {
  return path ? std::string(path) : std::string();
}

std::uint64_t handle_of(const fuse_file_info* fi) {
  return fi ? fi->fh : 0;
}

void* init(fuse_conn_info* conn, fuse_config* cfg) {
  // The kernel must not cache writes: each one has to reach us before write() returns, so a
  // power cut decides its fate (no writeback cache), and an O_TRUNC open is ours to record.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  cfg->use_ino = 1;
  cfg->hard_remove = 1;  // unlink means unlink, not a rename to .fuse_hidden*
  cfg->nullpath_ok = 1;
  return fuse_get_context()->private_data;
}

void destroy(void* data) {
  static_cast<file_system*>(data)->sync_everything();
}

int getattr(const char* path, struct stat* st, fuse_file_info* fi) {
  return fs().getattr(path_of(path), st, handle_of(fi));
}

int readlink(const char* path, char* buf, size_t size) {
  return fs().readlink(path, buf, size);
}

int mkdir(const char* path, mode_t mode) {
  return fs().mkdir(path, mode);
}

int unlink(const char* path) {
  return fs().unlink(path);
}

int rmdir(const char* path) {
  return fs().rmdir(path);
}

int symlink(const char* target, const char* path) {
  return fs().symlink(target, path);
}

int rename(const char* from, const char* to, unsigned int flags) {
  return fs().rename(from, to, flags);
}

int chmod(const char* path, mode_t mode, fuse_file_info* fi) {
  return fs().chmod(path_of(path), mode, handle_of(fi));
}

int chown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
  return fs().chown(path_of(path), uid, gid, handle_of(fi));
}

int truncate(const char* path, off_t size, fuse_file_info* fi) {
  return fs().truncate(path_of(path), size, handle_of(fi));
}

int utimens(const char* path, const struct timespec tv[2], fuse_file_info* fi) {
  return fs().utimens(path_of(path), tv, handle_of(fi));
}

int open(const char* path, fuse_file_info* fi) {
  bool direct_io = false;
  const int rc = fs().open(path, fi->flags, fi->fh, direct_io);
  if (direct_io) fi->direct_io = 1;
  return rc;
}

int create(const char* path, mode_t mode, fuse_file_info* fi) {
  return fs().create(path, mode, fi->flags, fi->fh);
}

int read(const char*, char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  return fs().read(fi->fh, buf, size, offset);
}

int write(const char*, const char* buf, size_t size, off_t offset, fuse_file_info* fi) {
  return fs().write(fi->fh, buf, size, offset);
}

int statfs(const char*, struct statvfs* st) {
  return fs().statfs(st);
}

int flush(const char*, fuse_file_info*) {
  return 0;  // close() promises nothing about durability
}

int release(const char*, fuse_file_info* fi) {
  return fs().release(fi->fh);
}

int fsync(const char*, int, fuse_file_info* fi) {
  return fs().fsync(fi->fh);
}

int opendir(const char* path, fuse_file_info* fi) {
  return fs().opendir(path, fi->fh);
}

int releasedir(const char*, fuse_file_info* fi) {
  return fs().releasedir(fi->fh);
}

int readdir(const char*, void* buf, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
            fuse_readdir_flags) {
  return fs().readdir(fi->fh, [&](const char* name) {
    filler(buf, name, nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  });
}

int fsyncdir(const char*, int, fuse_file_info* fi) {
  return fs().fsyncdir(fi->fh);
}

}  // namespace

fuse_operations operations() {
  fuse_operations ops{};
  ops.init = init;
  ops.destroy = destroy;
  ops.getattr = getattr;
  ops.readlink = readlink;
  ops.mkdir = mkdir;
  ops.unlink = unlink;
  ops.rmdir = rmdir;
  ops.symlink = symlink;
  ops.rename = rename;
  ops.chmod = chmod;
  ops.chown = chown;
  ops.truncate = truncate;
  ops.utimens = utimens;
  ops.open = open;
  ops.create = create;
  ops.read = read;
  ops.write = write;
  ops.statfs = statfs;
  ops.flush = flush;
  ops.release = release;
  ops.fsync = fsync;
  ops.opendir = opendir;
  ops.releasedir = releasedir;
  ops.readdir = readdir;
  ops.fsyncdir = fsyncdir;
  return ops;
}

}  // namespace pons::power_cut
