#pragma once
// Loads one ncnn net (param + bin) with checks ncnn does not make: every layer type
// known, the .bin neither short nor longer than the graph reads, clear errors naming
// the file.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "graph/state_unstacking.h"
#include "model/param_file.h"
#include "model/runtime_options.h"

namespace ncnn {
class Net;
}

namespace ncasr {

struct NetLoadOptions {
  // Which of ncasr's layer replacements and fusions apply, taken as they are: the conditions
  // on storage, CPU and model type are resolved before, by net_load_options (transducer_model.h).
  // Only the layer switches are read here. Default: none, ncnn's own layers.
  RuntimeOptions layers = RuntimeOptions::sherpa_ncnn();
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
ParamFile load_param_checked(ncnn::Net& net, const std::string& param_path, const NetLoadOptions& options = {},
                             std::map<std::string, int>* overrides = nullptr,
                             std::vector<UnstackedState>* unstacked_states = nullptr);

// load_param_checked, then the weights unless bin_path is empty. `net.opt` must be set
// by the caller before this call.
NetLoadResult load_net(ncnn::Net& net, const std::string& param_path, const std::string& bin_path,
                       const NetLoadOptions& options = {});

}  // namespace ncasr
