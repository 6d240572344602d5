// SimpleUpsample (Zipformer): repeats each time step `upsample` times and adds a
// learned bias per repeat.
//   params: 0 = upsample, 1 = num_channels, 2 = bias size (= upsample*num_channels)
//   weights: bias (w=num_channels, h=upsample)
//   in (w=C, h=T) -> out (w=C, h=T*upsample), out[t*U+u] = in[t] + bias[u]
#include <layer.h>
#include <modelbin.h>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class SimpleUpsample : public ncnn::Layer {
 public:
  SimpleUpsample() {
    one_blob_only = true;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    upsample_ = pd.get(0, 0);
    num_channels_ = pd.get(1, 0);
    int bias_size = pd.get(2, 0);
    if (upsample_ <= 0 || num_channels_ <= 0 || bias_size != upsample_ * num_channels_) {
      NCNN_LOGE("SimpleUpsample: bad params upsample=%d num_channels=%d bias_size=%d", upsample_, num_channels_,
                bias_size);
      return -100;
    }
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    bias_ = mb.load(num_channels_, upsample_, 0);
    return bias_.empty() ? -100 : 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    if (in.dims != 2 || in.w != num_channels_) {
      NCNN_LOGE("SimpleUpsample: expects (T, %d), got dims=%d w=%d", num_channels_, in.dims, in.w);
      return -100;
    }
    const int C = in.w, T = in.h;
    out.create(C, T * upsample_, 4u, opt.blob_allocator);
    if (out.empty()) return -100;
#pragma omp parallel for num_threads(opt.num_threads)
    for (int t = 0; t < T; ++t) {
      const float* x = in.row(t);
      for (int u = 0; u < upsample_; ++u) {
        const float* b = bias_.row(u);
        float* o = out.row(t * upsample_ + u);
        for (int c = 0; c < C; ++c) o[c] = x[c] + b[c];
      }
    }
    return 0;
  }

 private:
  int upsample_ = 0;
  int num_channels_ = 0;
  ncnn::Mat bias_;
};

}  // namespace

ncnn::Layer* create_simple_upsample_layer(void*) { return new SimpleUpsample(); }

}  // namespace ncasr
