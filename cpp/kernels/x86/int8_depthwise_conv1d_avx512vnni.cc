// AVX-512 VNNI int8 depthwise 1-D convolution (kernels/int8_depthwise_conv1d.h). With 16
// channels per packed row (the usual layout on AVX-512) a zmm holds one 4-time block of all
// 16 channels as u8, built from 4 time steps by saturating packs and one byte shuffle, and
// the 4 outputs of a block are 4 vpdpbusd chains sharing each block load (8 chains over two
// blocks while outputs remain). Other packs run the same scheme 4 channels at a time (xmm,
// AVX-512 VL).
#include <immintrin.h>

#include "kernels/int8_depthwise_conv1d_isa.h"
#include "kernels/x86/int8_dw_blocks.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

void row16(const Int8DwArgs& a, int r) {
  const float* xr = a.x + r * a.x_stride;
  float* yr = a.y + r * a.y_stride;
  uint8_t* blk = a.scratch;
  const int nblocks = int8_dw_activation_blocks(a.in_w, a.out_w, a.blocks);
  // four running maxima: one chain would wait on each max's latency
  __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  int t = 0;
  for (; t + 4 <= a.in_w; t += 4) {
    m0 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + 16 * t)), m0);
    m1 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + 16 * t + 16)), m1);
    m2 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + 16 * t + 32)), m2);
    m3 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + 16 * t + 48)), m3);
  }
  for (; t < a.in_w; ++t) m0 = _mm512_max_ps(_mm512_abs_ps(_mm512_loadu_ps(xr + 16 * t)), m0);
  const __m512 amax = _mm512_max_ps(_mm512_max_ps(m0, m1), _mm512_max_ps(m2, m3));  // no NaN left to order
  const __m512 sx = _mm512_mask_div_ps(_mm512_set1_ps(1.f), _mm512_cmp_ps_mask(amax, _mm512_setzero_ps(), _CMP_GT_OQ),
                                       _mm512_set1_ps(127.f), amax);
  // packs (int32 -> int16 -> int8, saturating, within 128-bit lanes) leave 128-bit lane g
  // holding time i of channels 4g..4g+3 at byte 4 i + l: a 4 x 4 byte transpose away from
  // [channel][time].
  const __m512i transpose = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
  const __m512i lo = _mm512_set1_epi32(-127), bias128 = _mm512_set1_epi8(static_cast<char>(0x80));
  auto quantize = [&](int t) {
    const __m512 v = t < a.in_w ? _mm512_loadu_ps(xr + 16 * t) : _mm512_setzero_ps();
    return _mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(v, sx)), lo);
  };
  for (int u = 0; u < nblocks; ++u) {
    const int t = 4 * u;
    const __m512i q01 = _mm512_packs_epi32(quantize(t), quantize(t + 1));
    const __m512i q23 = _mm512_packs_epi32(quantize(t + 2), quantize(t + 3));
    const __m512i z = _mm512_shuffle_epi8(_mm512_packs_epi16(q01, q23), transpose);
    _mm512_storeu_si512(blk + 64 * static_cast<size_t>(u), _mm512_xor_si512(z, bias128));
  }
  const int c0 = r * 16, C = a.channels, J = a.blocks;
  const __m512 deq = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_mul_ps(sx, _mm512_loadu_ps(a.w_scales + c0)));
  const __m512 bias = a.bias ? _mm512_loadu_ps(a.bias + c0) : _mm512_setzero_ps();
  const __m512i comp = _mm512_loadu_si512(a.sum_x128 + c0);
  const size_t block_stride = int8_dw_block_stride(C), phase_stride = J * block_stride;
  const int8_t* w0 = a.phased + static_cast<size_t>(c0) * 4;
  // Two blocks of outputs at a time: 8 independent vpdpbusd chains.
  auto store = [&](__m512i acc, int t) {
    if (t < a.out_w)
      _mm512_storeu_ps(yr + 16 * static_cast<size_t>(t),
                       _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, comp)), deq), bias));
  };
  int u0 = 0;
  for (; 4 * u0 + 4 < a.out_w; u0 += 2) {  // outputs past 4 u0 + 4 exist: both blocks
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    __m512i x = _mm512_loadu_si512(blk + 64 * static_cast<size_t>(u0));
    for (int j = 0; j < J; ++j) {
      const __m512i xn = _mm512_loadu_si512(blk + 64 * static_cast<size_t>(u0 + j + 1));
      const int8_t* w = w0 + j * block_stride;
      const __m512i v0 = _mm512_loadu_si512(w), v1 = _mm512_loadu_si512(w + phase_stride);
      const __m512i v2 = _mm512_loadu_si512(w + 2 * phase_stride), v3 = _mm512_loadu_si512(w + 3 * phase_stride);
      a0 = _mm512_dpbusd_epi32(a0, x, v0);
      a1 = _mm512_dpbusd_epi32(a1, x, v1);
      a2 = _mm512_dpbusd_epi32(a2, x, v2);
      a3 = _mm512_dpbusd_epi32(a3, x, v3);
      b0 = _mm512_dpbusd_epi32(b0, xn, v0);
      b1 = _mm512_dpbusd_epi32(b1, xn, v1);
      b2 = _mm512_dpbusd_epi32(b2, xn, v2);
      b3 = _mm512_dpbusd_epi32(b3, xn, v3);
      x = xn;
    }
    const int t = 4 * u0;
    store(a0, t), store(a1, t + 1), store(a2, t + 2), store(a3, t + 3);
    store(b0, t + 4), store(b1, t + 5), store(b2, t + 6), store(b3, t + 7);
  }
  if (4 * u0 < a.out_w) {  // the last 1-4 outputs: only the phases that exist
    const int n = a.out_w - 4 * u0;
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < J; ++j) {
      const __m512i x = _mm512_loadu_si512(blk + 64 * static_cast<size_t>(u0 + j));
      const int8_t* w = w0 + j * block_stride;
      a0 = _mm512_dpbusd_epi32(a0, x, _mm512_loadu_si512(w));
      if (n > 1) a1 = _mm512_dpbusd_epi32(a1, x, _mm512_loadu_si512(w + phase_stride));
      if (n > 2) a2 = _mm512_dpbusd_epi32(a2, x, _mm512_loadu_si512(w + 2 * phase_stride));
      if (n > 3) a3 = _mm512_dpbusd_epi32(a3, x, _mm512_loadu_si512(w + 3 * phase_stride));
    }
    const int t = 4 * u0;
    store(a0, t), store(a1, t + 1), store(a2, t + 2), store(a3, t + 3);
  }
}

