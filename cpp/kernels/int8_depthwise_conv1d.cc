#include "kernels/int8_depthwise_conv1d.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/errors.h"
#include "kernels/int8_depthwise_conv1d_isa.h"
#include "kernels/int8_gemm.h"

namespace ncasr {
namespace kernels {
namespace {

void check_weights(int channels, int kernel) {
  if (channels < 1 || kernel < 1)
    throw ConfigError("int8 depthwise conv1d: need channels >= 1 and kernel >= 1 (got " + std::to_string(channels) +
                      ", " + std::to_string(kernel) + ")");
}

void pack_layout(Int8DepthwiseWeights* w) {
  const int C = w->channels, K = w->kernel, J = w->blocks;
  const size_t block_stride = isa::int8_dw_block_stride(C);
  w->phased.assign(4 * J * block_stride, 0);
  for (int p = 0; p < 4; ++p)
    for (int j = 0; j < J; ++j)
      for (int c = 0; c < C; ++c)
        for (int i = 0; i < 4; ++i) {
          const int k = 4 * j + i - p;
          if (k >= 0 && k < K)
            w->phased[(static_cast<size_t>(p) * J + j) * block_stride + static_cast<size_t>(c) * 4 + i] =
                w->taps[static_cast<size_t>(c) * K + k];
        }
  if (w->path == KernelPath::kAvx2) {
    w->phased_abs.resize(w->phased.size());
    for (size_t i = 0; i < w->phased.size(); ++i)
      w->phased_abs[i] = static_cast<int8_t>(w->phased[i] < 0 ? -w->phased[i] : w->phased[i]);
  }
  w->sum_x128.assign(static_cast<size_t>(C), 0);
  for (int c = 0; c < C; ++c) {
    int32_t s = 0;
    for (int k = 0; k < K; ++k) s += w->taps[static_cast<size_t>(c) * K + k];
    w->sum_x128[c] = 128 * s;
  }
}

}  // namespace

KernelPath int8_depthwise_path(KernelPath path) { return int8_gemm_path(path); }

Int8DepthwiseWeights pack_int8_depthwise_weights(const int8_t* taps, const float* scales, int channels, int kernel,
                                                 KernelPath path) {
  check_weights(channels, kernel);
  if (!taps || !scales) throw ConfigError("int8 depthwise conv1d: null weights or scales");
  Int8DepthwiseWeights w;
  w.channels = channels;
  w.kernel = kernel;
  w.blocks = (kernel + 2) / 4 + 1;
  w.path = int8_depthwise_path(path);
  w.dotprod = w.path == KernelPath::kNeon && int8_gemm_neon_dotprod_available();
  w.taps.assign(taps, taps + static_cast<size_t>(channels) * kernel);
  for (int8_t& q : w.taps) q = std::max<int8_t>(q, -127);  // -128 has no positive twin (AVX2 sign trick)
  w.scales.assign(scales, scales + channels);
  for (int c = 0; c < channels; ++c)
    if (!(w.scales[c] > 0.f) || !std::isfinite(w.scales[c]))
      throw ConfigError("int8 depthwise conv1d: weight scale of channel " + std::to_string(c) +
                        " is not a positive finite number");
  pack_layout(&w);
  return w;
}

Int8DepthwiseWeights pack_int8_depthwise_weights(const float* wf, int channels, int kernel, KernelPath path) {
  check_weights(channels, kernel);
  if (!wf) throw ConfigError("int8 depthwise conv1d: null weights");
  std::vector<int8_t> q(static_cast<size_t>(channels) * kernel);
  std::vector<float> s(channels);
  for (int c = 0; c < channels; ++c) {
    const float* r = wf + static_cast<size_t>(c) * kernel;
    float amax = 0.f;
    for (int k = 0; k < kernel; ++k) amax = std::max(amax, std::fabs(r[k]));
    s[c] = amax > 0.f && std::isfinite(amax) ? 127.f / amax : 1.f;
    for (int k = 0; k < kernel; ++k) {
      const float v = std::nearbyint(r[k] * s[c]);
      q[static_cast<size_t>(c) * kernel + k] = static_cast<int8_t>(v >= -127.f ? (v <= 127.f ? v : 127.f) : -127.f);
    }
  }
  return pack_int8_depthwise_weights(q.data(), s.data(), channels, kernel, path);
}

KernelPath int8_depthwise_conv1d_packed(const float* x, const Int8DepthwiseWeights& w, const float* bias, float* y,
                                        const DepthwiseConv1DShape& s, int pack) {
  if (pack != 1 && pack != 4 && pack != 8 && pack != 16)
    throw ConfigError("int8 depthwise conv1d: pack must be 1, 4, 8 or 16 (got " + std::to_string(pack) + ")");
  if (s.channels != w.channels || s.kernel != w.kernel || s.channels % pack != 0 || s.out_w < 0)
    throw ConfigError("int8 depthwise conv1d: shape (" + std::to_string(s.channels) + " channels, kernel " +
                      std::to_string(s.kernel) + ", pack " + std::to_string(pack) + ") does not fit the weights (" +
                      std::to_string(w.channels) + " channels, kernel " + std::to_string(w.kernel) + ")");
  const int in_w = s.out_w + s.kernel - 1;
  if (s.out_w > 0 &&
      (s.x_stride < static_cast<size_t>(in_w) * pack || s.y_stride < static_cast<size_t>(s.out_w) * pack))
    throw ConfigError("int8 depthwise conv1d: row strides too small for the widths");
  if (!x || !y) throw ConfigError("int8 depthwise conv1d: null input or output");
  const KernelPath path = pack == 1 ? KernelPath::kScalar : w.path;
  if (s.out_w == 0) return path;
  isa::Int8DwArgs a{x,
                    s.x_stride,
                    in_w,
                    s.out_w,
                    pack,
                    s.channels,
                    s.kernel,
                    w.blocks,
                    w.taps.data(),
                    w.scales.data(),
                    w.phased.data(),
                    w.phased_abs.data(),
                    w.sum_x128.data(),
                    bias,
                    y,
                    s.y_stride,
                    nullptr};
  thread_local std::vector<uint8_t> scratch;
  const size_t need = static_cast<size_t>(isa::int8_dw_activation_blocks(in_w, s.out_w, w.blocks)) * pack * 4 + 64;
  if (scratch.size() < need) scratch.resize(need);
  a.scratch = scratch.data();
  const int rows = s.channels / pack;
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: isa::int8_depthwise_conv1d_avx2(a, 0, rows); break;
    case KernelPath::kAvx512: isa::int8_depthwise_conv1d_avx512vnni(a, 0, rows); break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon:
      if (w.dotprod)
        isa::int8_depthwise_conv1d_neon_dotprod(a, 0, rows);
      else
        isa::int8_depthwise_conv1d_neon(a, 0, rows);
      break;
#endif
    default: isa::int8_depthwise_conv1d_ref(a, 0, rows); break;
  }
  return path;
}

}  // namespace kernels
}  // namespace ncasr
