#pragma once
// Loads one ncnn net (param + bin) with checks ncnn does not make: every layer type
// known, the .bin neither short nor longer than the graph reads, clear errors naming
// the file.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "model/param_file.h"
#include "model/state_unstacking.h"

namespace ncnn {
class Net;
}

namespace ncasr {

struct NetLoadOptions {
  // Run each Convolution1D with kernel 1, stride 1, no padding and no fused activation as
  // a Gemm (NcasrPointwiseConv1D): faster on x86; sums in another order, so outputs
  // differ from ncnn's Convolution1D by float rounding.
  bool pointwise_conv1d_as_gemm = false;
  // Run each depthwise ConvolutionDepthWise1D (stride 1, dilation 1, no fused activation)
  // on ncasr's SIMD kernel (NcasrDepthwiseConv1D): faster than ncnn's scalar layer; the
  // sum may run in another order, so outputs differ by float rounding.
  bool depthwise_conv1d_simd = false;
  // Run those depthwise layers in int8 instead (NcasrDepthwiseConv1DInt8): taps quantized per
  // channel at load, activations per channel per call. Takes precedence over the SIMD float one.
  bool depthwise_conv1d_int8 = false;
  // Run each GLU along axis 0 on ncasr's SIMD kernel (NcasrGLU), on ncnn's packed blobs:
  // no layout conversions around it; its sigmoid rounds differently from ncnn's.
  bool glu_simd = false;
  // Fuse pnnx's DoubleSwish (Split; BinaryOp x - 1; Sigmoid; BinaryOp mul) into one in-place
  // layer (NcasrDoubleSwish) on the GLU kernel; its sigmoid rounds differently from ncnn's.
  bool fuse_double_swish = false;
  // Fuse pnnx's BasicNorm (Split; x*x; Reduction mean; + eps; pow -0.5; mul) into one
  // in-place packed layer (NcasrBasicNorm); sums and 1/sqrt round differently from ncnn's.
  bool fuse_basic_norm = false;
  // Run each ncnn int8 Gemm (18=2) of the Linear or pointwise-conv shape on ncasr's int8
  // kernels (NcasrInt8Gemm): activations quantized per frame instead of ncnn's rounding, so
  // outputs differ from ncnn's int8 Gemm by quantization rounding.
  bool int8_gemm_ncasr = false;
  // Run each forward int8 LSTM (8=2) on ncasr's int8 kernels (NcasrLSTMInt8), its float
  // projection W_hr quantized at load: fewer bytes per time step, other rounding than ncnn's.
  bool lstm_int8_ncasr = false;
  // Run each forward float LSTM with fp16 weights and float arithmetic (NcasrLSTMFp16):
  // half the bytes per time step; outputs differ by the weights' fp16 rounding.
  bool lstm_fp16_weights = false;
  // Run each forward float LSTM with float weights on ncasr's panel kernel (NcasrLSTMFp32):
  // the same bytes as ncnn's LSTM; outputs differ by float rounding. lstm_fp16_weights wins.
  bool lstm_fp32_panels = false;
  // Run each float InnerProduct without fused activation on ncasr's panel kernels
  // (NcasrInnerProductPanels), fp16 weights with fp16 storage: one weight sweep per input row.
  bool inner_product_panels = false;
  // (input, output) blob names of the stacked encoder states to feed and return per layer
  // (see state_unstacking.h); empty: the graph keeps its stacked states.
  std::vector<std::pair<std::string, std::string>> unstack_state_blobs;
};

struct NetLoadResult {
  ParamFile param;
  long long weight_bytes = -1;  // bytes the layers read from the .bin; -1 without a .bin
  // Layers renamed in memory to ncasr's own implementation: new type -> count.
  std::map<std::string, int> overrides;
  // One entry per unstack_state_blobs pair when the rewrite applied, else empty.
  std::vector<UnstackedState> unstacked_states;
};

// Checks that every layer type in `pf` exists in this ncnn build or as an ncasr custom
// layer; throws ModelError naming the first one that does not.
void check_layer_types(const ParamFile& pf);

// Parses and checks the param file, registers ncasr's custom layers on `net` and loads
// the param into it (no weights). Throws ModelError naming the file.
ParamFile load_param_checked(ncnn::Net& net, const std::string& param_path,
                             const NetLoadOptions& options = {},
                             std::map<std::string, int>* overrides = nullptr,
                             std::vector<UnstackedState>* unstacked_states = nullptr);

// load_param_checked, then the weights unless bin_path is empty. `net.opt` must be set
// by the caller before this call.
NetLoadResult load_net(ncnn::Net& net, const std::string& param_path, const std::string& bin_path,
                       const NetLoadOptions& options = {});

}  // namespace ncasr
