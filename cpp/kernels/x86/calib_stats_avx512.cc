// AVX-512F calibration kernels (compiled with -mavx512f). Tails use masked loads, so every
// element goes through the vector rules.
#include <immintrin.h>

#include <cfloat>
#include <cstddef>
#include <cstdint>

#include "kernels/calib_stats_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline __mmask16 tail_mask(size_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
}

}  // namespace

void abs_max_avx512(const float* x, size_t n, float* absmax, uint64_t* nonfinite) {
  const __m512 big = _mm512_set1_ps(FLT_MAX);
  __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512 a0 = _mm512_abs_ps(_mm512_loadu_ps(x + i));
    const __m512 a1 = _mm512_abs_ps(_mm512_loadu_ps(x + i + 16));
    const __m512 a2 = _mm512_abs_ps(_mm512_loadu_ps(x + i + 32));
    const __m512 a3 = _mm512_abs_ps(_mm512_loadu_ps(x + i + 48));
    const __mmask16 ok0 = _mm512_cmp_ps_mask(a0, big, _CMP_LE_OQ);
    const __mmask16 ok1 = _mm512_cmp_ps_mask(a1, big, _CMP_LE_OQ);
    const __mmask16 ok2 = _mm512_cmp_ps_mask(a2, big, _CMP_LE_OQ);
    const __mmask16 ok3 = _mm512_cmp_ps_mask(a3, big, _CMP_LE_OQ);
    m0 = _mm512_mask_max_ps(m0, ok0, m0, a0);
    m1 = _mm512_mask_max_ps(m1, ok1, m1, a1);
    m2 = _mm512_mask_max_ps(m2, ok2, m2, a2);
    m3 = _mm512_mask_max_ps(m3, ok3, m3, a3);
    if ((ok0 & ok1 & ok2 & ok3) != 0xffff) {
      bad += 64 - __builtin_popcount(ok0) - __builtin_popcount(ok1) - __builtin_popcount(ok2) - __builtin_popcount(ok3);
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 in = tail_mask(n - i);
    // Lanes outside `in` load as 0, which neither raises the max nor counts as non-finite.
    const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(in, x + i));
    const __mmask16 ok = _mm512_cmp_ps_mask(a, big, _CMP_LE_OQ);
    m0 = _mm512_mask_max_ps(m0, ok, m0, a);
    bad += __builtin_popcount(in & static_cast<__mmask16>(~ok));
  }
  m0 = _mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3));
  *absmax = _mm512_reduce_max_ps(m0);
  *nonfinite = bad;
}

void abs_histogram_avx512(const float* x, size_t n, float scale, int nbins, uint32_t* sub, int nsub, uint64_t* zeros,
                          uint64_t* nonfinite) {
  const size_t stride = static_cast<size_t>(nbins) + 1;
  uint32_t* s0 = sub;
  uint32_t* s1 = nsub == 4 ? sub + stride : sub;
  uint32_t* s2 = nsub == 4 ? sub + 2 * stride : sub;
  uint32_t* s3 = nsub == 4 ? sub + 3 * stride : sub;
  const __m512 big = _mm512_set1_ps(FLT_MAX);
  const __m512 zero = _mm512_setzero_ps();
  const __m512 vscale = _mm512_set1_ps(scale);
  const __m512 vtop = _mm512_set1_ps(static_cast<float>(nbins - 1));
  const __m512i vdiscard = _mm512_set1_epi32(nbins);
  alignas(64) int32_t idx[16];
  uint64_t z = 0, bad = 0;
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 in = tail_mask(n - i);
    const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(in, x + i));
    const __mmask16 fin = _mm512_cmp_ps_mask(a, big, _CMP_LE_OQ);
    const __mmask16 pos = _mm512_cmp_ps_mask(a, zero, _CMP_GT_OQ);
    const __mmask16 valid = static_cast<__mmask16>(fin & pos & in);
    // Same min(a*scale, top) + truncation as the reference; invalid lanes go to the
    // discard slot.
    const __m512 f = _mm512_min_ps(_mm512_mul_ps(a, vscale), vtop);
    _mm512_store_si512(idx, _mm512_mask_blend_epi32(valid, vdiscard, _mm512_cvttps_epi32(f)));
    if (valid != 0xffff) {
      bad += __builtin_popcount(in & static_cast<__mmask16>(~fin));
      z += __builtin_popcount(in & fin & static_cast<__mmask16>(~pos));
    }
    ++s0[idx[0]];
    ++s1[idx[1]];
    ++s2[idx[2]];
    ++s3[idx[3]];
    ++s0[idx[4]];
    ++s1[idx[5]];
    ++s2[idx[6]];
    ++s3[idx[7]];
    ++s0[idx[8]];
    ++s1[idx[9]];
    ++s2[idx[10]];
    ++s3[idx[11]];
    ++s0[idx[12]];
    ++s1[idx[13]];
    ++s2[idx[14]];
    ++s3[idx[15]];
  }
  *zeros = z;
  *nonfinite = bad;
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
