#include "runtime/blob_pool.h"

#include <cstdint>
#include <cstring>

namespace ncasr {
namespace {

// The block's size class sits in front of the pointer handed out; a header of
// NCNN_MALLOC_ALIGN bytes keeps that pointer aligned as ncnn expects.
constexpr size_t kHeader = NCNN_MALLOC_ALIGN;
constexpr int kSteps = 8;         // size classes per power of two
constexpr size_t kMinBytes = 64;  // class 0
constexpr int kNumClasses = kSteps * 58;

int log2_floor(size_t v) { return 63 - __builtin_clzll(static_cast<unsigned long long>(v)); }

int32_t& class_of(void* user) { return *reinterpret_cast<int32_t*>(static_cast<unsigned char*>(user) - kHeader); }

}  // namespace

int BlobPool::size_class(size_t size) {
  if (size <= kMinBytes) return 0;
  // Classes above 64 bytes: (kSteps + s) << (e - 3) for e >= 6, s = 1..kSteps.
  const size_t v = size - 1;
  const int e = log2_floor(v);  // v in [2^e, 2^(e+1))
  const int s = static_cast<int>((v >> (e - 3)) & (kSteps - 1)) + 1;
  return (e - 6) * kSteps + s;
}

size_t BlobPool::class_bytes(int c) {
  if (c == 0) return kMinBytes;
  const int e = (c - 1) / kSteps + 6;
  const int s = (c - 1) % kSteps + 1;
  return static_cast<size_t>(kSteps + s) << (e - 3);
}

BlobPool::BlobPool(size_t max_cached_bytes) : free_(kNumClasses), max_cached_(max_cached_bytes) {}

BlobPool::~BlobPool() {
  for (auto& list : free_)
    for (void* user : list) ncnn::fastFree(static_cast<unsigned char*>(user) - kHeader);
}

void* BlobPool::fastMalloc(size_t size) {
  const int c = size_class(size);
  if (c >= kNumClasses) return nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<void*>& list = free_[c];
    if (!list.empty()) {
      void* user = list.back();
      list.pop_back();
      cached_ -= class_bytes(c);
      return user;
    }
  }
  unsigned char* block = static_cast<unsigned char*>(ncnn::fastMalloc(kHeader + class_bytes(c)));
  if (!block) return nullptr;
  void* user = block + kHeader;
  class_of(user) = c;
  return user;
}

void BlobPool::fastFree(void* user) {
  if (!user) return;
  const int c = class_of(user);
  const size_t bytes = class_bytes(c);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ + bytes <= max_cached_) {
      free_[c].push_back(user);
      cached_ += bytes;
      return;
    }
  }
  ncnn::fastFree(static_cast<unsigned char*>(user) - kHeader);
}

size_t BlobPool::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

BlobPool* BlobPool::shared() {
  static BlobPool* pool = new BlobPool();  // never deleted: see the header
  return pool;
}

}  // namespace ncasr
