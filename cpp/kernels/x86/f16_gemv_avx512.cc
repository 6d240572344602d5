// AVX-512 panel matrix-vector product, fp16 weights (vcvtph2ps) or float weights: a panel's
// 16 rows are one vector, four panels in flight to hide the add latency; the order of every
// row's sum is the scalar twin's.
#include <immintrin.h>

#include "kernels/f16_gemv.h"
#include "kernels/f16_gemv_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

constexpr int R = kF16PanelRows;

__m512 load16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
__m512 load16(const float* p) { return _mm512_loadu_ps(p); }

__m512 start(const float* bias, int row, int rows) {
  if (!bias) return _mm512_setzero_ps();
  const int n = rows - row;
  if (n >= R) return _mm512_loadu_ps(bias + row);
  return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), bias + row);
}

void store(float* y, int row, int rows, __m512 v) {
  const int n = rows - row;
  if (n >= R)
    _mm512_storeu_ps(y + row, v);
  else
    _mm512_mask_storeu_ps(y + row, static_cast<__mmask16>((1u << n) - 1), v);
}

template <typename W>
void gemv_panels(const W* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                 int panel1) {
  const size_t panel_size = static_cast<size_t>(cols) * R;
  int p = panel0;
  for (; p + 4 <= panel1; p += 4) {
    const W* w0 = data + p * panel_size;
    const W* w1 = w0 + panel_size;
    const W* w2 = w1 + panel_size;
    const W* w3 = w2 + panel_size;
    __m512 a0 = start(bias, p * R, rows), a1 = start(bias, (p + 1) * R, rows);
    __m512 a2 = start(bias, (p + 2) * R, rows), a3 = start(bias, (p + 3) * R, rows);
    for (int k = 0; k < cols; ++k) {
      const __m512 xk = _mm512_set1_ps(x[k]);
      const size_t o = static_cast<size_t>(k) * R;
      a0 = _mm512_add_ps(a0, _mm512_mul_ps(load16(w0 + o), xk));
      a1 = _mm512_add_ps(a1, _mm512_mul_ps(load16(w1 + o), xk));
      a2 = _mm512_add_ps(a2, _mm512_mul_ps(load16(w2 + o), xk));
      a3 = _mm512_add_ps(a3, _mm512_mul_ps(load16(w3 + o), xk));
    }
    store(y, p * R, rows, a0);
    store(y, (p + 1) * R, rows, a1);
    store(y, (p + 2) * R, rows, a2);
    store(y, (p + 3) * R, rows, a3);
  }
  for (; p < panel1; ++p) {
    const W* w0 = data + p * panel_size;
    __m512 a0 = start(bias, p * R, rows);
    for (int k = 0; k < cols; ++k)
      a0 = _mm512_add_ps(a0, _mm512_mul_ps(load16(w0 + static_cast<size_t>(k) * R), _mm512_set1_ps(x[k])));
    store(y, p * R, rows, a0);
  }
}

}  // namespace

void f16_gemv_avx512(const uint16_t* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                     int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

void f32_gemv_avx512(const float* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                     int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
