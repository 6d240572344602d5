#include "kernels/int8_gemm.h"

#include <cpu.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "common/errors.h"
#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace {

int round_up(int v, int to) { return (v + to - 1) / to * to; }

bool g_dotprod_enabled = true;
int g_vnni256_forced = -1;

bool vnni256_supported(int variant) {
#if defined(NCASR_HAVE_X86_KERNELS)
  if (variant == 1) return ncnn::cpu_support_x86_avx_vnni() && ncnn::cpu_support_x86_avx2();
  if (variant == 2) return ncnn::cpu_support_x86_avx512_vnni() && ncnn::cpu_support_x86_avx512();
#endif
  return variant == 0;
}

// Padded k per layout: 4-byte groups for the x86 kernels, 16-byte loads for NEON/scalar.
int padded_k(int k, KernelPath path) {
  return path == KernelPath::kAvx2 || path == KernelPath::kAvx512 ? round_up(k, 4) : round_up(k, 16);
}

void check_shape(int n, int k, size_t ldw) {
  if (n < 1 || k < 1 || ldw < static_cast<size_t>(k))
    throw ConfigError("int8 gemm weights: need n >= 1, k >= 1 and a row stride >= k (got n " + std::to_string(n) +
                      ", k " + std::to_string(k) + ", stride " + std::to_string(ldw) + ")");
}

}  // namespace

bool int8_gemm_neon_dotprod_available() {
#if defined(NCASR_HAVE_NEON_KERNELS)
  return g_dotprod_enabled && ncnn::cpu_support_arm_asimddp();
#else
  return false;
#endif
}

void set_int8_gemm_neon_dotprod(bool enabled) { g_dotprod_enabled = enabled; }

std::vector<int> int8_gemm_avx2_vnni256_variants() {
  std::vector<int> out;
  for (int v = 0; v < 3; ++v)
    if (vnni256_supported(v)) out.push_back(v);
  return out;
}

void set_int8_gemm_avx2_vnni256(int variant) {
  if (variant != -1 && !vnni256_supported(variant))
    throw ConfigError("int8 gemm: AVX2 variant " + std::to_string(variant) + " is not supported by this CPU");
  g_vnni256_forced = variant;
}

KernelPath int8_gemm_path(KernelPath path) {
  require_kernel_path(path);
  if (path == KernelPath::kAvx512 && !(ncnn::cpu_support_x86_avx512_vnni() && ncnn::cpu_support_x86_avx512()))
    return KernelPath::kAvx2;
  return path;
}

PackedInt8Weights pack_int8_weights(const int8_t* w, int n, int k, size_t ldw, KernelPath path) {
  check_shape(n, k, ldw);
  if (!w) throw ConfigError("int8 gemm weights: null pointer");
  PackedInt8Weights p;
  p.n = n;
  p.k = k;
  p.path = int8_gemm_path(path);
  p.k_padded = padded_k(k, p.path);
  p.row_sum_x128.assign(static_cast<size_t>(n), 0);
  for (int j = 0; j < n; ++j) {
    int32_t s = 0;
    for (int t = 0; t < k; ++t) s += w[j * ldw + t];
    p.row_sum_x128[j] = 128 * s;
  }
  const int kp = p.k_padded;
  if (p.path == KernelPath::kAvx512) {
    // Panels of 64 columns, each one contiguous stream: [panel][k/4][panel columns][4 k], a
    // panel's width rounded up to 16 (the last may be narrower), zero past n and k.
    p.data.assign(static_cast<size_t>(round_up(n, 16)) * kp, 0);
    for (int j = 0; j < n; ++j) {
      const int panel = j / 64, width = std::min(64, round_up(n - panel * 64, 16));
      for (int t = 0; t < k; ++t) {
        const size_t at =
            static_cast<size_t>(panel) * 64 * kp + (static_cast<size_t>(t / 4) * width + j % 64) * 4 + t % 4;
        p.data[at] = w[j * ldw + t];
      }
    }
  } else if (p.path == KernelPath::kAvx2) {
    p.vnni256 = g_vnni256_forced >= 0 ? g_vnni256_forced : vnni256_supported(1) ? 1 : 0;
    // [column block][k/4][block columns][4 k], zero past n and k (both AVX2 kernels)
    const int block = 8;
    const int blocks = (n + block - 1) / block;
    p.data.assign(static_cast<size_t>(blocks) * block * kp, 0);
    for (int j = 0; j < n; ++j)
      for (int t = 0; t < k; ++t) {
        const size_t at = ((static_cast<size_t>(j / block) * (kp / 4) + t / 4) * block + j % block) * 4 + t % 4;
        p.data[at] = w[j * ldw + t];
      }
  } else if (p.path == KernelPath::kNeon && int8_gemm_neon_dotprod_available()) {
    // [16-column block][k/4][16 columns][4 k], zero past n and k (kp is a multiple of 16)
    p.dotprod = true;
    p.data.assign(static_cast<size_t>(round_up(n, 16)) * kp, 0);
    for (int j = 0; j < n; ++j)
      for (int t = 0; t < k; ++t)
        p.data[((static_cast<size_t>(j / 16) * (kp / 4) + t / 4) * 16 + j % 16) * 4 + t % 4] = w[j * ldw + t];
  } else {
    p.data.assign(static_cast<size_t>(n) * kp, 0);  // row-major, rows padded to kp
    for (int j = 0; j < n; ++j)
      for (int t = 0; t < k; ++t) p.data[static_cast<size_t>(j) * kp + t] = w[j * ldw + t];
  }
  return p;
}

