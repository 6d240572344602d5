#pragma once
// An ncnn::Allocator for blobs and workspaces whose malloc and free are O(1).
//
// ncnn's default PoolAllocator keeps freed blocks in a list and scans it on every malloc
// and free (first fit, any size): a graph of thousands of layers pays for that scan on every
// blob, and more in malloc/page faults when a small request takes a big block and the next
// big request goes to the system. Here every request is rounded up to a size class (8
// classes per power of two, so at most 1/8 of a block is unused), the class is written in a
// header in front of the block, and freed blocks wait on one list per class for the next
// request. Measured: see docs/runtime-options.md (blob_pool).
#include <allocator.h>

#include <cstddef>
#include <mutex>
#include <vector>

namespace ncasr {

class BlobPool : public ncnn::Allocator {
 public:
  // Freed blocks beyond this many cached bytes go back to the system.
  explicit BlobPool(size_t max_cached_bytes = size_t(512) << 20);
  ~BlobPool() override;
  BlobPool(const BlobPool&) = delete;
  BlobPool& operator=(const BlobPool&) = delete;

  void* fastMalloc(size_t size) override;
  void fastFree(void* ptr) override;

  // The size class of a request and the bytes a block of that class holds (>= size).
  static int size_class(size_t size);
  static size_t class_bytes(int size_class);

  size_t cached_bytes() const;
  // Shared by every model in the process and never destroyed, so a blob handed out (an
  // encoder state kept by a stream) may outlive the model that made it.
  static BlobPool* shared();

 private:
  mutable std::mutex mutex_;
  std::vector<std::vector<void*>> free_;  // per size class
  size_t cached_ = 0;
  size_t max_cached_;
};

}  // namespace ncasr
