#pragma once
// What a model folder holds: architecture, metadata and per-net statistics.
#include <map>
#include <string>

#include "model/meta_data.h"
#include "model/model_files.h"

namespace ncasr {

struct NetInfo {
  std::string param_path;
  std::string bin_path;  // "" if the folder has no .bin for this net
  int layer_count = 0;
  int blob_count = 0;
  std::map<std::string, int> layer_types;
  long long weight_bytes = -1;  // -1 without a .bin
};

struct ModelInfo {
  ModelFiles files;
  ModelMetaData meta;
  NetInfo encoder, decoder, joiner;
  int vocab_size = -1;             // from tokens.txt; -1 when absent
  int disambiguation_symbols = 0;  // icefall's trailing "#N" entries of tokens.txt
};

// Loads every net of the folder (weights too, when present) and checks them.
ModelInfo inspect_model(const std::string& dir, const std::string& variant = "");

}  // namespace ncasr
