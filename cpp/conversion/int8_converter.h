#pragma once
// Writes an int8 version of one ncnn net, choosing per layer type the int8 form that is
// correct and faster than float on x86 and ARM:
//   LSTM  - W_xc and W_hc per gate row (8=2); bias and the W_hr projection stay float;
//           activations are quantized per time step at run time (no calibration);
//   Gemm  - a constant B (pnnx's Linear) per tensor, as ncnn's int8 Gemm reads it (18=2);
//   InnerProduct on a (T, C) input - rewritten as that int8 Gemm: ncnn's int8 InnerProduct
//           is SSE-only on x86 (slower than float there) while int8 Gemm uses VNNI/AVX2 and
//           quantizes each input row at run time (no calibration);
//   Convolution1D, pointwise (kernel 1) - rewritten as an int8 Gemm with the weights as
//           constant A (per output channel) and the input quantized at run time;
//   Convolution - int8 weights per output channel and the calibrated input scale (8=2);
//   ConvolutionDepthWise1D (only with ncasr_int8_depthwise) - NcasrDepthwiseConv1DInt8.
// Every other blob is copied byte for byte (or as fp16 with fp16_storage); the report
// accounts for each input blob.
#include <map>
#include <set>
#include <string>
#include <vector>

namespace ncasr {

struct ConvertOptions {
  std::set<std::string> exclude_layers;  // by layer name within this net
  std::set<std::string> exclude_types;   // by layer type, e.g. "Gemm"
  // Row width of InnerProduct inputs that are (T, C) matrices (seen by a probe run): only
  // a layer whose rows are its num_input wide can become a Gemm with the same output shape.
  std::map<std::string, int> row_input_widths;
  // Calibrated input scales (127 / threshold) by layer name, for Convolution.
  std::map<std::string, float> input_scales;
  // Store the float blobs that stay float (tagged ones) as fp16: half their size; ncnn
  // widens them to fp32 at load.
  bool fp16_storage = false;
  // Write Linear and pointwise-conv Gemms as NcasrInt8Gemm (one weight scale per output
  // channel, ncasr's int8 kernels) instead of ncnn's int8 Gemm (one scale for a Linear's
  // weights): more accurate, but only ncasr can load the result.
  bool ncasr_int8_gemm = false;
  // Write depthwise ConvolutionDepthWise1D layers (stride 1, dilation 1, one filter per
  // channel) as NcasrDepthwiseConv1DInt8: int8 taps with one scale per channel (ncnn has no
  // int8 depthwise Conv1D); only ncasr can load the result.
  bool ncasr_int8_depthwise = false;
};

// The file an int8 folder gets when it uses ncasr's own layers, and its text: which layers
// ("net/name (type)"), and that only ncasr loads them.
constexpr const char* kNcasrOnlyFile = "NCASR-ONLY.txt";
std::string ncasr_only_note(const std::vector<std::string>& layers);

// What the converter did with a layer that has weights.
enum class LayerOutcome {
  kInt8,       // written in int8 (int8_type says as what)
  kExcluded,   // the user asked to keep it float (by name or type)
  kKeptFloat,  // no int8 form that is correct and faster here (reason says why)
};
// "int8", "excluded", "kept_float": the names Python's LayerOutcome uses.
const char* to_string(LayerOutcome outcome);

struct LayerConversion {
  std::string name, type;
  LayerOutcome outcome = LayerOutcome::kKeptFloat;
  std::string int8_type;  // the layer type written when int8 ("Gemm" for an InnerProduct), else ""
  std::string reason;     // why it stayed float, else ""
  long long bytes_in = 0, bytes_out = 0;
  int blobs_in = 0;
};

struct ConvertReport {
  std::vector<LayerConversion> layers;  // every layer that has weights
  long long bytes_in = 0, bytes_out = 0;
  int quantized = 0;
};

ConvertReport convert_net_int8(const std::string& param_in, const std::string& bin_in, const std::string& param_out,
                               const std::string& bin_out, const ConvertOptions& options);

}  // namespace ncasr