PackedInt8Weights pack_int8_weights(const int8_t* w, int n, int k, size_t ldw) {
  return pack_int8_weights(w, n, k, ldw, active_kernel_path());
}

namespace {

void resize_activations(const PackedInt8Weights& w, int m, Int8Activations* out) {
  out->m = m;
  out->k = w.k;
  out->kp = w.k_padded;
  out->path = w.path;
  out->vnni256 = w.vnni256;
  const size_t cells = static_cast<size_t>(m) * w.k_padded;
  if (out->is_wide()) {
    out->wide.assign(cells, 0);
  } else {
    const int8_t pad = out->is_u8() ? static_cast<int8_t>(-128) : 0;  // u8 128 == 0
    out->narrow.assign(cells, pad);
  }
}

// Writes quantized value q (in [-127, 127]) at row i, column t of the prepared form.
inline void put(Int8Activations* out, int i, int t, int q) {
  const size_t at = static_cast<size_t>(i) * out->kp + t;
  if (out->is_wide())
    out->wide[at] = static_cast<int16_t>(q);
  else if (out->is_u8())
    out->narrow[at] = static_cast<int8_t>(static_cast<uint8_t>(q + 128));
  else
    out->narrow[at] = static_cast<int8_t>(q);
}

}  // namespace

KernelPath int8_gemm(const int8_t* a, int m, size_t lda, const PackedInt8Weights& w, int32_t* c, size_t ldc) {
  if (m < 0 || (m > 0 && (!a || !c || lda < static_cast<size_t>(w.k) || ldc < static_cast<size_t>(w.n))))
    throw ConfigError("int8 gemm: bad activation/output shape or strides for weights of " + std::to_string(w.n) +
                      " x " + std::to_string(w.k));
  if (w.data.empty()) throw ConfigError("int8 gemm: weights are not packed");
  if (m == 0) return w.path;
  thread_local Int8Activations prepared;
  resize_activations(w, m, &prepared);
  for (int i = 0; i < m; ++i)
    for (int t = 0; t < w.k; ++t) put(&prepared, i, t, a[i * lda + t]);
  int8_gemm_columns(prepared, w, 0, w.n, c, ldc);
  return w.path;
}

namespace {

float quantize_row(KernelPath path, const float* x, int k, void* out) {
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: return isa::quantize_row_avx2(x, k, out);
    case KernelPath::kAvx512: return isa::quantize_row_avx512vnni(x, k, out);
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: return isa::quantize_row_neon(x, k, out);
#endif
    default: return isa::quantize_row_ref(x, k, out);
  }
}

}  // namespace

