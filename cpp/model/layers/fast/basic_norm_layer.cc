// NcasrBasicNorm: icefall's BasicNorm, y = x * (mean(x^2 over the last axis) + eps)^-0.5.
//
// pnnx writes it as six ncnn layers (Split, x*x, Reduction mean, + eps, pow -0.5, mul); every
// Zipformer, Conv-Emformer and LSTM layer has one, and ncnn's Reduction has no packed form, so
// ncnn also converted the layout around it. net_loader fuses the six into this layer in
// memory (graph_fusions.h). It runs in place on ncnn's packed blobs: with elempack p a packed
// row holds p rows interleaved, so p sums run side by side, each in the order of a plain row
// (ncnn's Reduction may sum in another order, and pow is 1 / sqrt here: float rounding only).
#include <layer.h>
#include <mat.h>
#include <paramdict.h>

#include <cmath>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class BasicNorm : public ncnn::Layer {
 public:
  BasicNorm() {
    one_blob_only = true;
    support_inplace = true;
    support_packing = true;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    eps_ = pd.get(0, 0.f);
    axis_ = pd.get(1, -1);
    return 0;
  }

  int forward_inplace(ncnn::Mat& x, const ncnn::Option&) const override {
    if (x.elemsize != 4u * x.elempack || x.w < 1) {
      NCNN_LOGE("NcasrBasicNorm: expects fp32 blobs");
      return -100;
    }
    if (axis_ != -1 && axis_ != x.dims - 1) {
      NCNN_LOGE("NcasrBasicNorm: reduction axis %d is not the last axis of a %d-D blob", axis_, x.dims);
      return -100;
    }
    // A packed 1-D blob keeps its values in plain order: one row of w * elempack values.
    const int p = x.dims == 1 ? 1 : x.elempack, w = x.dims == 1 ? x.w * x.elempack : x.w;
    const int rows = x.h * x.d;  // packed rows per channel
    if (p > kMaxPack) {
      NCNN_LOGE("NcasrBasicNorm: elempack %d is wider than %d", p, kMaxPack);
      return -100;
    }
    float scale[kMaxPack];  // one sum per lane, on the stack: this runs every chunk
    for (int q = 0; q < x.c; ++q) {
      for (int r = 0; r < rows; ++r) {
        float* v = static_cast<float*>(x.channel(q)) + static_cast<size_t>(r) * w * p;
        for (int lane = 0; lane < p; ++lane) scale[lane] = 0.f;
        for (int i = 0; i < w; ++i)
          for (int lane = 0; lane < p; ++lane) scale[lane] += v[i * p + lane] * v[i * p + lane];
        for (int lane = 0; lane < p; ++lane) scale[lane] = 1.f / std::sqrt(scale[lane] / w + eps_);
        for (int i = 0; i < w; ++i)
          for (int lane = 0; lane < p; ++lane) v[i * p + lane] *= scale[lane];
      }
    }
    return 0;
  }

 private:
  static constexpr int kMaxPack = 16;  // ncnn packs at most 16 floats (AVX-512)
  float eps_ = 0.f;
  int axis_ = -1;  // the reduced axis as the graph wrote it: -1, or the blob's last index
};

}  // namespace

ncnn::Layer* create_basic_norm_layer(void*) { return new BasicNorm; }

}  // namespace ncasr
