#include "kernels/glu.h"

#include "common/errors.h"
#include "kernels/glu_isa.h"

namespace ncasr {
namespace kernels {

KernelPath glu(const float* a, const float* b, float shift, float* out, size_t n, KernelPath path) {
  require_kernel_path(path);
  if (n > 0 && (!a || !b || !out)) throw ConfigError("glu: null input or output");
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: isa::glu_avx2(a, b, shift, out, n); break;
    case KernelPath::kAvx512: isa::glu_avx512(a, b, shift, out, n); break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: isa::glu_neon(a, b, shift, out, n); break;
#endif
    default: isa::glu_ref(a, b, shift, out, n); break;
  }
  return path;
}

KernelPath glu(const float* a, const float* b, float shift, float* out, size_t n) {
  return glu(a, b, shift, out, n, active_kernel_path());
}

}  // namespace kernels
}  // namespace ncasr
