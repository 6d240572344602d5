#pragma once
// Moving between ncnn's packed 2-D blobs (elempack p: p rows interleaved, element (r, k) of a
// block at k * p + r) and plain rows, for layers that compute on rows. 4 x 4 transposes on
// SSE2 (x86-64 baseline) and NEON (aarch64 baseline), scalar elsewhere; every path moves the
// same values and rounds the same way, so results do not depend on the CPU.
#include <cstddef>
#include <cstdint>

namespace ncasr {
namespace kernels {

// blocks of p rows of k values each (x: blocks * k * p floats) -> rows, dst row i at
// dst + i * stride.
void unpack_rows(const float* x, int blocks, int k, int p, float* dst, size_t stride);

// y (blocks of p rows of n values, packed) for columns [n0, n1) from int32 sums c (row i at
// c + i * ldc): y = c * (row_inv[i] * col_inv[j]) + bias[j], multiplied and added in that order.
void dequantize_pack_rows(const int32_t* c, size_t ldc, const float* row_inv, const float* col_inv, const float* bias,
                          int blocks, int n, int n0, int n1, int p, float* y);

}  // namespace kernels
}  // namespace ncasr
