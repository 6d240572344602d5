// AVX-512 VNNI int8 matrix product: vpdpbusd multiplies 4 u8 x 4 s8 pairs and adds them into
// each int32 lane. Weights are packed in 64-column panels, [panel][k/4][64 columns][4 k] (the
// last panel as wide as it needs, in steps of 16), so a panel streams from memory; activation
// rows arrive as A + 128 (u8) and 128 * sum_k W[n][k] is subtracted at the end, which makes
// the result the exact s8 x s8 sum. A tile is up to 6 rows x 4 blocks (64 columns): 24
// accumulators, so each weight load feeds up to 6 multiply-adds and each activation
// broadcast up to 4; groups of 8 rows take the panel in two halves of 2 blocks (16
// accumulators, 8 multiply-adds per weight load). Tiles walk the rows inside a 64-column
// panel, whose weights stay in cache while the rows go by; the next ones are prefetched.
#include <immintrin.h>

#include <cstring>

#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

namespace {

constexpr int kMaxRows = 6;
constexpr int kMaxBlocks = 4;
constexpr int kPrefetchGroups = 32;  // weights fetched this many k-groups ahead of use

// GCC 12 allocates the intrinsic's accumulator only in zmm0-15 (it copies through one of them
// and spills); the instruction itself takes any of zmm0-31, so say it directly.
inline __m512i dpbusd(__m512i acc, __m512i a, __m512i w) {
#if defined(__GNUC__) && !defined(__clang__)
  asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
  return acc;
#else
  return _mm512_dpbusd_epi32(acc, a, w);
#endif
}

// One accumulator variable per (row, block) rather than an array: GCC keeps a 24-vector array
// on the stack, named variables stay in registers. Unused ones are compiled out (if constexpr).
#define NCASR_ROW(r)                                               \
  if constexpr (R > r) {                                           \
    int32_t a4;                                                    \
    std::memcpy(&a4, au + static_cast<size_t>(r) * kp + 4 * g, 4); \
    const __m512i a = _mm512_set1_epi32(a4);                       \
    c##r##0 = dpbusd(c##r##0, a, w0);                              \
    if constexpr (NB > 1) c##r##1 = dpbusd(c##r##1, a, w1);        \
    if constexpr (NB > 2) c##r##2 = dpbusd(c##r##2, a, w2);        \
    if constexpr (NB > 3) c##r##3 = dpbusd(c##r##3, a, w3);        \
  }
#define NCASR_STORE(r, b) \
  if constexpr (R > r && NB > b) store(c##r##b, r, b);
#define NCASR_ACC(r) __m512i c##r##0 = z, c##r##1 = z, c##r##2 = z, c##r##3 = z;

template <int R, int NB>
inline void tile(const uint8_t* au, int kp, const int8_t* wp, size_t gstride, int n_left, const int32_t* rs, int32_t* c,
                 size_t ldc) {
  static_assert(R * NB <= 24, "more accumulators than zmm registers");
  const int groups = kp / 4;
  const __m512i z = _mm512_setzero_si512();
  // clang-format off: the macros end their own statements; one row of the grid per line
  NCASR_ACC(0) NCASR_ACC(1) NCASR_ACC(2) NCASR_ACC(3) NCASR_ACC(4) NCASR_ACC(5) NCASR_ACC(6) NCASR_ACC(7)
  // clang-format on
  for (int g = 0; g < groups; ++g) {
    const int8_t* wg = wp + static_cast<size_t>(g) * gstride;
    const char* ahead = reinterpret_cast<const char*>(wg + gstride * kPrefetchGroups);
    _mm_prefetch(ahead, _MM_HINT_T0);
    if constexpr (NB > 1) _mm_prefetch(ahead + 64, _MM_HINT_T0);
    if constexpr (NB > 2) _mm_prefetch(ahead + 128, _MM_HINT_T0);
    if constexpr (NB > 3) _mm_prefetch(ahead + 192, _MM_HINT_T0);
    const __m512i w0 = _mm512_loadu_si512(wg);
    const __m512i w1 = NB > 1 ? _mm512_loadu_si512(wg + 64) : z;
    const __m512i w2 = NB > 2 ? _mm512_loadu_si512(wg + 128) : z;
    const __m512i w3 = NB > 3 ? _mm512_loadu_si512(wg + 192) : z;
    // clang-format off
    NCASR_ROW(0) NCASR_ROW(1) NCASR_ROW(2) NCASR_ROW(3) NCASR_ROW(4) NCASR_ROW(5) NCASR_ROW(6) NCASR_ROW(7)
    // clang-format on
  }
  auto store = [&](__m512i acc, int r, int b) {
    const int cols = n_left - b * 16 < 16 ? n_left - b * 16 : 16;
    const __mmask16 m = static_cast<__mmask16>((1u << cols) - 1u);
    const __m512i sum = _mm512_maskz_loadu_epi32(m, rs + b * 16);
    _mm512_mask_storeu_epi32(c + r * ldc + b * 16, m, _mm512_sub_epi32(acc, sum));
  };
  // clang-format off
  NCASR_STORE(0, 0) NCASR_STORE(0, 1) NCASR_STORE(0, 2) NCASR_STORE(0, 3)
  NCASR_STORE(1, 0) NCASR_STORE(1, 1) NCASR_STORE(1, 2) NCASR_STORE(1, 3)
  NCASR_STORE(2, 0) NCASR_STORE(2, 1) NCASR_STORE(2, 2) NCASR_STORE(2, 3)
  NCASR_STORE(3, 0) NCASR_STORE(3, 1) NCASR_STORE(3, 2) NCASR_STORE(3, 3)
  NCASR_STORE(4, 0) NCASR_STORE(4, 1) NCASR_STORE(4, 2) NCASR_STORE(4, 3)
  NCASR_STORE(5, 0) NCASR_STORE(5, 1) NCASR_STORE(5, 2) NCASR_STORE(5, 3)
  NCASR_STORE(6, 0) NCASR_STORE(6, 1)
  NCASR_STORE(7, 0) NCASR_STORE(7, 1)
  // clang-format on
}

#undef NCASR_ROW
#undef NCASR_STORE
#undef NCASR_ACC

// Up to 6 rows against every block of the panel (up to 24 accumulators).
template <int NB>
inline void wide_tile(const uint8_t* au, int rows, int kp, const int8_t* wp, size_t gstride, int n_left,
                      const int32_t* rs, int32_t* c, size_t ldc) {
  switch (rows) {
    case 1: tile<1, NB>(au, kp, wp, gstride, n_left, rs, c, ldc); break;
    case 2: tile<2, NB>(au, kp, wp, gstride, n_left, rs, c, ldc); break;
    case 3: tile<3, NB>(au, kp, wp, gstride, n_left, rs, c, ldc); break;
    case 4: tile<4, NB>(au, kp, wp, gstride, n_left, rs, c, ldc); break;
    case 5: tile<5, NB>(au, kp, wp, gstride, n_left, rs, c, ldc); break;
    default: tile<6, NB>(au, kp, wp, gstride, n_left, rs, c, ldc); break;
  }
}

}  // namespace

void int8_gemm_avx512vnni(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128,
                          int32_t* c, size_t ldc) {
  const uint8_t* au = static_cast<const uint8_t*>(ap);
  for (int j = 0; j < n; j += 16 * kMaxBlocks) {
    const int n_left = n - j;
    const int blocks = n_left >= 16 * kMaxBlocks ? kMaxBlocks : (n_left + 15) / 16;
    const size_t gstride = static_cast<size_t>(blocks) * 64;  // panel bytes per k-group
    const int8_t* wj = wp + static_cast<size_t>(j) * kp;
    const int32_t* rs = row_sum_x128 + j;
    for (int i = 0; i < m;) {
      const uint8_t* ai = au + static_cast<size_t>(i) * kp;
      int32_t* ci = c + i * ldc + j;
      if (m - i >= 8) {
        // 8 rows against two blocks at a time: every weight load feeds 8 multiply-adds.
        for (int b = 0; b < blocks; b += 2) {
          const int8_t* wb = wj + b * 64;
          if (blocks - b >= 2)
            tile<8, 2>(ai, kp, wb, gstride, n_left - b * 16, rs + b * 16, ci + b * 16, ldc);
          else
            tile<8, 1>(ai, kp, wb, gstride, n_left - b * 16, rs + b * 16, ci + b * 16, ldc);
        }
        i += 8;
        continue;
      }
      const int r = m - i < kMaxRows ? m - i : kMaxRows;
      switch (blocks) {
        case 1: wide_tile<1>(ai, r, kp, wj, gstride, n_left, rs, ci, ldc); break;
        case 2: wide_tile<2>(ai, r, kp, wj, gstride, n_left, rs, ci, ldc); break;
        case 3: wide_tile<3>(ai, r, kp, wj, gstride, n_left, rs, ci, ldc); break;
        default: wide_tile<kMaxBlocks>(ai, r, kp, wj, gstride, n_left, rs, ci, ldc); break;
      }
      i += r;
    }
  }
}

// Output as u8 = q + 128, the form vpdpbusd reads.
float quantize_row_avx512vnni(const float* x, int k, void* out) {
  __m512 mx = _mm512_setzero_ps();
  int t = 0;
  for (; t + 16 <= k; t += 16) mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_loadu_ps(x + t)));
  const __mmask16 tail = static_cast<__mmask16>((1u << (k - t)) - 1u);
  mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail, x + t)));
  const float absmax = _mm512_reduce_max_ps(mx);
  const float scale = absmax > 0.f ? 127.f / absmax : 1.f;
  const __m512 s = _mm512_set1_ps(scale);
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127), bias = _mm512_set1_epi32(128);
  uint8_t* u = static_cast<uint8_t*>(out);
  for (t = 0; t < k; t += 16) {
    const __mmask16 m = k - t >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (k - t)) - 1u);
    __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + t), s));  // nearest even
    q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(q, lo), hi), bias);
    _mm512_mask_cvtepi32_storeu_epi8(u + t, m, q);
  }
  return scale;
}

