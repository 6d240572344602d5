#pragma once
// Per-ISA entry points behind kernels/int8_gemm.h; only its dispatcher calls them.
// `ap` holds the m activation rows prepared by the dispatcher for that ISA, each kp elements
// (zero-padded past k): u8 = A + 128 for avx512vnni, int16 for avx2, int8 for neon and ref.
// `wp` is the packed weight data for that ISA's layout. The ISA files allocate nothing
// (no library templates compiled with their -m flags, see calib_stats_isa.h).
#include <cstddef>
#include <cstdint>

namespace ncasr {
namespace kernels {
namespace isa {

// quantize_row: one fp32 row of k values -> its scale s = 127 / absmax (1 for a zero row) and
// round-to-nearest-even(x * s) clamped to [-127, 127], written as the kernel reads it (first k
// elements of `out`; the padding is the caller's). Returns s.
#define NCASR_DECLARE_INT8_GEMM(SUFFIX)                                                                        \
  void int8_gemm_##SUFFIX(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128, \
                          int32_t* c, size_t ldc);                                                             \
  float quantize_row_##SUFFIX(const float* x, int k, void* out);

#if defined(NCASR_HAVE_X86_KERNELS)
// 12 x iterations vpdpbusd (64 multiply-adds each) and nothing else; returns their sum.
int64_t int8_peak_loop_avx512vnni(int64_t iterations);
NCASR_DECLARE_INT8_GEMM(avx2)
NCASR_DECLARE_INT8_GEMM(avx512vnni)
// 256-bit VNNI on the AVX2 weight layout, u8 (A + 128) activations (int8_gemm_vnni256.h):
// the AVX-VNNI build and the same code built for AVX-512 VL + VNNI.
void int8_gemm_avxvnni(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128, int32_t* c,
                       size_t ldc);
void int8_gemm_avxvnni_evex(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128,
                            int32_t* c, size_t ldc);
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_INT8_GEMM(neon)
// ARMv8.2 SDOT: weights in 16-column blocks [k/4][16][4], activations int8 (no quantize_row:
// the plain NEON one writes the same form).
void int8_gemm_neon_dotprod(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128,
                            int32_t* c, size_t ldc);
#endif
NCASR_DECLARE_INT8_GEMM(ref)

#undef NCASR_DECLARE_INT8_GEMM

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
