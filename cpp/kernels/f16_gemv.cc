#include "kernels/f16_gemv.h"

#include <string>

#include "common/errors.h"
#include "common/half.h"
#include "kernels/f16_gemv_isa.h"

namespace ncasr {
namespace kernels {

namespace {

uint16_t stored(float v, uint16_t*) { return float_to_half(v); }
float stored(float v, float*) { return v; }

// Packs the rows of [a | b] (b may be absent: b_cols 0), without building the joined matrix.
template <typename Packed>
Packed pack_panels(const float* a, int a_cols, size_t a_stride, const float* b, int b_cols, size_t b_stride, int rows,
                   const char* what) {
  const int cols = a_cols + b_cols;
  if (rows <= 0 || a_cols <= 0 || b_cols < 0 || !a || a_stride < static_cast<size_t>(a_cols) ||
      (b_cols > 0 && (!b || b_stride < static_cast<size_t>(b_cols))))
    throw ConfigError(std::string(what) + " weights: bad shape " + std::to_string(rows) + " x " + std::to_string(cols));
  Packed p;
  p.rows = rows;
  p.cols = cols;
  const int panels = (rows + kF16PanelRows - 1) / kF16PanelRows;
  p.data.assign(static_cast<size_t>(panels) * cols * kF16PanelRows, 0);
  for (int r = 0; r < rows; ++r) {
    const int panel = r / kF16PanelRows, lane = r % kF16PanelRows;
    auto* out = p.data.data() + static_cast<size_t>(panel) * cols * kF16PanelRows + lane;
    for (int k = 0; k < a_cols; ++k) out[static_cast<size_t>(k) * kF16PanelRows] = stored(a[r * a_stride + k], out);
    for (int k = 0; k < b_cols; ++k)
      out[static_cast<size_t>(a_cols + k) * kF16PanelRows] = stored(b[r * b_stride + k], out);
  }
  return p;
}

// Checks [row0, row1) and returns the panel range; the last panel of a range ending inside
// the matrix is whole, one ending at `rows` may be padded (the kernels write only real rows).
void panel_range(int matrix_rows, const float* x, const float* y, int row0, int row1, const char* what, int* p0,
                 int* p1) {
  if (matrix_rows <= 0 || !x || !y || row0 < 0 || row1 > matrix_rows || row0 > row1 || row0 % kF16PanelRows != 0 ||
      (row1 % kF16PanelRows != 0 && row1 != matrix_rows))
    throw ConfigError(std::string(what) + " gemv: bad row range [" + std::to_string(row0) + ", " +
                      std::to_string(row1) + ") for " + std::to_string(matrix_rows) + " rows");
  *p0 = row0 / kF16PanelRows;
  *p1 = (row1 + kF16PanelRows - 1) / kF16PanelRows;
}

}  // namespace

PackedF16Weights pack_f16_weights(const float* w, int rows, int cols, size_t stride) {
  return pack_panels<PackedF16Weights>(w, cols, stride, nullptr, 0, 0, rows, "f16");
}

PackedF32Weights pack_f32_weights(const float* w, int rows, int cols, size_t stride) {
  return pack_panels<PackedF32Weights>(w, cols, stride, nullptr, 0, 0, rows, "f32");
}

PackedF16Weights pack_f16_weights(const float* a, int a_cols, const float* b, int b_cols, int rows) {
  return pack_panels<PackedF16Weights>(a, a_cols, static_cast<size_t>(a_cols), b, b_cols, static_cast<size_t>(b_cols),
                                       rows, "f16");
}

PackedF32Weights pack_f32_weights(const float* a, int a_cols, const float* b, int b_cols, int rows) {
  return pack_panels<PackedF32Weights>(a, a_cols, static_cast<size_t>(a_cols), b, b_cols, static_cast<size_t>(b_cols),
                                       rows, "f32");
}

KernelPath f16_gemv(const PackedF16Weights& w, const float* x, const float* bias, float* y, int row0, int row1,
                    KernelPath path) {
  require_kernel_path(path);
  int p0 = 0, p1 = 0;
  panel_range(w.rows, x, y, row0, row1, "f16", &p0, &p1);
  const int rows = row1;
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: isa::f16_gemv_avx2(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
    case KernelPath::kAvx512: isa::f16_gemv_avx512(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: isa::f16_gemv_neon(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
#endif
    default: isa::f16_gemv_ref(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
  }
  return path;
}

KernelPath f16_gemv(const PackedF16Weights& w, const float* x, const float* bias, float* y, int row0, int row1) {
  return f16_gemv(w, x, bias, y, row0, row1, active_kernel_path());
}

KernelPath f32_gemv(const PackedF32Weights& w, const float* x, const float* bias, float* y, int row0, int row1,
                    KernelPath path) {
  require_kernel_path(path);
  int p0 = 0, p1 = 0;
  panel_range(w.rows, x, y, row0, row1, "f32", &p0, &p1);
  const int rows = row1;
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: isa::f32_gemv_avx2(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
    case KernelPath::kAvx512: isa::f32_gemv_avx512(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: isa::f32_gemv_neon(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
#endif
    default: isa::f32_gemv_ref(w.data.data(), rows, w.cols, x, bias, y, p0, p1); break;
  }
  return path;
}

KernelPath f32_gemv(const PackedF32Weights& w, const float* x, const float* bias, float* y, int row0, int row1) {
  return f32_gemv(w, x, bias, y, row0, row1, active_kernel_path());
}

}  // namespace kernels
}  // namespace ncasr