// The CPU's int8 multiply-add ceiling: 12 independent vpdpbusd chains (enough to cover the
// instruction's latency on every core that has it), nothing else. 64 multiply-adds each.
int64_t int8_peak_loop_avx512vnni(int64_t iterations) {
  __m512i acc[12];
  for (auto& a : acc) a = _mm512_setzero_si512();
  const __m512i a = _mm512_set1_epi8(1), w = _mm512_set1_epi8(1);
  for (int64_t i = 0; i < iterations; ++i) {
    acc[0] = dpbusd(acc[0], a, w);
    acc[1] = dpbusd(acc[1], a, w);
    acc[2] = dpbusd(acc[2], a, w);
    acc[3] = dpbusd(acc[3], a, w);
    acc[4] = dpbusd(acc[4], a, w);
    acc[5] = dpbusd(acc[5], a, w);
    acc[6] = dpbusd(acc[6], a, w);
    acc[7] = dpbusd(acc[7], a, w);
    acc[8] = dpbusd(acc[8], a, w);
    acc[9] = dpbusd(acc[9], a, w);
    acc[10] = dpbusd(acc[10], a, w);
    acc[11] = dpbusd(acc[11], a, w);
  }
  __m512i sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm512_add_epi32(sum, acc[i]);
  return _mm512_reduce_add_epi32(sum);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
