// Scalar twin of the panel matrix-vector products (fp16 or float weights): one row at a time,
// the sum in column order, each product and sum rounded (this file is built without
// contraction).
#include "common/half.h"
#include "kernels/f16_gemv.h"
#include "kernels/f16_gemv_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {
namespace {

float weight(uint16_t w) { return half_to_float(w); }
float weight(float w) { return w; }

template <typename W>
void gemv_panels(const W* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                 int panel1) {
  for (int p = panel0; p < panel1; ++p) {
    const W* panel = data + static_cast<size_t>(p) * cols * kF16PanelRows;
    for (int lane = 0; lane < kF16PanelRows; ++lane) {
      const int r = p * kF16PanelRows + lane;
      if (r >= rows) break;
      float acc = bias ? bias[r] : 0.f;
      for (int k = 0; k < cols; ++k) {
        const float product = weight(panel[static_cast<size_t>(k) * kF16PanelRows + lane]) * x[k];
        acc = acc + product;
      }
      y[r] = acc;
    }
  }
}

}  // namespace

void f16_gemv_ref(const uint16_t* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                  int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

void f32_gemv_ref(const float* data, int rows, int cols, const float* x, const float* bias, float* y, int panel0,
                  int panel1) {
  gemv_panels(data, rows, cols, x, bias, y, panel0, panel1);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
