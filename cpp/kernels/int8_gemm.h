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
  int n = 0, k = 0;  // logical shape of W (n rows of k)
  int k_padded = 0;  // k rounded up for the layout; padding is zero
  KernelPath path = KernelPath::kScalar;
  bool dotprod = false;  // kNeon on a CPU with SDOT: the dot-product kernel and its layout
  // kAvx2 only, same layout: 0 the int16 (vpmaddwd) kernel, 1 AVX-VNNI (vpdpbusd on ymm),
  // 2 that kernel built for AVX-512 VL + VNNI (EVEX; how CPUs without AVX-VNNI check it).
  int vnni256 = 0;
  std::vector<int8_t> data;           // layout depends on path (see int8_gemm.cc)
  std::vector<int32_t> row_sum_x128;  // 128 * sum_k W[n][k] (VNNI runs A + 128 as u8)
};

// The path int8_gemm runs for `path` on this CPU (kAvx512 needs VNNI, else kAvx2).
KernelPath int8_gemm_path(KernelPath path);

// kNeon uses the ARMv8.2 dot-product kernel where the CPU has it, unless disabled here
// (process-wide, for tests that compare both NEON kernels). Weights packed before a change
// keep the kernel they were packed for.
bool int8_gemm_neon_dotprod_available();
void set_int8_gemm_neon_dotprod(bool enabled);

// Weights packed for kAvx2 use the AVX-VNNI kernel where the CPU has AVX-VNNI (vnni256 1),
// else the int16 kernel (0). int8_gemm_avx2_vnni256_variants() lists the variants this CPU
// runs (2 where it has AVX-512 VL + VNNI); set_int8_gemm_avx2_vnni256(v) forces one for the
// weights packed next (process-wide, for tests; -1 restores the automatic choice).
std::vector<int> int8_gemm_avx2_vnni256_variants();
void set_int8_gemm_avx2_vnni256(int variant);

// Packs W (n rows of k, row stride ldw) for int8_gemm_path(path). ConfigError on bad shapes.
PackedInt8Weights pack_int8_weights(const int8_t* w, int n, int k, size_t ldw, KernelPath path);
PackedInt8Weights pack_int8_weights(const int8_t* w, int n, int k, size_t ldw);  // active path

// C (m rows of w.n, row stride ldc) = A (m rows of w.k, row stride lda) * W^T.
// Returns the path that ran (the one w was packed for).
KernelPath int8_gemm(const int8_t* a, int m, size_t lda, const PackedInt8Weights& w, int32_t* c, size_t ldc);

// Activation rows in the form the kernel for `path` reads, each kp elements, zero past k:
// u8 = A + 128 (AVX-512 VNNI, AVX2 with vnni256), int16 (AVX2), int8 (NEON, scalar).
// Reused across calls.
struct Int8Activations {
  int m = 0, k = 0, kp = 0;
  KernelPath path = KernelPath::kScalar;
  int vnni256 = 0;             // as the weights they were prepared for
  std::vector<int8_t> narrow;  // kAvx512 (as u8), kNeon, kScalar
  std::vector<int16_t> wide;   // kAvx2
  std::vector<float> scales;   // per row: q = round(x * scale), 127 / absmax (1 for a zero row)
  bool is_wide() const { return path == KernelPath::kAvx2 && vnni256 == 0; }
  bool is_u8() const { return path == KernelPath::kAvx512 || (path == KernelPath::kAvx2 && vnni256 != 0); }
  const void* data() const { return is_wide() ? static_cast<const void*>(wide.data()) : narrow.data(); }
};

// Quantizes m fp32 rows of w.k values (row i at x + i * row_stride) with one dynamic scale per
// row, round to nearest even, clamp to [-127, 127], straight into the layout w's kernel reads.
// (Packed or transposed inputs are gathered into rows first: kernels/elempack.h.)
void quantize_int8_activations(const float* x, int m, size_t row_stride, const PackedInt8Weights& w,
                               Int8Activations* out);

// Output columns [n_begin, n_end) of C = A * W^T for prepared activations: c points at row 0,
// column 0. n_begin must be a multiple of int8_gemm_column_step(w), so threads can split n.
void int8_gemm_columns(const Int8Activations& a, const PackedInt8Weights& w, int n_begin, int n_end, int32_t* c,
                       size_t ldc);
int int8_gemm_column_step(const PackedInt8Weights& w);

// This core's int8 multiply-add ceiling in GOP/s (2 ops per multiply-add), measured for about
// `seconds` with a loop of independent vpdpbusd; 0 where there is no such loop (no AVX-512 VNNI).
double measure_int8_peak_gops(double seconds);

}  // namespace kernels
}  // namespace ncasr
