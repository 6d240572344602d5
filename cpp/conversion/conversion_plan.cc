#include "conversion/conversion_plan.h"

#include "calibration/calibrator.h"
#include "calibration/shape_probe.h"
#include "common/errors.h"
#include "model/weight_map.h"

namespace ncasr {

namespace {

// "<net>/<layer>" exclusions split per net; each must name a layer with weights.
void plan_exclusions(const ModelFiles& files, const std::set<std::string>& keys,
                     std::map<std::string, ConvertOptions>* plan) {
  if (keys.empty()) return;
  const std::map<std::string, const NetFiles*> nets = {
      {"encoder", &files.encoder}, {"decoder", &files.decoder}, {"joiner", &files.joiner}};
  std::map<std::string, std::set<std::string>> weighted;  // net -> layers with weights
  for (const auto& [net, nf] : nets)
    if (!nf->bin.empty()) {
      const WeightMap wm = map_weights(nf->param, nf->bin);
      for (const auto& l : wm.layers) weighted[net].insert(l.name);
    }
  for (const auto& key : keys) {
    const size_t slash = key.find('/');
    const std::string net = slash == std::string::npos ? "" : key.substr(0, slash);
    if (!nets.count(net))
      throw ConfigError("exclude '" + key + "': name a layer as <net>/<layer>, e.g. encoder/" + key +
                        " (net is encoder, decoder or joiner)");
    const std::string layer = key.substr(slash + 1);
    if (!weighted[net].count(layer))
      throw ConfigError("exclude '" + key + "': the " + net + " has no layer '" + layer + "' with weights (" +
                        nets.at(net)->param + ")");
    (*plan)[net].exclude_layers.insert(layer);
  }
}

}  // namespace

std::map<std::string, ConvertOptions> plan_conversion(const ActivationRunner& runner, const ModelFiles& files,
                                                      const ScaleTable* table, const ConversionOptions& options) {
  std::map<std::string, ConvertOptions> plan;
  std::map<std::string, const CalibrationTarget*> targets;
  for (const char* net : {"encoder", "decoder", "joiner"}) {
    ConvertOptions& o = plan[net];
    o.exclude_types = options.exclude_types;
    o.fp16_storage = options.fp16_storage;
    o.ncasr_int8_gemm = options.ncasr_int8_gemm;
    o.ncasr_int8_depthwise = options.ncasr_int8_depthwise;
  }
  plan_exclusions(files, options.exclude_layers, &plan);
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
