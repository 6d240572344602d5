// NEON panel matrix-vector product, fp16 weights (vcvt_f32_f16, base ARMv8) or float weights:
// a panel's 16 rows are four 4-lane vectors, multiply and add kept separate (no vfma) so every
// row's sum is the scalar twin's.
#include <arm_neon.h>

#include "kernels/f16_gemv.h"
#include "kernels/f16_gemv_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

constexpr int R = kF16PanelRows;

float32x4_t load4(const uint16_t* p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
float32x4_t load4(const float* p) { return vld1q_f32(p); }

float32x4_t start(const float* bias, int row, int rows) {
  if (!bias) return vdupq_n_f32(0.f);
  if (rows - row >= 4) return vld1q_f32(bias + row);
  float b[4] = {0, 0, 0, 0};
  for (int i = 0; i < rows - row; ++i) b[i] = bias[row + i];
  return vld1q_f32(b);
}

void store(float* y, int row, int rows, float32x4_t v) {
  if (row >= rows) return;
  if (rows - row >= 4) {
    vst1q_f32(y + row, v);
    return;
  }
  float b[4];
  vst1q_f32(b, v);
  for (int i = 0; i < rows - row; ++i) y[row + i] = b[i];
}

template <typename W>
void gemv_panels(const W* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                 int panel1) {
  const size_t panel_size = static_cast<size_t>(cols) * R;
  for (int p = panel0; p < panel1; ++p) {
    const W* w = data + p * panel_size;
    const int r0 = p * R;
    float32x4_t a0 = start(bias, r0, rows), a1 = start(bias, r0 + 4, rows);
    float32x4_t a2 = start(bias, r0 + 8, rows), a3 = start(bias, r0 + 12, rows);
    for (int k = 0; k < cols; ++k) {
      const float32x4_t xk = vdupq_n_f32(x[k]);
      const W* o = w + static_cast<size_t>(k) * R;
      a0 = vaddq_f32(a0, vmulq_f32(load4(o), xk));
      a1 = vaddq_f32(a1, vmulq_f32(load4(o + 4), xk));
      a2 = vaddq_f32(a2, vmulq_f32(load4(o + 8), xk));
      a3 = vaddq_f32(a3, vmulq_f32(load4(o + 12), xk));
    }
    store(y, r0, rows, a0);
    store(y, r0 + 4, rows, a1);
    store(y, r0 + 8, rows, a2);
    store(y, r0 + 12, rows, a3);
  }
}

}  // namespace

void f16_gemv_neon(const uint16_t* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                   int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

void f32_gemv_neon(const float* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                   int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
