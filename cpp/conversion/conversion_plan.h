#pragma once
// Per-net converter options for a whole model folder: which InnerProducts take (T, C)
// inputs (from a probe run), the calibrated input scales of each net's layers (from a
// "<net>/<layer>" table), and the user's exclusions. Shared by `ncasr.quantize` and the
// `ncasr-quantize` tool.
#include <map>
#include <set>
#include <string>

#include "calibration/activation_runner.h"
#include "conversion/int8_converter.h"
#include "calibration/scale_table.h"

namespace ncasr {

// net ("encoder", "decoder", "joiner") -> options. `table` may be null (no Convolution is
// then quantized). ConfigError if the table has no activation rows or names a layer the
// model does not have.
std::map<std::string, ConvertOptions> plan_conversion(const ActivationRunner& runner, const ScaleTable* table,
                                                      const std::set<std::string>& exclude_layers,
                                                      const std::set<std::string>& exclude_types,
                                                      bool fp16_storage, bool ncasr_int8_gemm = false,
                                                      bool ncasr_int8_depthwise = false);

}  // namespace ncasr
