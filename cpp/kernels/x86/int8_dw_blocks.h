#pragma once
// Shared by the x86 int8 depthwise kernels (each includes it under its own ISA flags; all
// functions have internal linkage): per-lane activation scales and the 4-time activation
// blocks of one packed row, built 4 channels at a time with SSE4.1 operations.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

// sx[lane] = 127 / max_t |x| (1 for a zero lane); max ignores NaN like std::fmax (the
// running maximum is the second operand, which maxps returns when the first is NaN).
inline void dw_lane_scales_sse(const float* xr, int P, int in_w, float* sx) {
  const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
  for (int g = 0; g < P; g += 4) {
    __m128 m = _mm_setzero_ps();
    for (int t = 0; t < in_w; ++t)
      m = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(xr + static_cast<size_t>(t) * P + g), abs_mask), m);
    const __m128 s = _mm_div_ps(_mm_set1_ps(127.f), m);
    _mm_storeu_ps(sx + g, _mm_blendv_ps(_mm_set1_ps(1.f), s, _mm_cmpgt_ps(m, _mm_setzero_ps())));
  }
}

// Blocks [0, nblocks) of a packed row: block u, lane l holds q(x[4u + i][l]) for i = 0..3
// (zero past in_w), at out + (u * P + l) * 4 + i; as u8 = q + 128 when kU8.
template <bool kU8>
inline void dw_build_blocks_sse(const float* xr, int P, int in_w, int nblocks, const float* sx, uint8_t* out) {
  const __m128i lo = _mm_set1_epi32(-127);
  for (int g = 0; g < P; g += 4) {
    const __m128 s = _mm_loadu_ps(sx + g);
    for (int u = 0; u < nblocks; ++u) {
      __m128i q[4];
      for (int i = 0; i < 4; ++i) {
        const int t = 4 * u + i;
        const __m128 v = t < in_w ? _mm_loadu_ps(xr + static_cast<size_t>(t) * P + g) : _mm_setzero_ps();
        q[i] = _mm_max_epi32(_mm_cvtps_epi32(_mm_mul_ps(v, s)), lo);
      }
      const __m128i t0 = _mm_unpacklo_epi32(q[0], q[1]), t1 = _mm_unpacklo_epi32(q[2], q[3]);
      const __m128i t2 = _mm_unpackhi_epi32(q[0], q[1]), t3 = _mm_unpackhi_epi32(q[2], q[3]);
      const __m128i l01 = _mm_packs_epi32(_mm_unpacklo_epi64(t0, t1), _mm_unpackhi_epi64(t0, t1));
      const __m128i l23 = _mm_packs_epi32(_mm_unpacklo_epi64(t2, t3), _mm_unpackhi_epi64(t2, t3));
      __m128i b = _mm_packs_epi16(l01, l23);  // saturates at 127, as the scalar clamp
      if (kU8) b = _mm_xor_si128(b, _mm_set1_epi8(static_cast<char>(0x80)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + (static_cast<size_t>(u) * P + g) * 4), b);
    }
  }
}

}  // namespace
}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
