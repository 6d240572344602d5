// NcasrDoubleSwish: Zipformer's DoubleSwish, x * sigmoid(x - 1), as one layer.
//
// pnnx writes it as four ncnn layers (Split, BinaryOp x - 1, Sigmoid, BinaryOp mul); a
// full-size streaming Zipformer has 78 of them per chunk, each four graph steps, three passes
// over memory and a copy (the in-place subtraction reads a shared Split output). net_loader
// fuses the four into this layer in memory (fuse_double_swish); it runs in place on ncnn's
// packed blobs with the GLU kernel (kernels/glu.h, a = b = x, shift -1), whose sigmoid
// rounds differently from ncnn's: outputs differ from the four layers by float rounding.
#include <layer.h>
#include <mat.h>

#include "kernels/glu.h"
#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class DoubleSwish : public ncnn::Layer {
 public:
  DoubleSwish() {
    one_blob_only = true;
    support_inplace = true;
    support_packing = true;
  }

  int forward_inplace(ncnn::Mat& x, const ncnn::Option&) const override {
    if (x.elemsize != 4u * x.elempack) {
      NCNN_LOGE("NcasrDoubleSwish: expects fp32 blobs");
      return -100;
    }
    const size_t plane = static_cast<size_t>(x.w) * x.h * x.d * x.elempack;
    for (int q = 0; q < x.c; ++q) {
      float* p = x.channel(q);
      kernels::glu(p, p, -1.f, p, plane);
    }
    return 0;
  }
};

}  // namespace

ncnn::Layer* create_double_swish_layer(void*) { return new DoubleSwish; }

}  // namespace ncasr
