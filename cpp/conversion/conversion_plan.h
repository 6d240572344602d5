#pragma once
// Per-net converter options for a whole model folder: which InnerProducts take (T, C)
// inputs (from a probe run), the calibrated input scales of each net's layers (from a
// "<net>/<layer>" table), and the user's exclusions. Shared by `ncasr.quantize` and the
// `ncasr-quantize` tool.
#include <map>
#include <set>
#include <string>

#include "calibration/activation_runner.h"
#include "calibration/scale_table.h"
#include "conversion/int8_converter.h"

namespace ncasr {

// The conversion part of Python's QuantizeOptions (which adds calibration and automatic
// exclusion on top); one field per option, documented there.
struct ConversionOptions {
  std::set<std::string> exclude_layers;  // "<net>/<layer>", as scale tables name layers
  std::set<std::string> exclude_types;   // layer types, in every net, e.g. "Gemm"
  bool fp16_storage = false;
  bool ncasr_int8_gemm = false;
  bool ncasr_int8_depthwise = false;
};

// net ("encoder", "decoder", "joiner") -> options. `table` may be null (no Convolution is
// then quantized). ConfigError if the table has no activation rows or names a layer the
// model does not have, or an exclusion is not "<net>/<layer>" of a layer with weights.
std::map<std::string, ConvertOptions> plan_conversion(const ActivationRunner& runner, const ModelFiles& files,
                                                      const ScaleTable* table, const ConversionOptions& options);

}  // namespace ncasr
