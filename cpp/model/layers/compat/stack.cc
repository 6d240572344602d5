// Stack (Zipformer): torch.stack along a new leading axis (axis 0 only).
// N blobs of 1-D (w) -> 2-D (w, h=N); N blobs of 2-D (w, h) -> 3-D (w, h, c=N).
#include <layer.h>

#include <cstring>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class Stack : public ncnn::Layer {
 public:
  Stack() {
    one_blob_only = false;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    int axis = pd.get(0, 0);
    if (axis != 0) {
      NCNN_LOGE("Stack: only axis 0 is supported, got %d", axis);
      return -100;
    }
    return 0;
  }

  int forward(const std::vector<ncnn::Mat>& bottoms, std::vector<ncnn::Mat>& tops,
              const ncnn::Option& opt) const override {
    if (bottoms.empty() || tops.size() != 1) return -100;
    const ncnn::Mat& first = bottoms[0];
    for (const auto& b : bottoms) {
      if (b.dims != first.dims || b.w != first.w || b.h != first.h || b.c != first.c) {
        NCNN_LOGE("Stack: inputs differ in shape");
        return -100;
      }
    }
    const int n = static_cast<int>(bottoms.size());
    ncnn::Mat& out = tops[0];
    if (first.dims == 1) {
      out.create(first.w, n, 4u, opt.blob_allocator);
      if (out.empty()) return -100;
      for (int i = 0; i < n; ++i)
        std::memcpy(out.row(i), static_cast<const float*>(bottoms[i]), first.w * sizeof(float));
      return 0;
    }
    if (first.dims == 2) {
      out.create(first.w, first.h, n, 4u, opt.blob_allocator);
      if (out.empty()) return -100;
      for (int i = 0; i < n; ++i)
        std::memcpy(out.channel(i), static_cast<const float*>(bottoms[i]),
                    static_cast<size_t>(first.w) * first.h * sizeof(float));
      return 0;
    }
    NCNN_LOGE("Stack: %d-D inputs are not supported", first.dims);
    return -100;
  }
};

}  // namespace

ncnn::Layer* create_stack_layer(void*) { return new Stack(); }

}  // namespace ncasr
