#pragma once
// Streaming encoders take each state as one tensor stacked over the layers of a stack
// (Zipformer: 35 inputs for 15 layers). pnnx unstacks every one inside the graph
// (Split -> one Crop per layer -> Reshape) and restacks the new states at the end (Stack):
// ~280 extra graph steps and two copies of every state per chunk. This rewrite feeds and
// returns the per-layer tensors directly; the caller keeps its states per layer.
#include <string>
#include <vector>

#include "model/param_file.h"

namespace ncasr {

// One stacked state of the original graph, after the rewrite.
struct UnstackedState {
  std::vector<std::string> inputs;   // per layer: the new Input blobs (layer 0 first)
  std::vector<std::string> outputs;  // per layer: the blobs the removed Stack read
};

// For each (input blob, output blob) pair, matches
//   Input(in) -> Split -> Crop(axis 0, [i, i+1]) -> Reshape(0=0 1=0)   for every layer i
//   Stack(axis 0, one bottom per layer) -> out
// and, only when every pair matches, replaces each Crop+Reshape by an Input producing the
// Reshape's blob and drops the Split, the Stack and the original Input. A layer's input is
// then fed as a 2-D tensor (w = the state's innermost size, h = the rest), exactly what the
// Reshape produced. Returns one entry per pair, or nothing (graph unchanged) when any pair
// does not match.
std::vector<UnstackedState> unstack_states(ParamFile* pf,
                                           const std::vector<std::pair<std::string, std::string>>& state_blobs);

}  // namespace ncasr
