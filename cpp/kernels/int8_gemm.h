#pragma once
// int8 matrix product for streaming shapes (M = 8-64 frames, K and N = 128-2048):
//
//   C[m][n] = sum_k A[m][k] * W[n][k]      A: int8 activations, W: int8 weights, C: int32
//
// Integer arithmetic is exact, so every path (AVX-512 VNNI, AVX2, NEON) gives the same
// int32 results as the scalar twin. The weights are packed once, at model load, into the
// layout of the path that will run them (pack_int8_weights); activations stay row-major.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

// Which kernel the packed layout belongs to. kAvx512 here means AVX-512 VNNI (vpdpbusd);
// a CPU with AVX-512 but no VNNI runs the AVX2 kernel.
struct PackedInt8Weights {
  int n = 0, k = 0;            // logical shape of W (n rows of k)
  int k_padded = 0;            // k rounded up for the layout; padding is zero
  KernelPath path = KernelPath::kScalar;
  std::vector<int8_t> data;    // layout depends on path (see int8_gemm.cc)
  std::vector<int32_t> row_sum_x128;  // 128 * sum_k W[n][k] (VNNI runs A + 128 as u8)
};

// The path int8_gemm runs for `path` on this CPU (kAvx512 needs VNNI, else kAvx2).
KernelPath int8_gemm_path(KernelPath path);

// Packs W (n rows of k, row stride ldw) for int8_gemm_path(path). ConfigError on bad shapes.
PackedInt8Weights pack_int8_weights(const int8_t* w, int n, int k, size_t ldw, KernelPath path);
PackedInt8Weights pack_int8_weights(const int8_t* w, int n, int k, size_t ldw);  // active path

// C (m rows of w.n, row stride ldc) = A (m rows of w.k, row stride lda) * W^T.
// Returns the path that ran (the one w was packed for).
KernelPath int8_gemm(const int8_t* a, int m, size_t lda, const PackedInt8Weights& w, int32_t* c,
                     size_t ldc);

}  // namespace kernels
}  // namespace ncasr
