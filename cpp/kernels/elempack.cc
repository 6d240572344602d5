#include "kernels/elempack.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#define NCASR_ELEMPACK_SSE2 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define NCASR_ELEMPACK_NEON 1
#endif

namespace ncasr {
namespace kernels {
namespace {

// 4 x 4 float transpose: in[i] points at row i (4 floats), out[j] receives column j.
inline void transpose4(const float* r0, const float* r1, const float* r2, const float* r3, float* o0, float* o1,
                       float* o2, float* o3) {
#if defined(NCASR_ELEMPACK_SSE2)
  __m128 a = _mm_loadu_ps(r0), b = _mm_loadu_ps(r1), c = _mm_loadu_ps(r2), d = _mm_loadu_ps(r3);
  _MM_TRANSPOSE4_PS(a, b, c, d);
  _mm_storeu_ps(o0, a);
  _mm_storeu_ps(o1, b);
  _mm_storeu_ps(o2, c);
  _mm_storeu_ps(o3, d);
#elif defined(NCASR_ELEMPACK_NEON)
  const float32x4x2_t ab = vtrnq_f32(vld1q_f32(r0), vld1q_f32(r1));
  const float32x4x2_t cd = vtrnq_f32(vld1q_f32(r2), vld1q_f32(r3));
  vst1q_f32(o0, vcombine_f32(vget_low_f32(ab.val[0]), vget_low_f32(cd.val[0])));
  vst1q_f32(o1, vcombine_f32(vget_low_f32(ab.val[1]), vget_low_f32(cd.val[1])));
  vst1q_f32(o2, vcombine_f32(vget_high_f32(ab.val[0]), vget_high_f32(cd.val[0])));
  vst1q_f32(o3, vcombine_f32(vget_high_f32(ab.val[1]), vget_high_f32(cd.val[1])));
#else
  const float* in[4] = {r0, r1, r2, r3};
  float* out[4] = {o0, o1, o2, o3};
  float t[4][4];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) t[j][i] = in[i][j];
  for (int j = 0; j < 4; ++j)
    for (int i = 0; i < 4; ++i) out[j][i] = t[j][i];
#endif
}

// out[q] = c[q] * (row_inv * col_inv[q]) + bias[q], q < 4, in that order of operations.
inline void dequantize4(const int32_t* c, float row_inv, const float* col_inv, const float* bias, float* out) {
#if defined(NCASR_ELEMPACK_SSE2)
  const __m128 scale = _mm_mul_ps(_mm_set1_ps(row_inv), _mm_loadu_ps(col_inv));
  const __m128 v = _mm_cvtepi32_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c)));
  _mm_storeu_ps(out, _mm_add_ps(_mm_mul_ps(v, scale), _mm_loadu_ps(bias)));
#elif defined(NCASR_ELEMPACK_NEON)
  const float32x4_t scale = vmulq_f32(vdupq_n_f32(row_inv), vld1q_f32(col_inv));
  const float32x4_t v = vcvtq_f32_s32(vld1q_s32(c));
  vst1q_f32(out, vaddq_f32(vmulq_f32(v, scale), vld1q_f32(bias)));
#else
  for (int q = 0; q < 4; ++q) out[q] = static_cast<float>(c[q]) * (row_inv * col_inv[q]) + bias[q];
#endif
}

}  // namespace

void unpack_rows(const float* x, int blocks, int k, int p, float* dst, size_t stride) {
  for (int b = 0; b < blocks; ++b) {
    const float* xb = x + static_cast<size_t>(b) * k * p;
    float* db = dst + static_cast<size_t>(b) * p * stride;
    int t = 0;
    if (p % 4 == 0) {
      // 4 columns (k) x 4 rows (r) at a time: the source holds, for each k, p rows in a run.
      for (; t + 4 <= k; t += 4)
        for (int r = 0; r < p; r += 4)
          transpose4(xb + static_cast<size_t>(t) * p + r, xb + static_cast<size_t>(t + 1) * p + r,
                     xb + static_cast<size_t>(t + 2) * p + r, xb + static_cast<size_t>(t + 3) * p + r,
                     db + r * stride + t, db + (r + 1) * stride + t, db + (r + 2) * stride + t,
                     db + (r + 3) * stride + t);
    }
    for (; t < k; ++t)
      for (int r = 0; r < p; ++r) db[r * stride + t] = xb[static_cast<size_t>(t) * p + r];
  }
}

void dequantize_pack_rows(const int32_t* c, size_t ldc, const float* row_inv, const float* col_inv, const float* bias,
                          int blocks, int n, int n0, int n1, int p, float* y) {
  for (int b = 0; b < blocks; ++b) {
    const int32_t* cb = c + static_cast<size_t>(b) * p * ldc;
    const float* ib = row_inv + b * p;
    float* yb = y + static_cast<size_t>(b) * n * p;
    int j = n0;
    if (p % 4 == 0) {
      float v[4][4];  // 4 rows x 4 columns, dequantized, then stored transposed
      for (; j + 4 <= n1; j += 4)
        for (int r = 0; r < p; r += 4) {
          for (int i = 0; i < 4; ++i)
            dequantize4(cb + static_cast<size_t>(r + i) * ldc + j, ib[r + i], col_inv + j, bias + j, v[i]);
          transpose4(v[0], v[1], v[2], v[3], yb + static_cast<size_t>(j) * p + r,
                     yb + static_cast<size_t>(j + 1) * p + r, yb + static_cast<size_t>(j + 2) * p + r,
                     yb + static_cast<size_t>(j + 3) * p + r);
        }
    }
    for (; j < n1; ++j)
      for (int r = 0; r < p; ++r)
        yb[static_cast<size_t>(j) * p + r] =
            static_cast<float>(cb[static_cast<size_t>(r) * ldc + j]) * (ib[r] * col_inv[j]) + bias[j];
  }
}

}  // namespace kernels
}  // namespace ncasr
