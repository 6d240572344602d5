// NcasrDepthwiseConv1DInt8: ConvolutionDepthWise1D (one filter per channel, stride 1,
// dilation 1, no fused activation) on ncasr's int8 kernel (kernels/int8_depthwise_conv1d.h):
// int8 taps with one scale per channel, activations quantized per channel on every call
// from that call's own range, so it needs no calibration. ncnn has no int8 form of this layer.
// Params are ConvolutionDepthWise1D's plus 8 = 1 when the weights in the file are already
// int8 (written by `ncasr quantize --ncasr-int8-depthwise`: int8 taps, bias, then one float
// scale per channel); without it the float weights of an ordinary model are quantized at
// load (the recognizer's depthwise_conv1d_int8 option). Takes and gives ncnn's packed blobs.
#include <layer.h>
#include <mat.h>
#include <modelbin.h>
#include <paramdict.h>

#include <cstdint>

#include "common/errors.h"
#include "kernels/int8_depthwise_conv1d.h"
#include "model/layers/compat/custom_layers.h"
#include "model/layers/fast/depthwise_conv1d_params.h"

namespace ncasr {
namespace {

class Int8DepthwiseConv1D : public ncnn::Layer {
 public:
  Int8DepthwiseConv1D() {
    one_blob_only = true;
    support_inplace = false;
    support_packing = true;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    int8_file_ = pd.get(8, 0);
    const bool supported = p_.load(pd) && (int8_file_ == 0 || int8_file_ == 1);
    if (!supported) {
      NCNN_LOGE("NcasrDepthwiseConv1DInt8: params outside what it runs (num_output=%d kernel=%d)", p_.num_output,
                p_.kernel_w);
      return -100;
    }
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    const int n = p_.num_output * p_.kernel_w;
    try {
      if (int8_file_) {
        const ncnn::Mat taps = mb.load(n, 0);
        if (taps.empty() || taps.elemsize != 1u) {
          NCNN_LOGE("NcasrDepthwiseConv1DInt8: expected %d int8 taps", n);
          return -100;
        }
        if (p_.bias_term) {
          bias_ = mb.load(p_.num_output, 0);
          if (bias_.empty()) return -100;
        }
        const ncnn::Mat scales = mb.load(p_.num_output, 1);
        if (scales.empty()) return -100;
        weights_ = kernels::pack_int8_depthwise_weights(static_cast<const int8_t*>(taps.data), scales, p_.num_output,
                                                        p_.kernel_w, kernels::active_kernel_path());
      } else {
        const ncnn::Mat w = mb.load(n, 0);
        if (w.empty()) return -100;
        if (p_.bias_term) {
          bias_ = mb.load(p_.num_output, 1);
          if (bias_.empty()) return -100;
        }
        weights_ = kernels::pack_int8_depthwise_weights(static_cast<const float*>(w), p_.num_output, p_.kernel_w,
                                                        kernels::active_kernel_path());
      }
    } catch (const Error& e) {
      NCNN_LOGE("NcasrDepthwiseConv1DInt8: %s", e.what());
      return -100;
    }
    return 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    const bool packed_rows = in.dims == 2 && in.h * in.elempack == p_.num_output && in.elemsize == 4u * in.elempack;
    if (!packed_rows) {
      NCNN_LOGE("NcasrDepthwiseConv1DInt8: expects %d fp32 rows, got dims %d h %d elempack %d", p_.num_output, in.dims,
                in.h, in.elempack);
      return -100;
    }
    if (in.elempack != 1 && p_.pad_left == 0 && p_.pad_right == 0) return run(in, in.elempack, out, opt);
    // Padding, or plain rows: pad the plain rows, then give the kernel 4 channels per row
    // where they divide (its SIMD paths read 4 channels at a time).
    ncnn::Option o = opt;
    o.blob_allocator = opt.workspace_allocator;
    ncnn::Mat x = in;
    if (in.elempack != 1) {
      ncnn::convert_packing(in, x, 1, o);
      if (x.empty()) return -100;
    }
    if (p_.pad_left > 0 || p_.pad_right > 0) {
      ncnn::Mat padded;
      ncnn::copy_make_border(x, padded, 0, 0, p_.pad_left, p_.pad_right, ncnn::BORDER_CONSTANT, p_.pad_value, o);
      if (padded.empty()) return -100;
      x = padded;
    }
    if (p_.num_output % 4 == 0) {
      ncnn::Mat x4;
      ncnn::convert_packing(x, x4, 4, o);
      if (x4.empty()) return -100;
      return run(x4, 4, out, opt);
    }
    return run(x, 1, out, opt);
  }

 private:
  int run(const ncnn::Mat& x, int pack, ncnn::Mat& out, const ncnn::Option& opt) const {
    const int out_w = x.w - p_.kernel_w + 1;
    if (out_w < 1) {
      NCNN_LOGE("NcasrDepthwiseConv1DInt8: %d columns are fewer than the kernel (%d)", x.w, p_.kernel_w);
      return -100;
    }
    out.create(out_w, p_.num_output / pack, 4u * pack, pack, opt.blob_allocator);
    if (out.empty()) return -100;
    kernels::DepthwiseConv1DShape s;
    s.channels = p_.num_output;
    s.kernel = p_.kernel_w;
    s.out_w = out_w;
    s.x_stride = x.w * static_cast<size_t>(pack);
    s.y_stride = static_cast<size_t>(out_w) * pack;
    kernels::int8_depthwise_conv1d_packed(x, weights_, p_.bias_term ? static_cast<const float*>(bias_) : nullptr, out,
                                          s, pack);
    return 0;
  }

  DepthwiseConv1DParams p_;
  int int8_file_ = 0;
  kernels::Int8DepthwiseWeights weights_;
  ncnn::Mat bias_;
};

}  // namespace

ncnn::Layer* create_int8_depthwise_conv1d_layer(void*) { return new Int8DepthwiseConv1D; }

}  // namespace ncasr
