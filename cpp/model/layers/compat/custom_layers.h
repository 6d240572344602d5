#pragma once
// Layers that icefall/sherpa-ncnn graphs use but ncnn does not ship. ncasr registers
// them on every Net before load_param, so a param naming them loads.
#include <string>
#include <vector>

namespace ncnn {
class Net;
class Layer;
}  // namespace ncnn

namespace ncasr {

// Registers SherpaMetaData, the four Zipformer layers (PoolingModuleNoProj,
// TensorAsStrided, SimpleUpsample, Stack) and ncasr's own NcasrPointwiseConv1D,
// NcasrDepthwiseConv1D, NcasrDepthwiseConv1DInt8, NcasrInt8Gemm, NcasrLSTMInt8, NcasrLSTMFp16, NcasrLSTMFp32,
// NcasrInnerProductPanels, NcasrGLU, NcasrDoubleSwish and NcasrBasicNorm on `net`.
void register_custom_layers(ncnn::Net& net);

// Type names registered by register_custom_layers.
const std::vector<std::string>& custom_layer_types();

// Creators, one per layer file.
ncnn::Layer* create_sherpa_meta_data_layer(void*);
ncnn::Layer* create_pooling_module_no_proj_layer(void*);
ncnn::Layer* create_tensor_as_strided_layer(void*);
ncnn::Layer* create_simple_upsample_layer(void*);
ncnn::Layer* create_stack_layer(void*);
ncnn::Layer* create_pointwise_conv1d_layer(void*);
ncnn::Layer* create_depthwise_conv1d_layer(void*);
ncnn::Layer* create_int8_depthwise_conv1d_layer(void*);
ncnn::Layer* create_int8_gemm_layer(void*);
ncnn::Layer* create_lstm_int8_layer(void*);
ncnn::Layer* create_lstm_fp16_layer(void*);
ncnn::Layer* create_lstm_fp32_layer(void*);
ncnn::Layer* create_inner_product_panels_layer(void*);
ncnn::Layer* create_glu_layer(void*);
ncnn::Layer* create_double_swish_layer(void*);
ncnn::Layer* create_basic_norm_layer(void*);

// The in-memory type name of a Convolution1D that load_net runs as a Gemm.
constexpr const char* kPointwiseConv1DType = "NcasrPointwiseConv1D";
// The in-memory type name of a ConvolutionDepthWise1D that load_net runs on ncasr's SIMD kernel.
constexpr const char* kDepthwiseConv1DType = "NcasrDepthwiseConv1D";
// ncasr's int8 depthwise Conv1D: written by the converter for ncasr-only models (int8 taps in
// the file), and the in-memory type of a float ConvolutionDepthWise1D that load_net quantizes.
constexpr const char* kInt8DepthwiseConv1DType = "NcasrDepthwiseConv1DInt8";
// ncasr's int8 Gemm (Linear and pointwise Conv1D on ncasr's int8 kernels): written by the
// converter for ncasr-only models, and the in-memory type of an ncnn int8 Gemm load_net runs
// on those kernels.
constexpr const char* kInt8GemmType = "NcasrInt8Gemm";
// The in-memory type of an ncnn int8 LSTM that load_net runs on ncasr's int8 kernels.
constexpr const char* kLSTMInt8Type = "NcasrLSTMInt8";
// The in-memory type of an ncnn float LSTM load_net runs with fp16 weights (x86, fp16 storage).
constexpr const char* kLSTMFp16Type = "NcasrLSTMFp16";
constexpr const char* kLSTMFp32Type = "NcasrLSTMFp32";
constexpr const char* kInnerProductPanelsType = "NcasrInnerProductPanels";
// The in-memory type of a GLU along axis 0 that load_net runs on ncasr's SIMD kernel, packed.
constexpr const char* kGLUType = "NcasrGLU";
// The in-memory layer that replaces pnnx's four-layer DoubleSwish (x * sigmoid(x - 1)).
constexpr const char* kDoubleSwishType = "NcasrDoubleSwish";
// The in-memory layer that replaces pnnx's six-layer BasicNorm.
constexpr const char* kBasicNormType = "NcasrBasicNorm";

}  // namespace ncasr
