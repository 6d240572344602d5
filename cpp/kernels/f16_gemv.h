#pragma once
// Matrix-vector product with the matrix stored as IEEE half (fp16) and float arithmetic:
//
//   y[r] = (((b[r] + w[r][0] * x[0]) + w[r][1] * x[1]) + ...) + w[r][K-1] * x[K-1]
//
// summed in that order for every row, each product and sum rounded to float (no fused
// multiply-add), so every SIMD path (16, 8 or 4 rows per vector, one row per lane) gives
// the scalar twin's bits. It exists for recurrent steps that read a matrix too big for the
// cache once per frame (an LSTM's gates): half the bytes of float weights, and the
// multiply-adds are cheap next to the memory traffic.
//
// f32_gemv is the same product on float weights in the same panels (for float storage, where
// the bytes cannot be halved): same order of sums, same bit-exact paths.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

// Rows in panels of kF16PanelRows (the last one zero-padded), each panel column-major:
// data[(panel * cols + k) * kF16PanelRows + r] = half(w[panel * kF16PanelRows + r][k]).
constexpr int kF16PanelRows = 16;

struct PackedF16Weights {
  int rows = 0, cols = 0;
  std::vector<uint16_t> data;
};

// w: rows x cols floats, `stride` floats between rows; rounded to half, nearest even.
PackedF16Weights pack_f16_weights(const float* w, int rows, int cols, size_t stride);

// The same panels of float weights: data[(panel * cols + k) * kF16PanelRows + r] = w[...][k].
struct PackedF32Weights {
  int rows = 0, cols = 0;
  std::vector<float> data;
};
PackedF32Weights pack_f32_weights(const float* w, int rows, int cols, size_t stride);

// The rows of [a | b] (a: rows x a_cols, b: rows x b_cols, both dense), packed without
// building the joined matrix (an LSTM's [W_xc | W_hc]: one less copy of its weights at load).
PackedF16Weights pack_f16_weights(const float* a, int a_cols, const float* b, int b_cols, int rows);
PackedF32Weights pack_f32_weights(const float* a, int a_cols, const float* b, int b_cols, int rows);

// y[r] for r in [row0, row1); row0 a multiple of kF16PanelRows and row1 too, or row1 == rows.
// bias may be null (zero). Bad ranges or sizes are a ConfigError. Returns the path that ran.
KernelPath f16_gemv(const PackedF16Weights& w, const float* x, const float* bias, float* y, int row0, int row1);
KernelPath f16_gemv(const PackedF16Weights& w, const float* x, const float* bias, float* y, int row0, int row1,
                    KernelPath path);
KernelPath f32_gemv(const PackedF32Weights& w, const float* x, const float* bias, float* y, int row0, int row1);
KernelPath f32_gemv(const PackedF32Weights& w, const float* x, const float* bias, float* y, int row0, int row1,
                    KernelPath path);

}  // namespace kernels
}  // namespace ncasr