// Any pack that is a multiple of 4: 4 channels per xmm.
void row_xmm(const Int8DwArgs& a, int r) {
  const int P = a.pack, C = a.channels, J = a.blocks;
  const float* xr = a.x + r * a.x_stride;
  float* yr = a.y + r * a.y_stride;
  float sx[16];
  dw_lane_scales_sse(xr, P, a.in_w, sx);
  const int nblocks = int8_dw_activation_blocks(a.in_w, a.out_w, J);
  dw_build_blocks_sse<true>(xr, P, a.in_w, nblocks, sx, a.scratch);
  const size_t block_stride = int8_dw_block_stride(C), phase_stride = J * block_stride;
  for (int g = 0; g < P; g += 4) {
    const int c = r * P + g;
    const __m128 deq = _mm_div_ps(_mm_set1_ps(1.f), _mm_mul_ps(_mm_loadu_ps(sx + g), _mm_loadu_ps(a.w_scales + c)));
    const __m128 bias = a.bias ? _mm_loadu_ps(a.bias + c) : _mm_setzero_ps();
    const __m128i comp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.sum_x128 + c));
    const int8_t* w0 = a.phased + static_cast<size_t>(c) * 4;
    for (int u0 = 0; 4 * u0 < a.out_w; ++u0) {
      __m128i acc[4] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
      for (int j = 0; j < J; ++j) {
        const __m128i x =
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.scratch + (static_cast<size_t>(u0 + j) * P + g) * 4));
        const int8_t* w = w0 + j * block_stride;
        for (int p = 0; p < 4; ++p)
          acc[p] = _mm_dpbusd_epi32(acc[p], x, _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + p * phase_stride)));
      }
      for (int p = 0; p < 4 && 4 * u0 + p < a.out_w; ++p) {
        const __m128 v = _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(acc[p], comp)), deq);
        _mm_storeu_ps(yr + static_cast<size_t>(4 * u0 + p) * P + g, _mm_add_ps(v, bias));
      }
    }
  }
}

}  // namespace

void int8_depthwise_conv1d_avx512vnni(const Int8DwArgs& a, int r0, int r1) {
  for (int r = r0; r < r1; ++r) {
    if (a.pack == 16)
      row16(a, r);
    else
      row_xmm(a, r);
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
