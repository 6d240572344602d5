#include "kernels/lstm_cell.h"

#include <string>

#include "common/errors.h"
#include "kernels/lstm_cell_isa.h"

namespace ncasr {
namespace kernels {

KernelPath lstm_cell(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden, KernelPath path) {
  require_kernel_path(path);
  if (hidden < 0 || gate_stride < hidden || (hidden > 0 && (!gates || !cell || !hidden_out)))
    throw ConfigError("lstm cell: bad size (" + std::to_string(hidden) + ") or null pointer");
  switch (path) {
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: isa::lstm_cell_avx2(gates, gate_stride, cell, hidden_out, hidden); break;
    case KernelPath::kAvx512: isa::lstm_cell_avx512(gates, gate_stride, cell, hidden_out, hidden); break;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: isa::lstm_cell_neon(gates, gate_stride, cell, hidden_out, hidden); break;
#endif
    default: isa::lstm_cell_ref(gates, gate_stride, cell, hidden_out, hidden); break;
  }
  return path;
}

KernelPath lstm_cell(const float* gates, int gate_stride, float* cell, float* hidden_out, int hidden) {
  return lstm_cell(gates, gate_stride, cell, hidden_out, hidden, active_kernel_path());
}

}  // namespace kernels
}  // namespace ncasr
