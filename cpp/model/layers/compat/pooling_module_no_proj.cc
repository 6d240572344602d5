// PoolingModuleNoProj (Zipformer): running cumulative mean over time, carried across
// chunks by (cached_len, cached_avg).
//   in:  x (w=C, h=T), cached_len (w=1), cached_avg (w=C, h=1)
//   out: y[t] = (cached_len*cached_avg + sum_{i<=t} x[i]) / (cached_len + t + 1),
//        cached_len + T, y[T-1]
#include <layer.h>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class PoolingModuleNoProj : public ncnn::Layer {
 public:
  PoolingModuleNoProj() {
    one_blob_only = false;
    support_inplace = false;
  }

  int forward(const std::vector<ncnn::Mat>& bottoms, std::vector<ncnn::Mat>& tops,
              const ncnn::Option& opt) const override {
    if (bottoms.size() != 3 || tops.size() != 3) return -100;
    const ncnn::Mat& x = bottoms[0];
    const ncnn::Mat& cached_len = bottoms[1];
    const ncnn::Mat& cached_avg = bottoms[2];
    if (x.dims != 2 || cached_avg.total() != static_cast<size_t>(x.w) || cached_len.total() < 1) return -100;
    const int C = x.w, T = x.h;
    ncnn::Mat& y = tops[0];
    y.create(C, T, 4u, opt.blob_allocator);
    ncnn::Mat& out_len = tops[1];
    out_len.create(cached_len.w, 4u, opt.blob_allocator);
    ncnn::Mat& out_avg = tops[2];
    out_avg.create_like(cached_avg, opt.blob_allocator);
    if (y.empty() || out_len.empty() || out_avg.empty()) return -100;

    const float n = static_cast<const float*>(cached_len)[0];
    const float* avg = cached_avg;
    // Running sum in float, divided per row, as the reference runtime does.
    std::vector<float> sum(C);
    for (int c = 0; c < C; ++c) sum[c] = n * avg[c];
    for (int t = 0; t < T; ++t) {
      const float* xr = x.row(t);
      float* yr = y.row(t);
      const float inv = 1.f / (n + t + 1);
      for (int c = 0; c < C; ++c) {
        sum[c] += xr[c];
        yr[c] = sum[c] * inv;
      }
    }
    const float* last = y.row(T - 1);
    float* oa = out_avg;
    for (int c = 0; c < C; ++c) oa[c] = last[c];
    float* ol = out_len;
    for (int i = 0; i < out_len.w; ++i) ol[i] = n + T;
    return 0;
  }
};

}  // namespace

ncnn::Layer* create_pooling_module_no_proj_layer(void*) { return new PoolingModuleNoProj(); }

}  // namespace ncasr
