#pragma once
// Gated linear unit on two halves already split: out[i] = a[i] * sigmoid(b[i]).
// sigmoid is the exp of kernels/exp_approx.h on every path, each operation rounded, so each
// SIMD path gives the scalar twin's bits (against libm's expf, a few ulp apart).
#include <cstddef>

#include "kernels/kernel_path.h"

namespace ncasr {
namespace kernels {

// out may alias a or b. Returns the path that ran.
KernelPath glu(const float* a, const float* b, float* out, size_t n);
KernelPath glu(const float* a, const float* b, float* out, size_t n, KernelPath path);

}  // namespace kernels
}  // namespace ncasr
