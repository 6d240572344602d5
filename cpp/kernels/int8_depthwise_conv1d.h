#pragma once
// int8 depthwise 1-D convolution on ncnn's packed layout: the kernel-31 convolution of
// Zipformer and Conv-Emformer encoders with int8 weights (one scale per channel) and int8
// activations (one dynamic scale per channel per call, from that call's own input).
//
// For channel c with weight scale sw[c] (127 / max|w[c]|) and taps q_w[c][k]:
//   sx      = 127 / max_t |x[c][t]|                       (1 for an all-zero row)
//   q_x[t]  = round_to_nearest_even(x[c][t] * sx), clamped to [-127, 127]
//   acc[t]  = sum_k q_w[c][k] * q_x[t + k]               (exact int32)
//   y[c][t] = float(acc[t]) * (1 / (sx * sw[c])) + bias[c]   (multiply, then add)
// Integer sums are exact and the float steps are the same operations in the same order on
// every path, so AVX-512 VNNI, AVX2, NEON (dot product and plain) equal the scalar twin bit
// for bit on finite inputs.
//
// How the SIMD paths sum 4 taps per instruction (vpdpbusd, SDOT, or a pair of 16-bit
// multiply-adds): activations are laid out in 4-time blocks, block u holding times
// 4u..4u+3 of each channel next to each other; output t = 4u + phase then needs the block
// sums of u, u+1, ... with the taps shifted by `phase`, so the weights are stored once per
// phase (4 copies, zero where a block slot has no tap). The activations are not copied
// per tap window, and the 4 outputs of a block share every activation load.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/depthwise_conv1d.h"
#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

struct Int8DepthwiseWeights {
  int channels = 0, kernel = 0;
  int blocks = 0;                         // 4-tap blocks per phase: (kernel + 2) / 4 + 1
  KernelPath path = KernelPath::kScalar;  // the kernel these were packed for (kAvx512 = VNNI)
  bool dotprod = false;                   // kNeon: the SDOT kernel
  std::vector<int8_t> taps;               // q_w, channels x kernel
  std::vector<float> scales;              // sw per channel
  // SIMD layout [phase][block][channel][4] (blocks padded, int8_depthwise_conv1d_isa.h):
  // slot i of block j in phase p is tap 4j + i - p.
  std::vector<int8_t> phased;
  std::vector<int8_t> phased_abs;  // kAvx2: |phased| (vpmaddubsw's unsigned operand)
  std::vector<int32_t> sum_x128;   // kAvx512: 128 * sum_k q_w[c][k] (activations run as u8 = q + 128)
};

// The path int8_depthwise_conv1d runs for `path` on this CPU (as int8_gemm_path).
KernelPath int8_depthwise_path(KernelPath path);

// Quantizes float weights (channels rows of kernel taps) per channel, or takes already
// quantized ones with their scales (an int8 model file), and packs them for `path`.
Int8DepthwiseWeights pack_int8_depthwise_weights(const float* w, int channels, int kernel, KernelPath path);
Int8DepthwiseWeights pack_int8_depthwise_weights(const int8_t* taps, const float* scales, int channels, int kernel,
                                                 KernelPath path);

// x, y as depthwise_conv1d_packed (pack 1, 4, 8 or 16; pack 1 = plain rows, which only the
// scalar twin runs); x holds shape.out_w + kernel - 1 columns. bias may be null. Returns the
// path that ran. Thread-safe (scratch is per thread).
KernelPath int8_depthwise_conv1d_packed(const float* x, const Int8DepthwiseWeights& w, const float* bias, float* y,
                                        const DepthwiseConv1DShape& shape, int pack);

}  // namespace kernels
}  // namespace ncasr
