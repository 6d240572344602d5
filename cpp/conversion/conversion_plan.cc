#include "conversion/conversion_plan.h"

#include "calibration/calibrator.h"
#include "calibration/shape_probe.h"
#include "common/errors.h"

namespace ncasr {

std::map<std::string, ConvertOptions> plan_conversion(const ActivationRunner& runner, const ScaleTable* table,
                                                      const std::set<std::string>& exclude_layers,
                                                      const std::set<std::string>& exclude_types,
                                                      bool fp16_storage, bool ncasr_int8_gemm,
                                                      bool ncasr_int8_depthwise) {
  std::map<std::string, ConvertOptions> plan;
  std::map<std::string, const CalibrationTarget*> targets;
  for (const char* net : {"encoder", "decoder", "joiner"}) {
    ConvertOptions& o = plan[net];
    o.exclude_layers = exclude_layers;
    o.exclude_types = exclude_types;
    o.fp16_storage = fp16_storage;
    o.ncasr_int8_gemm = ncasr_int8_gemm;
    o.ncasr_int8_depthwise = ncasr_int8_depthwise;
  }
  for (const auto& t : runner.targets()) targets[calibration_key(t)] = &t;
  for (const auto& [key, width] : probe_row_widths(runner)) {
    const CalibrationTarget& t = *targets.at(key);
    if (t.type == "InnerProduct") plan[t.net].row_input_widths[t.layer] = width;
  }
  if (table) {
    std::string unknown;
    int rows = 0, missing = 0;
    for (const auto& key : table->keys()) {
      if (ScaleTable::is_weight_key(key)) continue;
      ++rows;
      const auto it = targets.find(key);
      if (it == targets.end()) {
        if (missing++ < 5) unknown += (unknown.empty() ? "" : ", ") + key;
        continue;
      }
      plan[it->second->net].input_scales[it->second->layer] = table->get(key).at(0);
    }
    if (rows == 0) throw ConfigError("the calibration table has no activation scales");
    if (missing)
      throw ConfigError("the calibration table names layers this model lacks: " + unknown +
                        (missing > 5 ? " ..." : "") + " (keys are <net>/<layer>, as ncasr.calibrate writes them)");
  }
  return plan;
}

}  // namespace ncasr
