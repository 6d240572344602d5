#include "runtime/net_loader.h"

#include <layer.h>
#include <net.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>

#include "common/errors.h"
#include "common/text_checks.h"
#include "graph/graph_fusions.h"
#include "model/layers/compat/custom_layers.h"
#include "runtime/file_reader.h"

namespace ncasr {

void check_layer_types(const ParamFile& pf) {
  const auto& custom = custom_layer_types();
  for (const auto& l : pf.layers) {
    if (std::find(custom.begin(), custom.end(), l.type) != custom.end()) continue;
    int index = ncnn::layer_to_index(l.type.c_str());
    if (index < 0)
      throw ModelError(pf.path, "line " + std::to_string(l.line) + ": unknown layer type '" + excerpt(l.type) +
                                    "' (layer '" + excerpt(l.name) + "')");
    std::unique_ptr<ncnn::Layer> probe(ncnn::create_layer_cpu(index));
    if (!probe)
      throw ModelError(pf.path, "line " + std::to_string(l.line) + ": layer type '" + l.type + "' (layer '" + l.name +
                                    "') is not compiled into this ncasr build of ncnn");
  }
}

namespace {

bool is_pointwise_conv1d(const ParamLayer& l) {
  auto is = [&l](const char* key, const char* value, bool absent_ok) {
    const std::string v = l.param(key);
    return v.empty() ? absent_ok : v == value;
  };
  return l.type == "Convolution1D" && is("1", "1", false) && is("2", "1", true) && is("3", "1", true) &&
         is("4", "0", true) && is("15", "0", true) && is("9", "0", true) && is("19", "0", true);
}

bool is_simple_depthwise_conv1d(const ParamLayer& l) {
  if (l.type != "ConvolutionDepthWise1D") return false;
  auto num = [&l](const char* key, long fallback) {
    const std::string v = l.param(key);
    if (v.empty()) return fallback;
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    return end && *end == '\0' ? n : -999999;  // arrays, floats: not ours
  };
  const long out = num("0", 0), kernel = num("1", 0), pad = num("4", 0);
  return out > 0 && kernel > 0 && num("2", 1) == 1 && num("3", 1) == 1 && pad >= 0 && num("15", pad) >= 0 &&
         num("7", 1) == out && num("6", 0) == out * kernel && num("9", 0) == 0 && num("19", 0) == 0;
}

// An ncnn int8 Gemm NcasrInt8Gemm runs: one input, constant int8 weights as B (Linear:
// transB) or A (pointwise conv), bias along the output channel or none, plain output.
bool is_ncasr_int8_gemm(const ParamLayer& l) {
  if (l.type != "Gemm" || l.bottoms.size() != 1 || l.tops.size() != 1) return false;
  auto num = [&l](const char* key, long fallback) {
    const std::string v = l.param(key);
    if (v.empty()) return fallback;
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    return end && *end == '\0' ? n : -999999;
  };
  auto one = [&l](const char* key) {  // alpha, beta: absent or 1
    const std::string v = l.param(key);
    return v.empty() || std::strtod(v.c_str(), nullptr) == 1.0;
  };
  if (num("18", 0) != 2 || !one("0") || !one("1") || num("11", 0) != 0 || num("12", 0) != 0 || num("13", 0) != 0 ||
      num("14", 0) != 0 || num("9", 0) <= 0)
    return false;
  const long broadcast = num("10", 0), constant_c = num("6", 0);
  if (num("4", 0) == 1)  // constant A: W (M x K) times the input
    return num("2", 0) == 0 && num("3", 0) == 0 && num("5", 0) == 0 && num("7", 0) > 0 &&
           (broadcast == -1 || (constant_c == 1 && broadcast == 1));
  return num("5", 0) == 1 && num("2", 0) == 0 && num("3", 0) == 1 && num("8", 0) > 0 &&
         (broadcast == -1 || (constant_c == 1 && broadcast == 4));
}

bool is_forward_int8_lstm(const ParamLayer& l) {
  return l.type == "LSTM" && l.param("8") == "2" && (l.param("2").empty() || l.param("2") == "0") &&
         (l.bottoms.size() == 1 || l.bottoms.size() == 3) && (l.tops.size() == 1 || l.tops.size() == 3);
}

bool is_axis0_glu(const ParamLayer& l) { return l.type == "GLU" && (l.param("0").empty() || l.param("0") == "0"); }

bool is_plain_float_inner_product(const ParamLayer& l) {
  auto zero_or_absent = [&l](const char* key) { return l.param(key).empty() || l.param(key) == "0"; };
  return l.type == "InnerProduct" && zero_or_absent("8") && zero_or_absent("9") && l.bottoms.size() == 1 &&
         l.tops.size() == 1;
}

bool is_forward_float_lstm(const ParamLayer& l) {
  return l.type == "LSTM" && (l.param("8").empty() || l.param("8") == "0") &&
         (l.param("2").empty() || l.param("2") == "0") && (l.bottoms.size() == 1 || l.bottoms.size() == 3) &&
         (l.tops.size() == 1 || l.tops.size() == 3);
}

}  // namespace

ParamFile load_param_checked(ncnn::Net& net, const std::string& param_path, const NetLoadOptions& options,
                             std::map<std::string, int>* overrides, std::vector<UnstackedState>* unstacked_states) {
  ParamFile pf = ParamFile::load(param_path);
  check_layer_types(pf);
  register_custom_layers(net);
  ParamFile run = pf;
  std::map<std::string, int> renamed;  // new type -> count
  for (auto& l : run.layers) {
    const char* type =
        options.layers.pointwise_conv1d_as_gemm && is_pointwise_conv1d(l)        ? kPointwiseConv1DType
        : options.layers.depthwise_conv1d_int8 && is_simple_depthwise_conv1d(l)  ? kInt8DepthwiseConv1DType
        : options.layers.depthwise_conv1d_simd && is_simple_depthwise_conv1d(l)  ? kDepthwiseConv1DType
        : options.layers.glu_simd && is_axis0_glu(l)                             ? kGLUType
        : options.layers.int8_gemm_ncasr && is_ncasr_int8_gemm(l)                ? kInt8GemmType
        : options.layers.lstm_int8_ncasr && is_forward_int8_lstm(l)              ? kLSTMInt8Type
        : options.layers.lstm_fp16_weights && is_forward_float_lstm(l)           ? kLSTMFp16Type
        : options.layers.lstm_fp32_panels && is_forward_float_lstm(l)            ? kLSTMFp32Type
        : options.layers.inner_product_panels && is_plain_float_inner_product(l) ? kInnerProductPanelsType
                                                                                 : nullptr;
    if (type) {
      l.type = type;
      ++renamed[type];
    }
  }
  if (options.layers.fuse_double_swish) {
    const int fused = fuse_double_swish(&run);
    if (fused) renamed[kDoubleSwishType] = fused;
  }
  if (options.layers.fuse_basic_norm) {
    const int fused = fuse_basic_norm(&run);
    if (fused) renamed[kBasicNormType] = fused;
  }
  std::vector<UnstackedState> unstacked;
  if (!options.unstack_state_blobs.empty()) unstacked = unstack_states(&run, options.unstack_state_blobs);
  const bool rewritten = !renamed.empty() || !unstacked.empty();
  int rc = -1;
  try {
    rc = !rewritten ? net.load_param(param_path.c_str()) : net.load_param_mem(run.to_text().c_str());
  } catch (const std::bad_alloc&) {
    throw ModelError(param_path, "ncnn ran out of memory reading this param file (a size in it is too large)");
  } catch (const std::length_error&) {
    throw ModelError(param_path, "a size in this param file is too large for ncnn");
  }
  if (rc != 0) throw ModelError(param_path, "ncnn rejected this param file (its message is on stderr)");
  if (overrides) *overrides = std::move(renamed);
  if (unstacked_states) *unstacked_states = std::move(unstacked);
  return pf;
}

NetLoadResult load_net(ncnn::Net& net, const std::string& param_path, const std::string& bin_path,
                       const NetLoadOptions& options) {
  NetLoadResult result;
  result.param = load_param_checked(net, param_path, options, &result.overrides, &result.unstacked_states);
  if (bin_path.empty()) return result;

  FileReader reader(bin_path);
  const long long bin_size = reader.file_size();
  int rc = -1;
  try {
    rc = net.load_model(reader);
  } catch (const std::bad_alloc&) {
    throw ModelError(bin_path, "ncnn ran out of memory loading the weights of " + param_path +
                                   " (a weight size in the param is too large)");
  } catch (const std::length_error&) {
    throw ModelError(bin_path, "a weight size in " + param_path + " is too large for ncnn");
  }
  if (reader.short_read())
    throw ModelError(bin_path, "truncated or does not belong to " + param_path +
                                   ": the graph reads past its end (file has " + std::to_string(bin_size) + " bytes)");
  if (rc != 0)
    throw ModelError(bin_path, "ncnn could not load the weights for " + param_path + " (its message is on stderr)");
  if (reader.offset() != bin_size)
    throw ModelError(bin_path, "does not belong to " + param_path + ": the graph reads " +
                                   std::to_string(reader.offset()) + " bytes but the file has " +
                                   std::to_string(bin_size));
  result.weight_bytes = reader.offset();
  return result;
}

}  // namespace ncasr
