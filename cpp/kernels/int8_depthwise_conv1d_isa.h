#pragma once
// Per-ISA entry points behind kernels/int8_depthwise_conv1d.h; only its dispatcher calls
// them. Packed rows [r0, r1) of x (pack 4, 8 or 16 for SIMD, any for ref), in_w columns,
// out_w = in_w - kernel + 1 outputs. `phased` / `phased_abs` / `sum_x128` as in
// Int8DepthwiseWeights; `scratch` holds at least int8_depthwise_scratch_bytes(...) bytes.
// The ISA files allocate nothing (see calib_stats_isa.h).
#include <cstddef>
#include <cstdint>

namespace ncasr {
namespace kernels {
namespace isa {

struct Int8DwArgs {
  const float* x;
  size_t x_stride;
  int in_w, out_w, pack, channels, kernel, blocks;
  const int8_t* taps;  // ref
  const float* w_scales;
  const int8_t* phased;  // SIMD
  const int8_t* phased_abs;
  const int32_t* sum_x128;
  const float* bias;  // may be null
  float* y;
  size_t y_stride;
  uint8_t* scratch;
};

// Activation blocks a row needs: ceil(in_w / 4) with data, then enough zero blocks that the
// last output's `blocks` reads stay inside, plus one (kernels may read the next output
// block's activations along with the last one's).
inline int int8_dw_activation_blocks(int in_w, int out_w, int blocks) {
  const int data = (in_w + 3) / 4, needed = (out_w - 1) / 4 + blocks + 1;
  return data > needed ? data : needed;
}

// Bytes between the weight blocks of one phase: 4 per channel plus one cache line, so a row's
// blocks (and phases) do not all fall into the same few L1 sets when 4 * channels is a
// multiple of 2048 (512 channels: every block of a row in 2 of 64 sets, evicting each other).
inline size_t int8_dw_block_stride(int channels) { return static_cast<size_t>(channels) * 4 + 64; }

#define NCASR_DECLARE_INT8_DW(SUFFIX) void int8_depthwise_conv1d_##SUFFIX(const Int8DwArgs& a, int r0, int r1);

#if defined(NCASR_HAVE_X86_KERNELS)
NCASR_DECLARE_INT8_DW(avx2)
NCASR_DECLARE_INT8_DW(avx512vnni)
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
NCASR_DECLARE_INT8_DW(neon)
NCASR_DECLARE_INT8_DW(neon_dotprod)
#endif
NCASR_DECLARE_INT8_DW(ref)

#undef NCASR_DECLARE_INT8_DW

}  // namespace isa
}  // namespace kernels
}  // namespace ncasr
