#pragma once
// Depthwise 1-D convolution (one filter per channel), the kernel-31 convolution of
// Zipformer and Conv-Emformer encoders. ncnn runs ConvolutionDepthWise1D with a generic,
// scalar loop on every CPU; this kernel vectorises it over time.
//
//   y[c][j] = bias[c] + x[c][j] * w[c][0] + x[c][j+1] * w[c][1] + ... + x[c][j+K-1] * w[c][K-1]
//
// summed left to right with a rounding after every multiply and every add (no fused
// multiply-add), so every path gives the same bits as the scalar twin (kernels/reference).
// ncnn compiles its scalar layer with -Ofast, which lets the compiler reorder that sum:
// results agree with ncnn's layer up to float rounding, not bit for bit.
#include <cstddef>

#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

struct DepthwiseConv1DShape {
  int channels = 0;     // rows of x and y
  int kernel = 0;       // taps per channel (w has channels * kernel values)
  int out_w = 0;        // columns of y; x needs out_w + kernel - 1 columns per row
  size_t x_stride = 0;  // floats between rows of x (>= out_w + kernel - 1)
  size_t y_stride = 0;  // floats between rows of y (>= out_w)
};

// bias may be null (no bias). Invalid shapes are a ConfigError. Returns the path that ran.
KernelPath depthwise_conv1d(const float* x, const float* w, const float* bias, float* y,
                            const DepthwiseConv1DShape& shape);
KernelPath depthwise_conv1d(const float* x, const float* w, const float* bias, float* y,
                            const DepthwiseConv1DShape& shape, KernelPath path);

// ncnn's packed layout (elempack `pack` = 4, 8 or 16 channels per row): row r of x holds
// channels r * pack ... r * pack + pack - 1 interleaved by time, x[r * x_stride + t * pack + lane],
// and y likewise; strides count floats per packed row (x_stride >= (out_w + kernel - 1) * pack,
// y_stride >= out_w * pack). Weights tap-major: wt[k * channels + c] = w[c * kernel + k].
// Every output is the same sum in the same order as the unpacked form: equal bit for bit.
KernelPath depthwise_conv1d_packed(const float* x, const float* wt, const float* bias, float* y,
                                   const DepthwiseConv1DShape& shape, int pack);
KernelPath depthwise_conv1d_packed(const float* x, const float* wt, const float* bias, float* y,
                                   const DepthwiseConv1DShape& shape, int pack, KernelPath path);

}  // namespace kernels
}  // namespace ncasr
