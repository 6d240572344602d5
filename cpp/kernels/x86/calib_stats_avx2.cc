// AVX2 calibration kernels (compiled with -mavx2). The scalar tails repeat the reference
// rules inline so the whole result comes from this file.
#include <immintrin.h>

#include <cfloat>
#include <cstddef>
#include <cstdint>

#include "kernels/calib_stats_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline float tail_abs(float v) {
  uint32_t u;
  __builtin_memcpy(&u, &v, 4);
  u &= 0x7fffffffu;
  __builtin_memcpy(&v, &u, 4);
  return v;
}

}  // namespace

void abs_max_avx2(const float* x, size_t n, float* absmax, uint64_t* nonfinite) {
  const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 big = _mm256_set1_ps(FLT_MAX);
  __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  uint64_t bad = 0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 a0 = _mm256_and_ps(_mm256_loadu_ps(x + i), mask);
    const __m256 a1 = _mm256_and_ps(_mm256_loadu_ps(x + i + 8), mask);
    const __m256 a2 = _mm256_and_ps(_mm256_loadu_ps(x + i + 16), mask);
    const __m256 a3 = _mm256_and_ps(_mm256_loadu_ps(x + i + 24), mask);
    // Ordered <=: false for NaN, so non-finite lanes become 0 before the max.
    const __m256 ok0 = _mm256_cmp_ps(a0, big, _CMP_LE_OQ);
    const __m256 ok1 = _mm256_cmp_ps(a1, big, _CMP_LE_OQ);
    const __m256 ok2 = _mm256_cmp_ps(a2, big, _CMP_LE_OQ);
    const __m256 ok3 = _mm256_cmp_ps(a3, big, _CMP_LE_OQ);
    m0 = _mm256_max_ps(m0, _mm256_and_ps(a0, ok0));
    m1 = _mm256_max_ps(m1, _mm256_and_ps(a1, ok1));
    m2 = _mm256_max_ps(m2, _mm256_and_ps(a2, ok2));
    m3 = _mm256_max_ps(m3, _mm256_and_ps(a3, ok3));
    const __m256 all = _mm256_and_ps(_mm256_and_ps(ok0, ok1), _mm256_and_ps(ok2, ok3));
    if (_mm256_movemask_ps(all) != 0xff) {
      bad += 32 - __builtin_popcount(_mm256_movemask_ps(ok0)) - __builtin_popcount(_mm256_movemask_ps(ok1)) -
             __builtin_popcount(_mm256_movemask_ps(ok2)) - __builtin_popcount(_mm256_movemask_ps(ok3));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i), mask);
    const __m256 ok = _mm256_cmp_ps(a, big, _CMP_LE_OQ);
    m0 = _mm256_max_ps(m0, _mm256_and_ps(a, ok));
    bad += 8 - __builtin_popcount(_mm256_movemask_ps(ok));
  }
  m0 = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m0), _mm256_extractf128_ps(m0, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
  float m = _mm_cvtss_f32(h);
  for (; i < n; ++i) {
    const float a = tail_abs(x[i]);
    if (!(a <= FLT_MAX)) {
      ++bad;
      continue;
    }
    if (a > m) m = a;
  }
  *absmax = m;
  *nonfinite = bad;
}

void abs_histogram_avx2(const float* x, size_t n, float scale, int nbins, uint32_t* sub, int nsub, uint64_t* zeros,
                        uint64_t* nonfinite) {
  const size_t stride = static_cast<size_t>(nbins) + 1;
  // Lane l counts into sub-histogram l % nsub, so neighbouring equal bins do not serialise
  // on one counter.
  uint32_t* s0 = sub;
  uint32_t* s1 = nsub == 4 ? sub + stride : sub;
  uint32_t* s2 = nsub == 4 ? sub + 2 * stride : sub;
  uint32_t* s3 = nsub == 4 ? sub + 3 * stride : sub;
  const float top = static_cast<float>(nbins - 1);
  const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 big = _mm256_set1_ps(FLT_MAX);
  const __m256 zero = _mm256_setzero_ps();
  const __m256 vscale = _mm256_set1_ps(scale);
  const __m256 vtop = _mm256_set1_ps(top);
  const __m256i vdiscard = _mm256_set1_epi32(nbins);
  alignas(32) int32_t idx[8];
  uint64_t z = 0, bad = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i), mask);
    const __m256 fin = _mm256_cmp_ps(a, big, _CMP_LE_OQ);
    const __m256 pos = _mm256_cmp_ps(a, zero, _CMP_GT_OQ);
    const __m256 valid = _mm256_and_ps(fin, pos);
    // min(a*scale, top) as in the reference: min_ps returns top when the product is not
    // below it (inf) and for NaN products, which only occur on masked-out lanes.
    const __m256 f = _mm256_min_ps(_mm256_mul_ps(a, vscale), vtop);
    const __m256i bin = _mm256_cvttps_epi32(f);
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx), _mm256_blendv_epi8(vdiscard, bin, _mm256_castps_si256(valid)));
    const int vm = _mm256_movemask_ps(valid);
    if (vm != 0xff) {
      const int fm = _mm256_movemask_ps(fin);
      bad += 8 - __builtin_popcount(fm);
      z += __builtin_popcount(fm & ~_mm256_movemask_ps(pos));
    }
    ++s0[idx[0]];
    ++s1[idx[1]];
    ++s2[idx[2]];
    ++s3[idx[3]];
    ++s0[idx[4]];
    ++s1[idx[5]];
    ++s2[idx[6]];
    ++s3[idx[7]];
  }
  for (; i < n; ++i) {
    const float a = tail_abs(x[i]);
    if (!(a <= FLT_MAX)) {
      ++bad;
      continue;
    }
    if (a == 0.f) {
      ++z;
      continue;
    }
    float f = a * scale;
    if (!(f < top)) f = top;
    ++s0[static_cast<int>(f)];
  }
  *zeros = z;
  *nonfinite = bad;
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
