#include "graph/state_unstacking.h"

#include <cstdlib>
#include <map>
#include <set>
#include <utility>

namespace ncasr {
namespace {

// "1,<v>" (a one-element array param) -> v; false for anything else.
bool one_element(const std::string& raw, long* v) {
  if (raw.size() < 3 || raw.compare(0, 2, "1,") != 0) return false;
  char* end = nullptr;
  *v = std::strtol(raw.c_str() + 2, &end, 10);
  return end && *end == '\0';
}

// Crop of [start, start+1) along axis 0 and nothing else; returns start or -1.
long layer_slice_start(const ParamLayer& l) {
  long start = 0, end = 0, axis = 0;
  if (l.type != "Crop" || l.bottoms.size() != 1 || l.tops.size() != 1 || l.params.size() != 3) return -1;
  if (!one_element(l.param("-23309"), &start) || !one_element(l.param("-23310"), &end) ||
      !one_element(l.param("-23311"), &axis))
    return -1;
  return axis == 0 && start >= 0 && end == start + 1 ? start : -1;
}

bool is_keep_2d_reshape(const ParamLayer& l) {  // Reshape 0=0 1=0: 2-D, w and h kept
  return l.type == "Reshape" && l.bottoms.size() == 1 && l.tops.size() == 1 && l.params.size() == 2 &&
         l.param("0") == "0" && l.param("1") == "0";
}

struct Graph {
  explicit Graph(const ParamFile& pf) : pf(pf) {
    for (size_t i = 0; i < pf.layers.size(); ++i) {
      for (const auto& b : pf.layers[i].bottoms) consumers[b].push_back(i);
      for (const auto& t : pf.layers[i].tops) producer[t] = i;
    }
  }
  // The one layer reading `blob`, or -1.
  long only_consumer(const std::string& blob) const {
    const auto it = consumers.find(blob);
    return it == consumers.end() || it->second.size() != 1 ? -1 : static_cast<long>(it->second[0]);
  }
  const ParamFile& pf;
  std::map<std::string, std::vector<size_t>> consumers;
  std::map<std::string, size_t> producer;
};

struct Match {
  size_t input_layer = 0;
  std::vector<size_t> removed;           // Split, Crops, Reshapes, Stack
  std::vector<std::string> layer_blobs;  // per layer: the Reshape's top
  std::vector<std::string> outputs;      // per layer: the Stack's bottoms
};

bool match_state(const Graph& g, const std::string& in, const std::string& out, Match* m) {
  const auto pin = g.producer.find(in);
  const auto pout = g.producer.find(out);
  if (pin == g.producer.end() || pout == g.producer.end()) return false;
  const ParamLayer& input = g.pf.layers[pin->second];
  const ParamLayer& stack = g.pf.layers[pout->second];
  if (input.type != "Input" || input.tops.size() != 1) return false;
  if (stack.type != "Stack" || stack.tops.size() != 1 || !(stack.param("0").empty() || stack.param("0") == "0"))
    return false;
  // The copies of the input: a Split's tops, or the input itself when one layer reads it.
  std::vector<std::string> copies{in};
  const long first = g.only_consumer(in);
  if (first < 0) return false;
  if (g.pf.layers[first].type == "Split") {
    copies = g.pf.layers[first].tops;
    m->removed.push_back(static_cast<size_t>(first));
  }
  const size_t layers = stack.bottoms.size();
  if (copies.size() != layers) return false;
  m->layer_blobs.assign(layers, "");
  for (const auto& c : copies) {
    const long crop = g.only_consumer(c);
    if (crop < 0) return false;
    const long start = layer_slice_start(g.pf.layers[crop]);
    if (start < 0 || static_cast<size_t>(start) >= layers || !m->layer_blobs[start].empty()) return false;
    const long reshape = g.only_consumer(g.pf.layers[crop].tops[0]);
    if (reshape < 0 || !is_keep_2d_reshape(g.pf.layers[reshape])) return false;
    m->layer_blobs[start] = g.pf.layers[reshape].tops[0];
    m->removed.push_back(static_cast<size_t>(crop));
    m->removed.push_back(static_cast<size_t>(reshape));
  }
  if (g.consumers.count(out)) return false;  // the stacked output must be an output only
  m->input_layer = pin->second;
  m->removed.push_back(pout->second);
  m->outputs = stack.bottoms;
  return true;
}

}  // namespace

std::vector<UnstackedState> unstack_states(ParamFile* pf,
                                           const std::vector<std::pair<std::string, std::string>>& state_blobs) {
  std::vector<Match> matches(state_blobs.size());
  {
    const Graph g(*pf);
    for (size_t k = 0; k < state_blobs.size(); ++k)
      if (!match_state(g, state_blobs[k].first, state_blobs[k].second, &matches[k])) return {};
  }
  std::set<size_t> removed;
  std::map<size_t, size_t> input_of;  // original Input layer -> state index
  for (size_t k = 0; k < matches.size(); ++k) {
    removed.insert(matches[k].removed.begin(), matches[k].removed.end());
    input_of[matches[k].input_layer] = k;
  }
  std::vector<ParamLayer> kept;
  std::vector<UnstackedState> result(matches.size());
  for (size_t i = 0; i < pf->layers.size(); ++i) {
    const auto state = input_of.find(i);
    if (state != input_of.end()) {  // the per-layer inputs take the stacked input's place
      const Match& m = matches[state->second];
      for (size_t l = 0; l < m.layer_blobs.size(); ++l) {
        ParamLayer input;
        input.type = "Input";
        input.name = pf->layers[i].name + "_layer" + std::to_string(l);
        input.tops = {m.layer_blobs[l]};
        input.line = pf->layers[i].line;
        kept.push_back(std::move(input));
      }
      result[state->second] = {m.layer_blobs, m.outputs};
    } else if (!removed.count(i)) {
      kept.push_back(std::move(pf->layers[i]));
    }
  }
  pf->layers = std::move(kept);
  return result;
}

}  // namespace ncasr
