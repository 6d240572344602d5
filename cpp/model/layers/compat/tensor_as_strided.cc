// TensorAsStrided (Zipformer): torch.as_strided on a 3-D blob.
//   params: 0 = sizes (c, h, w), 1 = strides (elements), 2 = storage_offset
// Element (q, y, x) of the output is element storage_offset + q*s0 + y*s1 + x*s2 of the
// input read as one contiguous c*h*w array (ncnn pads channels, so we map back).
#include <layer.h>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class TensorAsStrided : public ncnn::Layer {
 public:
  TensorAsStrided() {
    one_blob_only = true;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    ncnn::Mat sizes = pd.get(0, ncnn::Mat());
    ncnn::Mat strides = pd.get(1, ncnn::Mat());
    storage_offset_ = pd.get(2, 0);
    if (sizes.w != 3 || strides.w != 3) {
      NCNN_LOGE("TensorAsStrided: sizes and strides must both have 3 values (got %d and %d)", sizes.w, strides.w);
      return -100;
    }
    for (int i = 0; i < 3; ++i) {
      sizes_[i] = static_cast<const int*>(sizes)[i];
      strides_[i] = static_cast<const int*>(strides)[i];
    }
    return 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    if (in.dims != 3) {
      NCNN_LOGE("TensorAsStrided: expects a 3-D input, got %d-D", in.dims);
      return -100;
    }
    const long plane = static_cast<long>(in.w) * in.h;
    const long total = plane * in.c;
    const int oc = sizes_[0], oh = sizes_[1], ow = sizes_[2];
    const long last = storage_offset_ + static_cast<long>(oc - 1) * strides_[0] +
                      static_cast<long>(oh - 1) * strides_[1] + static_cast<long>(ow - 1) * strides_[2];
    if (storage_offset_ < 0 || last >= total) {
      NCNN_LOGE("TensorAsStrided: view reaches element %ld of a %ld-element input", last, total);
      return -100;
    }
    out.create(ow, oh, oc, 4u, opt.blob_allocator);
    if (out.empty()) return -100;
#pragma omp parallel for num_threads(opt.num_threads)
    for (int q = 0; q < oc; ++q) {
      float* op = out.channel(q);
      for (int y = 0; y < oh; ++y) {
        long base = storage_offset_ + static_cast<long>(q) * strides_[0] + static_cast<long>(y) * strides_[1];
        for (int x = 0; x < ow; ++x) {
          long f = base + static_cast<long>(x) * strides_[2];
          const float* ch = in.channel(static_cast<int>(f / plane));
          op[y * ow + x] = ch[f % plane];
        }
      }
    }
    return 0;
  }

 private:
  int sizes_[3] = {0, 0, 0};
  int strides_[3] = {0, 0, 0};
  int storage_offset_ = 0;
};

}  // namespace

ncnn::Layer* create_tensor_as_strided_layer(void*) { return new TensorAsStrided(); }

}  // namespace ncasr
