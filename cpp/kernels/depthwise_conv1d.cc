#include "kernels/depthwise_conv1d.h"

#include <string>

#include "common/errors.h"
#include "kernels/depthwise_conv1d_isa.h"

namespace ncasr {
namespace kernels {
namespace {

using DwFn = void (*)(const float*, size_t, const float*, const float*, int, int, float*, size_t, int, int);

DwFn simd_depthwise_conv1d(KernelPath path) {
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: return isa::depthwise_conv1d_avx2;
    case KernelPath::kAvx512: return isa::depthwise_conv1d_avx512;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: return isa::depthwise_conv1d_neon;
#endif
    default: return isa::depthwise_conv1d_ref;
  }
}

void check_shape(const float* x, const float* w, const float* y, const DepthwiseConv1DShape& s) {
  if (s.channels < 1 || s.kernel < 1 || s.out_w < 0)
    throw ConfigError("depthwise conv1d: need channels >= 1, kernel >= 1, out_w >= 0 (got " +
                      std::to_string(s.channels) + ", " + std::to_string(s.kernel) + ", " + std::to_string(s.out_w) +
                      ")");
  const size_t in_w = static_cast<size_t>(s.out_w) + s.kernel - 1;
  if (s.out_w > 0 && (s.x_stride < in_w || s.y_stride < static_cast<size_t>(s.out_w)))
    throw ConfigError("depthwise conv1d: row strides too small for the widths (x " + std::to_string(s.x_stride) +
                      " < " + std::to_string(in_w) + " or y " + std::to_string(s.y_stride) + " < " +
                      std::to_string(s.out_w) + ")");
  if (!x || !w || !y) throw ConfigError("depthwise conv1d: null input, weight or output");
}

using DwPackedFn = void (*)(const float*, size_t, const float*, const float*, int, int, int, int, float*, size_t, int,
                            int);

DwPackedFn simd_depthwise_conv1d_packed(KernelPath path) {
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: return isa::depthwise_conv1d_packed_avx2;
    case KernelPath::kAvx512: return isa::depthwise_conv1d_packed_avx512;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: return isa::depthwise_conv1d_packed_neon;
#endif
    default: return isa::depthwise_conv1d_packed_ref;
  }
}

}  // namespace

KernelPath depthwise_conv1d_packed(const float* x, const float* wt, const float* bias, float* y,
                                   const DepthwiseConv1DShape& s, int pack, KernelPath path) {
  require_kernel_path(path);
  if ((pack != 4 && pack != 8 && pack != 16) || s.channels % pack != 0)
    throw ConfigError("depthwise conv1d: pack must be 4, 8 or 16 and divide the channels (got pack " +
                      std::to_string(pack) + ", " + std::to_string(s.channels) + " channels)");
  DepthwiseConv1DShape rows = s;  // the unpacked checks on packed-row widths
  rows.out_w = s.out_w * pack;
  rows.kernel = (s.kernel - 1) * pack + 1;
  check_shape(x, wt, y, rows);
  if (s.out_w > 0)
    simd_depthwise_conv1d_packed(path)(x, s.x_stride, wt, bias, s.channels, s.kernel, s.out_w, pack, y, s.y_stride, 0,
                                       s.channels / pack);
  return path;
}

KernelPath depthwise_conv1d_packed(const float* x, const float* wt, const float* bias, float* y,
                                   const DepthwiseConv1DShape& s, int pack) {
  return depthwise_conv1d_packed(x, wt, bias, y, s, pack, active_kernel_path());
}

KernelPath depthwise_conv1d(const float* x, const float* w, const float* bias, float* y, const DepthwiseConv1DShape& s,
                            KernelPath path) {
  require_kernel_path(path);
  check_shape(x, w, y, s);
  if (s.out_w > 0) simd_depthwise_conv1d(path)(x, s.x_stride, w, bias, s.kernel, s.out_w, y, s.y_stride, 0, s.channels);
  return path;
}

KernelPath depthwise_conv1d(const float* x, const float* w, const float* bias, float* y,
                            const DepthwiseConv1DShape& s) {
  return depthwise_conv1d(x, w, bias, y, s, active_kernel_path());
}

}  // namespace kernels
}  // namespace ncasr
