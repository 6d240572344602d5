// NcasrGLU: ncnn's GLU along axis 0 (out = first half * sigmoid(second half)) on ncasr's SIMD
// kernel, taking ncnn's packed blobs. ncnn's GLU is a generic layer without packing, so in
// Zipformer and Conv-Emformer convolution modules (pointwise conv -> GLU -> depthwise conv)
// ncnn unpacked its input and packed its output again around it. Along axis 0 of a packed
// blob both halves are whole packed rows (or channels), so the kernel runs on flat memory.
// sigmoid uses kernels/exp_approx.h: outputs differ from ncnn's GLU by float rounding.
// Same param as GLU: net_loader renames GLU layers with axis 0 in memory.
#include <layer.h>
#include <mat.h>
#include <paramdict.h>

#include "kernels/glu.h"
#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class GLU : public ncnn::Layer {
 public:
  GLU() {
    one_blob_only = true;
    support_inplace = false;
    support_packing = true;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    if (pd.get(0, 0) != 0) {
      NCNN_LOGE("NcasrGLU: runs axis 0 only");
      return -100;
    }
    return 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    if (in.elemsize != 4u * in.elempack || in.dims < 1 || in.dims > 3) {
      NCNN_LOGE("NcasrGLU: expects an fp32 blob of 1 to 3 dims");
      return -100;
    }
    const int outer = in.dims == 1 ? in.w : in.dims == 2 ? in.h : in.c;  // packed units along axis 0
    if (outer % 2 != 0) {
      if (in.elempack == 1) {
        NCNN_LOGE("NcasrGLU: axis 0 has an odd size (%d)", outer);
        return -100;
      }
      ncnn::Mat flat;  // the halves split inside a pack: unpack first
      ncnn::convert_packing(in, flat, 1, opt);
      if (flat.empty()) return -100;
      return forward(flat, out, opt);
    }
    const int half = outer / 2;
    const size_t es = in.elemsize;
    const int p = in.elempack;
    if (in.dims == 1)
      out.create(half, es, p, opt.blob_allocator);
    else if (in.dims == 2)
      out.create(in.w, half, es, p, opt.blob_allocator);
    else
      out.create(in.w, in.h, half, es, p, opt.blob_allocator);
    if (out.empty()) return -100;
    if (in.dims < 3) {
      const size_t n = static_cast<size_t>(half) * (in.dims == 1 ? 1 : in.w) * p;
      const float* a = in;
      kernels::glu(a, a + n, 0.f, out, n);
    } else {
      const size_t n = static_cast<size_t>(in.w) * in.h * p;
      for (int q = 0; q < half; ++q) kernels::glu(in.channel(q), in.channel(q + half), 0.f, out.channel(q), n);
    }
    return 0;
  }
};

}  // namespace

ncnn::Layer* create_glu_layer(void*) { return new GLU; }

}  // namespace ncasr
