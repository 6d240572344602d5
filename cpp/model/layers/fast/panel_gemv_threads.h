#pragma once
// y = bias + w v on the panel kernels (kernels/f16_gemv.h), rows split across threads by
// whole panels when the product is big enough to pay for waking them. Shared by the layers
// whose weights are streamed once per frame (LSTM gates, small-batch InnerProduct). Shapes are
// checked at load: nothing throws inside the parallel region.
#include <algorithm>

#include "kernels/f16_gemv.h"

namespace ncasr {

inline void panel_gemv(const kernels::PackedF16Weights& w, const float* v, const float* b, float* y, int r0, int r1) {
  kernels::f16_gemv(w, v, b, y, r0, r1);
}
inline void panel_gemv(const kernels::PackedF32Weights& w, const float* v, const float* b, float* y, int r0, int r1) {
  kernels::f32_gemv(w, v, b, y, r0, r1);
}

template <typename Packed>
void panel_gemv_threads(const Packed& w, const float* v, const float* bias, float* y, int threads) {
  constexpr double kMinPerThread = 512.0 * 1024;  // multiply-adds worth a thread
  constexpr int P = kernels::kF16PanelRows;
  const int panels = (w.rows + P - 1) / P;
  threads = std::max(1, std::min({threads, panels, static_cast<int>(double(w.rows) * w.cols / kMinPerThread)}));
  if (threads == 1) {
    panel_gemv(w, v, bias, y, 0, w.rows);
    return;
  }
  const int per_thread = (panels + threads - 1) / threads;
#pragma omp parallel for num_threads(threads)
  for (int part = 0; part < threads; ++part) {
    const int r0 = part * per_thread * P, r1 = std::min(w.rows, (part + 1) * per_thread * P);
    if (r0 < r1) panel_gemv(w, v, bias, y, r0, r1);
  }
}

}  // namespace ncasr