void quantize_int8_activations(const float* x, int m, size_t row_stride, const PackedInt8Weights& w,
                               Int8Activations* out) {
  if (m < 0 || (m > 0 && (!x || row_stride < static_cast<size_t>(w.k))))
    throw ConfigError("int8 activations: bad shape, stride or null input");
  resize_activations(w, m, out);
  out->scales.assign(static_cast<size_t>(m), 1.f);
  const size_t elem = out->is_wide() ? 2 : 1;
  unsigned char* base = out->is_wide() ? reinterpret_cast<unsigned char*>(out->wide.data())
                                       : reinterpret_cast<unsigned char*>(out->narrow.data());
  for (int i = 0; i < m; ++i) {
    unsigned char* row = base + static_cast<size_t>(i) * w.k_padded * elem;
    if (w.path == KernelPath::kAvx2 && w.vnni256 != 0) {
      // the scalar quantizer's int8, then + 128 as u8 (q ^ 0x80 for q in [-127, 127])
      out->scales[i] = quantize_row(KernelPath::kScalar, x + i * row_stride, w.k, row);
      for (int t = 0; t < w.k; ++t) row[t] ^= 0x80;
    } else {
      out->scales[i] = quantize_row(w.path, x + i * row_stride, w.k, row);
    }
  }
}

int int8_gemm_column_step(const PackedInt8Weights& w) {
  return w.path == KernelPath::kAvx512 ? 64 : w.path == KernelPath::kAvx2 ? 8 : w.dotprod ? 16 : 1;
}

void int8_gemm_columns(const Int8Activations& a, const PackedInt8Weights& w, int n_begin, int n_end, int32_t* c,
                       size_t ldc) {
  if (a.path != w.path || a.vnni256 != w.vnni256 || a.k != w.k || a.kp != w.k_padded)
    throw ConfigError("int8 gemm: activations were prepared for other weights");
  if (n_begin < 0 || n_end > w.n || n_begin % int8_gemm_column_step(w) != 0)
    throw ConfigError("int8 gemm: bad column range");
  if (a.m == 0 || n_begin >= n_end) return;
  const int kp = w.k_padded;
  // Every layout keeps column j's weights at j * kp when j starts a block or panel.
  const int8_t* wp = w.data.data() + static_cast<size_t>(n_begin) * kp;
  const int32_t* rs = w.row_sum_x128.data() + n_begin;
  const int n = n_end - n_begin;
  int32_t* cc = c + n_begin;
  const void* ap = a.data();
  switch (w.path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2:
      if (w.vnni256 == 1)
        isa::int8_gemm_avxvnni(ap, a.m, wp, n, kp, rs, cc, ldc);
      else if (w.vnni256 == 2)
        isa::int8_gemm_avxvnni_evex(ap, a.m, wp, n, kp, rs, cc, ldc);
      else
        isa::int8_gemm_avx2(ap, a.m, wp, n, kp, rs, cc, ldc);
      break;
    case KernelPath::kAvx512: isa::int8_gemm_avx512vnni(ap, a.m, wp, n, kp, rs, cc, ldc); break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon:
      if (w.dotprod)
        isa::int8_gemm_neon_dotprod(ap, a.m, wp, n, kp, rs, cc, ldc);
      else
        isa::int8_gemm_neon(ap, a.m, wp, n, kp, rs, cc, ldc);
      break;
#endif
    default: isa::int8_gemm_ref(ap, a.m, wp, n, kp, rs, cc, ldc); break;
  }
}

}  // namespace kernels
}  // namespace ncasr

namespace ncasr {
namespace kernels {

double measure_int8_peak_gops(double seconds) {
#if defined(NCASR_HAVE_X86_KERNELS)
  if (int8_gemm_path(KernelPath::kAvx512) != KernelPath::kAvx512) return 0.0;
  int64_t iterations = 1 << 16;
  volatile int64_t sink = 0;
  double best = 0.0, spent = 0.0;
  while (spent < seconds) {
    const auto t0 = std::chrono::steady_clock::now();
    sink = sink + isa::int8_peak_loop_avx512vnni(iterations);
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spent += dt;
    if (dt > 0) best = std::max(best, 12.0 * 64 * 2 * static_cast<double>(iterations) / dt / 1e9);
    if (dt < 0.01) iterations *= 2;
  }
  return best;
#else
  (void)seconds;
  return 0.0;
#endif
}

}  // namespace kernels
}  // namespace ncasr
