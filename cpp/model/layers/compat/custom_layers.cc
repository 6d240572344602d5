#include "model/layers/compat/custom_layers.h"

#include <net.h>

namespace ncasr {

namespace {
struct Entry {
  const char* type;
  ncnn::layer_creator_func creator;
};
// ncnn stores the type pointer, so these strings must live as long as the program.
const Entry kEntries[] = {
    {"SherpaMetaData", create_sherpa_meta_data_layer},
    {"PoolingModuleNoProj", create_pooling_module_no_proj_layer},
    {"TensorAsStrided", create_tensor_as_strided_layer},
    {"SimpleUpsample", create_simple_upsample_layer},
    {"Stack", create_stack_layer},
    {kPointwiseConv1DType, create_pointwise_conv1d_layer},
    {kDepthwiseConv1DType, create_depthwise_conv1d_layer},
    {kInt8DepthwiseConv1DType, create_int8_depthwise_conv1d_layer},
    {kInt8GemmType, create_int8_gemm_layer},
    {kLSTMInt8Type, create_lstm_int8_layer},
    {kLSTMFp16Type, create_lstm_fp16_layer},
    {kLSTMFp32Type, create_lstm_fp32_layer},
    {kInnerProductPanelsType, create_inner_product_panels_layer},
    {kGLUType, create_glu_layer},
    {kDoubleSwishType, create_double_swish_layer},
    {kBasicNormType, create_basic_norm_layer},
};
}  // namespace

void register_custom_layers(ncnn::Net& net) {
  for (const auto& e : kEntries) net.register_custom_layer(e.type, e.creator);
}

const std::vector<std::string>& custom_layer_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> t;
    for (const auto& e : kEntries) t.emplace_back(e.type);
    return t;
  }();
  return types;
}

}  // namespace ncasr
