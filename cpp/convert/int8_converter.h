#pragma once
// Writes an int8 version of one ncnn net. This first stage quantizes the layers whose
// int8 kernels need no calibration data (weights int8, activations quantized at run time):
//   LSTM  - W_xc and W_hc per gate row (8=2); bias and the W_hr projection stay float;
//   Gemm  - a constant B (pnnx's Linear) per tensor, as ncnn's int8 Gemm reads it (18=2).
// Every other blob is copied byte for byte; the report accounts for each input blob.
#include <set>
#include <string>
#include <vector>

namespace ncasr {

struct ConvertOptions {
  std::set<std::string> exclude_layers;  // by layer name
  std::set<std::string> exclude_types;   // by layer type, e.g. "Gemm"
};

struct LayerConversion {
  std::string name, type;
  std::string action;  // "int8" or "kept float: <why>"
  long long bytes_in = 0, bytes_out = 0;
  int blobs_in = 0;
};

struct ConvertReport {
  std::vector<LayerConversion> layers;  // every layer that has weights
  long long bytes_in = 0, bytes_out = 0;
  int quantized = 0;
};

ConvertReport convert_net_int8(const std::string& param_in, const std::string& bin_in,
                               const std::string& param_out, const std::string& bin_out,
                               const ConvertOptions& options);

}  // namespace ncasr
