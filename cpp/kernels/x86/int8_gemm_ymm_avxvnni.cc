// AVX-VNNI int8 matrix product (VEX vpdpbusd on ymm), for CPUs with AVX-VNNI and without
// AVX-512 VNNI; the kernel lives in int8_gemm_vnni256.h.
#include "kernels/int8_gemm_isa.h"

#define NCASR_DPBUSD(acc, a, w) _mm256_dpbusd_avx_epi32(acc, a, w)
#include "kernels/x86/int8_gemm_vnni256.h"

namespace ncasr {
namespace kernels {
namespace isa {

void int8_gemm_avxvnni(const void* ap, int m, const int8_t* wp, int n, int kp, const int32_t* row_sum_x128, int32_t* c,
                       size_t ldc) {
  vnni256_gemm(ap, m, wp, n, kp, row_sum_x128, c, ldc);
}

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
