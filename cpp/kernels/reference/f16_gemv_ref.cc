// Scalar twin of the fp16-weight matrix-vector product: one row at a time, the sum in
// column order, each product and sum rounded (this file is built without contraction).
#include "convert/half.h"
#include "kernels/f16_gemv.h"
#include "kernels/f16_gemv_isa.h"

namespace ncasr {
namespace kernels {
namespace isa {

void f16_gemv_ref(const uint16_t* data, int rows, int cols, const float* x, const float* bias, float* y,
                  int panel0, int panel1) {
  for (int p = panel0; p < panel1; ++p) {
    const uint16_t* panel = data + static_cast<size_t>(p) * cols * kF16PanelRows;
    for (int lane = 0; lane < kF16PanelRows; ++lane) {
      const int r = p * kF16PanelRows + lane;
      if (r >= rows) break;
      float acc = bias ? bias[r] : 0.f;
      for (int k = 0; k < cols; ++k) {
        const float product = half_to_float(panel[static_cast<size_t>(k) * kF16PanelRows + lane]) * x[k];
        acc = acc + product;
      }
      y[r] = acc;
    }
  }
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
