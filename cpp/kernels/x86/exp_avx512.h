#pragma once
// The AVX-512 exp, sigmoid and tanh of kernels/exp_approx.h, for the AVX-512 kernel files only
// (each is built with its own ISA flags; internal linkage keeps the copies apart).
#include <immintrin.h>

#include "kernels/exp_approx.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

inline __m512 exp_approx(__m512 x) {
  x = _mm512_min_ps(x, _mm512_set1_ps(kExpHi));
  x = _mm512_max_ps(x, _mm512_set1_ps(kExpLo));
  const __m512 n =
      _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(kExpC1)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(kExpC2)));
  __m512 p = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(kExpP0), r), _mm512_set1_ps(kExpP1));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP2));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP3));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP4));
  p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(kExpP5));
  const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(p, _mm512_mul_ps(r, r)), r), _mm512_set1_ps(1.f));
  const __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

inline __m512 sigmoid(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.f);
  return _mm512_div_ps(one, _mm512_add_ps(one, exp_approx(_mm512_sub_ps(_mm512_setzero_ps(), v))));
}

inline __m512 tanh_approx(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.f), two = _mm512_set1_ps(2.f);
  const __m512 e = exp_approx(_mm512_mul_ps(_mm512_set1_ps(-2.f), v));
  return _mm512_sub_ps(_mm512_div_ps(two, _mm512_add_ps(one, e)), one);
}

}  // namespace
}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
