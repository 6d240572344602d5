#include "model/random_weights.h"

#include <datareader.h>
#include <net.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "common/errors.h"
#include "runtime/net_loader.h"

namespace ncasr {
namespace {

// Serves every read with zeros and records its size. Zeros make each 4-byte storage
// tag read as "raw fp32", so the recorded sizes are the layout of an fp32 .bin.
class RecordingReader : public ncnn::DataReader {
 public:
  size_t read(void* buf, size_t size) const override {
    std::memset(buf, 0, size);
    sizes.push_back(size);
    return size;
  }
  int scan(const char*, void*) const override { return 0; }
  mutable std::vector<size_t> sizes;
};

}  // namespace

long long write_random_weights(const std::string& param_path, const std::string& bin_path, uint32_t seed, float scale) {
  ncnn::Net net;
  net.opt.use_vulkan_compute = false;
  load_param_checked(net, param_path);
  RecordingReader rec;
  if (net.load_model(rec) != 0) throw ModelError(param_path, "ncnn could not lay out its weights");

  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(bin_path.c_str(), "wb"), std::fclose);
  if (!out) throw ModelError(bin_path, "cannot be written");
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> buf;
  long long total = 0;
  for (size_t size : rec.sizes) {
    // A lone 4-byte read is a storage tag (or a single scalar): keep it zero.
    buf.assign((size + 3) / 4, 0.f);
    if (size > 4)
      for (auto& v : buf) v = dist(rng);
    if (std::fwrite(buf.data(), 1, size, out.get()) != size) throw ModelError(bin_path, "write failed");
    total += static_cast<long long>(size);
  }
  return total;
}

}  // namespace ncasr
