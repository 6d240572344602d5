// AVX2 panel matrix-vector product, fp16 weights (vcvtph2ps, F16C: every CPU ncnn calls
// AVX2-capable has it) or float weights: a panel's 16 rows are two 8-lane vectors, two panels
// in flight; the order of every row's sum is the scalar twin's.
#include <immintrin.h>

#include "kernels/f16_gemv.h"
#include "kernels/f16_gemv_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

constexpr int R = kF16PanelRows;

__m256 load8(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
__m256 load8(const float* p) { return _mm256_loadu_ps(p); }

// Eight rows' starting values (bias or zero), rows past `rows` zero.
__m256 start(const float* bias, int row, int rows) {
  if (!bias) return _mm256_setzero_ps();
  if (rows - row >= 8) return _mm256_loadu_ps(bias + row);
  alignas(32) float b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < rows - row; ++i) b[i] = bias[row + i];
  return _mm256_load_ps(b);
}

void store(float* y, int row, int rows, __m256 v) {
  if (rows - row >= 8) {
    _mm256_storeu_ps(y + row, v);
    return;
  }
  alignas(32) float b[8];
  _mm256_store_ps(b, v);
  for (int i = 0; i < rows - row; ++i) y[row + i] = b[i];
}

template <typename W>
void gemv_panels(const W* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                 int panel1) {
  const size_t panel_size = static_cast<size_t>(cols) * R;
  int p = panel0;
  for (; p + 2 <= panel1; p += 2) {
    const W* w0 = data + p * panel_size;
    const W* w1 = w0 + panel_size;
    const int r0 = p * R, r1 = r0 + R;
    __m256 a0 = start(bias, r0, rows), a1 = start(bias, r0 + 8, rows);
    __m256 a2 = start(bias, r1, rows), a3 = start(bias, r1 + 8, rows);
    for (int k = 0; k < cols; ++k) {
      const __m256 xk = _mm256_set1_ps(x[k]);
      const size_t o = static_cast<size_t>(k) * R;
      a0 = _mm256_add_ps(a0, _mm256_mul_ps(load8(w0 + o), xk));
      a1 = _mm256_add_ps(a1, _mm256_mul_ps(load8(w0 + o + 8), xk));
      a2 = _mm256_add_ps(a2, _mm256_mul_ps(load8(w1 + o), xk));
      a3 = _mm256_add_ps(a3, _mm256_mul_ps(load8(w1 + o + 8), xk));
    }
    store(y, r0, rows, a0);
    if (r0 + 8 < rows) store(y, r0 + 8, rows, a1);
    if (r1 < rows) store(y, r1, rows, a2);
    if (r1 + 8 < rows) store(y, r1 + 8, rows, a3);
  }
  for (; p < panel1; ++p) {
    const W* w0 = data + p * panel_size;
    const int r0 = p * R;
    __m256 a0 = start(bias, r0, rows), a1 = start(bias, r0 + 8, rows);
    for (int k = 0; k < cols; ++k) {
      const __m256 xk = _mm256_set1_ps(x[k]);
      const size_t o = static_cast<size_t>(k) * R;
      a0 = _mm256_add_ps(a0, _mm256_mul_ps(load8(w0 + o), xk));
      a1 = _mm256_add_ps(a1, _mm256_mul_ps(load8(w0 + o + 8), xk));
    }
    store(y, r0, rows, a0);
    if (r0 + 8 < rows) store(y, r0 + 8, rows, a1);
  }
}

}  // namespace

void f16_gemv_avx2(const uint16_t* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                   int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

void f32_gemv_avx2(const float* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                   int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
