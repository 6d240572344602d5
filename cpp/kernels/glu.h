#pragma once
// Gated sigmoid: out[i] = a[i] * sigmoid(b[i] + shift). A gated linear unit on its two halves
// (shift 0), or Zipformer's DoubleSwish x * sigmoid(x - 1) (a = b = x, shift -1).
// sigmoid is the exp of kernels/exp_approx.h on every path, each operation rounded, so each
// SIMD path gives the scalar twin's bits (against libm's expf, a few ulp apart).
#include <cstddef>

#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

// out may alias a or b. Returns the path that ran.
KernelPath glu(const float* a, const float* b, float shift, float* out, size_t n);
KernelPath glu(const float* a, const float* b, float shift, float* out, size_t n, KernelPath path);

}  // namespace kernels
}  // namespace ncasr
