// AVX2 int8 depthwise 1-D convolution (kernels/int8_depthwise_conv1d.h). No 8-bit dot product
// here, so each 4-tap block sum is vpsignb (the activation takes the weight's sign),
// vpmaddubsw (|w| times it, pairs added: at most 2 * 127 * 127, so never saturated: exact)
// and vpmaddwd by ones (pairs of pairs into int32). 8 channels per ymm, or 4 per xmm.
#include <immintrin.h>

#include "kernels/int8_depthwise_conv1d_isa.h"
#include "kernels/x86/int8_dw_blocks.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline __m256i dot4(__m256i acc, __m256i x, __m256i w, __m256i w_abs, __m256i ones) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(x, w)), ones));
}

inline __m128i dot4(__m128i acc, __m128i x, __m128i w, __m128i w_abs, __m128i ones) {
  return _mm_add_epi32(acc, _mm_madd_epi16(_mm_maddubs_epi16(w_abs, _mm_sign_epi8(x, w)), ones));
}

}  // namespace

void int8_depthwise_conv1d_avx2(const Int8DwArgs& a, int r0, int r1) {
  const int P = a.pack, C = a.channels, J = a.blocks;
  const size_t block_stride = int8_dw_block_stride(C), phase_stride = J * block_stride;
  const int nblocks = int8_dw_activation_blocks(a.in_w, a.out_w, J);
  for (int r = r0; r < r1; ++r) {
    const float* xr = a.x + r * a.x_stride;
    float* yr = a.y + r * a.y_stride;
    float sx[16];
    dw_lane_scales_sse(xr, P, a.in_w, sx);
    dw_build_blocks_sse<false>(xr, P, a.in_w, nblocks, sx, a.scratch);
    int g = 0;
    for (; g + 8 <= P; g += 8) {
      const int c = r * P + g;
      const __m256 deq =
          _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_mul_ps(_mm256_loadu_ps(sx + g), _mm256_loadu_ps(a.w_scales + c)));
      const __m256 bias = a.bias ? _mm256_loadu_ps(a.bias + c) : _mm256_setzero_ps();
      const __m256i ones = _mm256_set1_epi16(1);
      const size_t woff = static_cast<size_t>(c) * 4;
      for (int u0 = 0; 4 * u0 < a.out_w; ++u0) {
        __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                          _mm256_setzero_si256()};
        for (int j = 0; j < J; ++j) {
          const __m256i x = _mm256_loadu_si256(
              reinterpret_cast<const __m256i*>(a.scratch + (static_cast<size_t>(u0 + j) * P + g) * 4));
          const size_t o = woff + j * block_stride;
          for (int p = 0; p < 4; ++p) {
            const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.phased + o + p * phase_stride));
            const __m256i wa =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.phased_abs + o + p * phase_stride));
            acc[p] = dot4(acc[p], x, w, wa, ones);
          }
        }
        for (int p = 0; p < 4 && 4 * u0 + p < a.out_w; ++p) {
          const __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc[p]), deq);
          _mm256_storeu_ps(yr + static_cast<size_t>(4 * u0 + p) * P + g, _mm256_add_ps(v, bias));
        }
      }
    }
    for (; g < P; g += 4) {
      const int c = r * P + g;
      const __m128 deq = _mm_div_ps(_mm_set1_ps(1.f), _mm_mul_ps(_mm_loadu_ps(sx + g), _mm_loadu_ps(a.w_scales + c)));
      const __m128 bias = a.bias ? _mm_loadu_ps(a.bias + c) : _mm_setzero_ps();
      const __m128i ones = _mm_set1_epi16(1);
      const size_t woff = static_cast<size_t>(c) * 4;
      for (int u0 = 0; 4 * u0 < a.out_w; ++u0) {
        __m128i acc[4] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
        for (int j = 0; j < J; ++j) {
          const __m128i x =
              _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.scratch + (static_cast<size_t>(u0 + j) * P + g) * 4));
          const size_t o = woff + j * block_stride;
          for (int p = 0; p < 4; ++p) {
            const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.phased + o + p * phase_stride));
            const __m128i wa = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.phased_abs + o + p * phase_stride));
            acc[p] = dot4(acc[p], x, w, wa, ones);
          }
        }
        for (int p = 0; p < 4 && 4 * u0 + p < a.out_w; ++p) {
          const __m128 v = _mm_mul_ps(_mm_cvtepi32_ps(acc[p]), deq);
          _mm_storeu_ps(yr + static_cast<size_t>(4 * u0 + p) * P + g, _mm_add_ps(v, bias));
        }
      }
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
