#pragma once
// Model metadata carried by the encoder's SherpaMetaData layer, validated per
// architecture (key meanings: meta_data.cc, and the icefall export docs for sherpa-ncnn).
#include <map>
#include <string>
#include <vector>

namespace ncasr {

class SherpaMetaDataLayer;

enum class ModelType { kConvEmformer = 1, kZipformer = 2, kLstm = 3, kZipformer2 = 4 };

const char* model_type_name(ModelType type);
// "lstm", "conv_emformer", "zipformer" or "zipformer2"; throws ConfigError otherwise.
ModelType model_type_from_name(const std::string& name);

struct ModelMetaData {
  ModelType type = ModelType::kLstm;
  std::map<int, int> ints;                 // ids 0-15 that are present
  std::map<int, std::vector<int>> arrays;  // ids 16-23 that are present
  std::map<int, float> floats;             // ids 24-29 that are present

  // Validates the layer's values for its architecture; throws ModelError(path, ...).
  static ModelMetaData from_layer(const SherpaMetaDataLayer& layer, const std::string& path);

  // Reads the encoder .param (with ncasr's custom layers registered) and returns its
  // validated metadata. Throws ModelError if there is no SherpaMetaData layer.
  static ModelMetaData read(const std::string& encoder_param_path);

  int get(int id) const;  // int key (must be present: validated)
  float get_float(int id) const;
  const std::vector<int>& array(int id) const;

  // Named values for people: {"num_encoder_layers": "12", ...}; arrays as "2,4,3".
  std::vector<std::pair<std::string, std::string>> named() const;

  // The metadata keys an architecture needs, by name: {"encoder_dim": 2, ...}.
  static std::vector<std::pair<std::string, int>> key_ids(ModelType type);
};

}  // namespace ncasr
