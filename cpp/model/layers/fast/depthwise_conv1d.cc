// NcasrDepthwiseConv1D: ConvolutionDepthWise1D (one filter per channel, stride 1, dilation 1,
// no fused activation) on ncasr's SIMD kernel. ncnn has no x86 or arm version of this layer:
// its generic loop is scalar with one add chain per output, and the kernel-31 depthwise
// convolutions of Zipformer and Conv-Emformer spend most of their time there. Same sum,
// possibly in another order than ncnn's -Ofast build: outputs agree up to float rounding.
// Same params and weights as ConvolutionDepthWise1D: net_loader renames the type in memory.
// It takes ncnn's packed blobs too (elempack 4/8/16 channels, the layout the pointwise
// convolutions around it use), so ncnn inserts no layout conversions before and after it.
#include "kernels/depthwise_conv1d.h"

#include <layer.h>
#include <mat.h>
#include <modelbin.h>
#include <paramdict.h>

#include "model/layers/compat/custom_layers.h"
#include "model/layers/fast/depthwise_conv1d_params.h"

namespace ncasr {
namespace {

class DepthwiseConv1D : public ncnn::Layer {
 public:
  DepthwiseConv1D() {
    one_blob_only = true;
    support_inplace = false;
    support_packing = true;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    const bool supported = p_.load(pd);
    if (!supported) {
      NCNN_LOGE("NcasrDepthwiseConv1D: params outside what it runs (num_output=%d kernel=%d)", p_.num_output,
                p_.kernel_w);
      return -100;
    }
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    weight_ = mb.load(p_.num_output * p_.kernel_w, 0);
    if (weight_.empty()) return -100;
    // tap-major copy for the packed kernel: tap k of channel c at k * channels + c
    weight_taps_.create(p_.num_output * p_.kernel_w);
    if (weight_taps_.empty()) return -100;
    for (int c = 0; c < p_.num_output; ++c)
      for (int k = 0; k < p_.kernel_w; ++k) weight_taps_[k * p_.num_output + c] = weight_[c * p_.kernel_w + k];
    if (p_.bias_term) {
      bias_ = mb.load(p_.num_output, 1);
      if (bias_.empty()) return -100;
    }
    return 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    if (in.elempack != 1 && in.dims == 2 && in.h * in.elempack == p_.num_output && in.elemsize == 4u * in.elempack) {
      if (p_.pad_left == 0 && p_.pad_right == 0) return forward_packed(in, out, opt);
      ncnn::Mat flat;  // padding on packed rows: not needed by the models seen, so unpack
      ncnn::convert_packing(in, flat, 1, opt);
      if (flat.empty()) return -100;
      return forward(flat, out, opt);
    }
    if (in.dims != 2 || in.h != p_.num_output || in.elempack != 1 || in.elemsize != 4u) {
      NCNN_LOGE("NcasrDepthwiseConv1D: expects %d fp32 rows, got dims %d h %d elempack %d", p_.num_output, in.dims,
                in.h, in.elempack);
      return -100;
    }
    ncnn::Mat x = in;
    if (p_.pad_left > 0 || p_.pad_right > 0) {
      ncnn::Option o = opt;
      o.blob_allocator = opt.workspace_allocator;
      ncnn::copy_make_border(in, x, 0, 0, p_.pad_left, p_.pad_right, ncnn::BORDER_CONSTANT, p_.pad_value, o);
      if (x.empty()) return -100;
    }
    const int out_w = x.w - p_.kernel_w + 1;
    if (out_w < 1) {
      NCNN_LOGE("NcasrDepthwiseConv1D: %d columns are fewer than the kernel (%d)", x.w, p_.kernel_w);
      return -100;
    }
    out.create(out_w, p_.num_output, 4u, opt.blob_allocator);
    if (out.empty()) return -100;
    kernels::DepthwiseConv1DShape s;
    s.channels = p_.num_output;
    s.kernel = p_.kernel_w;
    s.out_w = out_w;
    s.x_stride = static_cast<size_t>(x.w);
    s.y_stride = static_cast<size_t>(out_w);
    kernels::depthwise_conv1d(x, weight_, p_.bias_term ? static_cast<const float*>(bias_) : nullptr, out, s);
    return 0;
  }

 private:
  int forward_packed(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const {
    const int pack = in.elempack;
    const int out_w = in.w - p_.kernel_w + 1;
    if (out_w < 1) {
      NCNN_LOGE("NcasrDepthwiseConv1D: %d columns are fewer than the kernel (%d)", in.w, p_.kernel_w);
      return -100;
    }
    out.create(out_w, in.h, 4u * pack, pack, opt.blob_allocator);
    if (out.empty()) return -100;
    kernels::DepthwiseConv1DShape s;
    s.channels = p_.num_output;
    s.kernel = p_.kernel_w;
    s.out_w = out_w;
    s.x_stride = static_cast<size_t>(in.w) * pack;
    s.y_stride = static_cast<size_t>(out_w) * pack;
    kernels::depthwise_conv1d_packed(in, weight_taps_, p_.bias_term ? static_cast<const float*>(bias_) : nullptr, out,
                                     s, pack);
    return 0;
  }

  DepthwiseConv1DParams p_;
  ncnn::Mat weight_, weight_taps_, bias_;
};

}  // namespace

ncnn::Layer* create_depthwise_conv1d_layer(void*) { return new DepthwiseConv1D; }

}  // namespace ncasr
