#pragma once
// One descriptor held back for the moment the process runs out. accept() fails with EMFILE before
// it looks at the listen queue, so a server out of descriptors cannot tell whether anybody waits;
// giving the spare back lets exactly one accept() find out, and a connection is closed to make
// room only once a new client is in hand.

namespace pons::http {

class spare_descriptor {
 public:
  /// Holds a descriptor (on /dev/null) from the start when one is free.
  spare_descriptor();
  ~spare_descriptor();
  spare_descriptor(const spare_descriptor&) = delete;
  spare_descriptor& operator=(const spare_descriptor&) = delete;

  bool held() const { return fd_ >= 0; }
  /// Closes the spare, freeing its number for the next descriptor the process opens.
  void release();
  /// Takes a descriptor again; false when none is free.
  bool take();

 private:
  int fd_ = -1;
};

}  // namespace pons::http
