// Scalar twin of the GLU: the exp of kernels/exp_approx.h one value at a time.
#include "kernels/glu_isa.h"
#include "kernels/reference/exp_ref.h"

namespace ncasr {
namespace kernels {
namespace isa {

void glu_ref(const float* a, const float* b, float shift, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] * sigmoid(b[i] + shift);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
