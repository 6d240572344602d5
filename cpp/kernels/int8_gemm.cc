#include "kernels/int8_gemm.h"

#include <cpu.h>

#include <string>

#include "common/errors.h"
#include "kernels/int8_gemm_isa.h"

namespace ncasr {
namespace kernels {
namespace {

int round_up(int v, int to) { return (v + to - 1) / to * to; }

// Padded k per layout: 4-byte groups for the x86 kernels, 16-byte loads for NEON/scalar.
int padded_k(int k, KernelPath path) {
  return path == KernelPath::kAvx2 || path == KernelPath::kAvx512 ? round_up(k, 4) : round_up(k, 16);
}

void check_shape(int n, int k, size_t ldw) {
  if (n < 1 || k < 1 || ldw < static_cast<size_t>(k))
    throw ConfigError("int8 gemm weights: need n >= 1, k >= 1 and a row stride >= k (got n " +
                      std::to_string(n) + ", k " + std::to_string(k) + ", stride " + std::to_string(ldw) + ")");
}

}  // namespace

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
  if (p.path == KernelPath::kAvx2 || p.path == KernelPath::kAvx512) {
    // [column block][k/4][block columns][4 k], zero past n and k
    const int block = p.path == KernelPath::kAvx512 ? 16 : 8;
    const int blocks = (n + block - 1) / block;
    p.data.assign(static_cast<size_t>(blocks) * block * kp, 0);
    for (int j = 0; j < n; ++j)
      for (int t = 0; t < k; ++t) {
        const size_t at = ((static_cast<size_t>(j / block) * (kp / 4) + t / 4) * block + j % block) * 4 + t % 4;
        p.data[at] = w[j * ldw + t];
      }
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

KernelPath int8_gemm(const int8_t* a, int m, size_t lda, const PackedInt8Weights& w, int32_t* c, size_t ldc) {
  if (m < 0 || (m > 0 && (!a || !c || lda < static_cast<size_t>(w.k) || ldc < static_cast<size_t>(w.n))))
    throw ConfigError("int8 gemm: bad activation/output shape or strides for weights of " + std::to_string(w.n) +
                      " x " + std::to_string(w.k));
  if (w.data.empty()) throw ConfigError("int8 gemm: weights are not packed");
  if (m == 0) return w.path;
  const int kp = w.k_padded;
  const size_t cells = static_cast<size_t>(m) * kp;
  // Activation rows in the form the kernel reads, zero-padded to kp (see int8_gemm_isa.h).
  thread_local std::vector<int16_t> wide;
  thread_local std::vector<int8_t> narrow;
  const void* ap = nullptr;
  if (w.path == KernelPath::kAvx2) {
    wide.assign(cells, 0);
    for (int i = 0; i < m; ++i)
      for (int t = 0; t < w.k; ++t) wide[static_cast<size_t>(i) * kp + t] = a[i * lda + t];
    ap = wide.data();
  } else {
    const int8_t pad = w.path == KernelPath::kAvx512 ? static_cast<int8_t>(-128) : 0;  // u8 128 == 0
    narrow.assign(cells, pad);
    for (int i = 0; i < m; ++i)
      for (int t = 0; t < w.k; ++t) {
        const int8_t v = a[i * lda + t];
        narrow[static_cast<size_t>(i) * kp + t] =
            w.path == KernelPath::kAvx512 ? static_cast<int8_t>(static_cast<uint8_t>(v) ^ 0x80u) : v;
      }
    ap = narrow.data();
  }
  switch (w.path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: isa::int8_gemm_avx2(ap, m, w.data.data(), w.n, kp, w.row_sum_x128.data(), c, ldc); break;
    case KernelPath::kAvx512:
      isa::int8_gemm_avx512vnni(ap, m, w.data.data(), w.n, kp, w.row_sum_x128.data(), c, ldc);
      break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: isa::int8_gemm_neon(ap, m, w.data.data(), w.n, kp, w.row_sum_x128.data(), c, ldc); break;
#endif
    default: isa::int8_gemm_ref(ap, m, w.data.data(), w.n, kp, w.row_sum_x128.data(), c, ldc); break;
  }
  return w.path;
}

}  // namespace kernels
}  // namespace ncasr
