#include "model/meta_data.h"

#include <net.h>

#include <algorithm>
#include <sstream>

#include "common/errors.h"
#include "model/layers/compat/custom_layers.h"
#include "model/layers/compat/sherpa_meta_data_layer.h"
#include "model/param_file.h"
#include "runtime/net_loader.h"

namespace ncasr {
namespace {

struct Key {
  int id;
  const char* name;
  int min_value;
};

// Required int keys per architecture.
const std::vector<Key>& int_keys(ModelType t) {
  static const std::vector<Key> lstm = {{1, "num_encoder_layers", 1}, {2, "encoder_dim", 1}, {3, "rnn_hidden_size", 1}};
  static const std::vector<Key> emformer = {{1, "num_encoder_layers", 1},
                                            {2, "memory_size", 0},
                                            {3, "cnn_module_kernel", 1},
                                            {4, "left_context_length", 0},
                                            {5, "chunk_length", 1},
                                            {6, "right_context_length", 0},
                                            {7, "d_model", 1}};
  static const std::vector<Key> zipformer = {
      {1, "decode_chunk_len", 1}, {2, "num_left_chunks", 1}, {3, "pad_length", 0}, {15, "model_version", 1}};
  // docs/zipformer2.md, "The folder"
  static const std::vector<Key> zipformer2 = {
      {1, "decode_chunk_len", 1}, {2, "chunk_size", 1},      {3, "pad_length", 0},     {4, "left_context_frames", 0},
      {5, "feature_dim", 1},      {6, "encoder_out_dim", 1}, {7, "embed_channels", 1}, {8, "embed_left_pad", 1},
      {9, "embed_freq", 1},       {15, "model_version", 1}};
  switch (t) {
    case ModelType::kLstm: return lstm;
    case ModelType::kConvEmformer: return emformer;
    case ModelType::kZipformer2: return zipformer2;
    default: return zipformer;
  }
}

// Required arrays (one value per encoder stack); none for lstm and conv_emformer.
const std::vector<Key>& array_keys(ModelType t) {
  static const std::vector<Key> none;
  static const std::vector<Key> zipformer = {{16, "num_encoder_layers", 1},
                                             {17, "encoder_dims", 1},
                                             {18, "attention_dims", 1},
                                             {19, "zipformer_downsampling_factors", 1},
                                             {20, "cnn_module_kernels", 1}};
  static const std::vector<Key> zipformer2 = {{16, "num_encoder_layers", 1}, {17, "encoder_dims", 1},
                                              {18, "num_heads", 1},          {19, "downsampling_factors", 1},
                                              {20, "cnn_module_kernels", 1}, {21, "query_head_dims", 1},
                                              {22, "value_head_dims", 1},    {23, "left_context_len", 0}};
  switch (t) {
    case ModelType::kZipformer: return zipformer;
    case ModelType::kZipformer2: return zipformer2;
    default: return none;
  }
}

// Required floats.
const std::vector<Key>& float_keys(ModelType t) {
  static const std::vector<Key> none;
  static const std::vector<Key> zipformer2 = {{24, "mask_value", 0}};
  return t == ModelType::kZipformer2 ? zipformer2 : none;
}

// The relations the Zipformer2 runtime relies on (docs/zipformer2.md).
void check_zipformer2(const ModelMetaData& m, const std::string& path, const std::string& where) {
  const int chunk = m.get(2), left = m.get(4);
  if (m.get(1) != 2 * chunk)
    throw ModelError(path, where + "decode_chunk_len (key 1) is " + std::to_string(m.get(1)) +
                               ", must be 2 * chunk_size (key 2) = " + std::to_string(2 * chunk) + " for zipformer2");
  // ncasr computes 80-bin fbank (icefall's); the front end maps its bins to embed_freq.
  const int features = m.get(5), freq = m.get(9);
  if (features != 80)
    throw ModelError(path, where + "feature_dim (key 5) is " + std::to_string(features) +
                               ", but ncasr computes 80-bin fbank features");
  if (freq != ((features - 1) / 2 - 1) / 2)
    throw ModelError(path, where + "embed_freq (key 9) is " + std::to_string(freq) + ", must be " +
                               std::to_string(((features - 1) / 2 - 1) / 2) + " for feature_dim " +
                               std::to_string(features));
  const auto& dims = m.array(17);
  const int widest = *std::max_element(dims.begin(), dims.end());
  if (m.get(6) != widest)
    throw ModelError(path, where + "encoder_out_dim (key 6) is " + std::to_string(m.get(6)) +
                               ", must be the largest of encoder_dims, " + std::to_string(widest));
  const auto& ds = m.array(19);
  const auto& lc = m.array(23);
  for (size_t s = 0; s < ds.size(); ++s) {
    const std::string stack = "stack " + std::to_string(s) + ": ";
    if (chunk % ds[s] != 0)
      throw ModelError(path, where + stack + "chunk_size " + std::to_string(chunk) +
                                 " is not a multiple of its downsampling factor " + std::to_string(ds[s]));
    if (lc[s] * ds[s] != left)
      throw ModelError(path, where + stack + "left_context_len " + std::to_string(lc[s]) + " times downsampling " +
                                 std::to_string(ds[s]) + " is not left_context_frames " + std::to_string(left));
    if (m.array(17)[s] % 4 != 0)
      throw ModelError(path,
                       where + stack + "encoder dim " + std::to_string(m.array(17)[s]) + " is not a multiple of 4");
  }
}

std::string join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

}  // namespace

const char* model_type_name(ModelType type) {
  switch (type) {
    case ModelType::kConvEmformer: return "conv_emformer";
    case ModelType::kZipformer: return "zipformer";
    case ModelType::kLstm: return "lstm";
    case ModelType::kZipformer2: return "zipformer2";
  }
  return "unknown";
}

ModelType model_type_from_name(const std::string& name) {
  for (ModelType t : {ModelType::kLstm, ModelType::kConvEmformer, ModelType::kZipformer, ModelType::kZipformer2})
    if (name == model_type_name(t)) return t;
  throw ConfigError("unknown model type '" + name + "' (lstm, conv_emformer, zipformer or zipformer2)");
}

std::vector<std::pair<std::string, int>> ModelMetaData::key_ids(ModelType type) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& k : int_keys(type)) out.emplace_back(k.name, k.id);
  for (const auto& k : array_keys(type)) out.emplace_back(k.name, k.id);
  for (const auto& k : float_keys(type)) out.emplace_back(k.name, k.id);
  return out;
}

ModelMetaData ModelMetaData::from_layer(const SherpaMetaDataLayer& l, const std::string& path) {
  const std::string where = "SherpaMetaData: ";
  if (!l.wrong_kind.empty())
    throw ModelError(path, where + "key " + std::to_string(l.wrong_kind[0]) +
                               " has the wrong kind of value (0-15 are ints, 16-23 int arrays, "
                               "24-29 floats)");
  if (!l.has_int[0]) throw ModelError(path, where + "key 0 (model type) is missing");
  const int t = l.ints[0];
  if (t < 1 || t > 4)
    throw ModelError(path, where + "unknown model type " + std::to_string(t) +
                               " in key 0 (1 = conv_emformer, 2 = zipformer, 3 = lstm, 4 = zipformer2)");
  ModelMetaData m;
  m.type = static_cast<ModelType>(t);
  for (int id = 0; id < SherpaMetaDataLayer::kNumInts; ++id)
    if (l.has_int[id]) m.ints[id] = l.ints[id];
  for (int k = 0; k < SherpaMetaDataLayer::kNumArrays; ++k)
    if (l.has_array[k]) m.arrays[SherpaMetaDataLayer::kFirstArray + k] = l.arrays[k];
  for (int k = 0; k < SherpaMetaDataLayer::kNumFloats; ++k)
    if (l.has_float[k]) m.floats[SherpaMetaDataLayer::kFirstFloat + k] = l.floats[k];

  const std::string arch = model_type_name(m.type);
  for (const auto& k : int_keys(m.type)) {
    auto it = m.ints.find(k.id);
    if (it == m.ints.end())
      throw ModelError(path, where + "missing " + k.name + " (key " + std::to_string(k.id) + ") for " + arch);
    if (it->second < k.min_value)
      throw ModelError(path, where + k.name + " (key " + std::to_string(k.id) + ") is " + std::to_string(it->second) +
                                 ", must be >= " + std::to_string(k.min_value) + " for " + arch);
  }
  {
    size_t stacks = 0;
    for (const auto& k : array_keys(m.type)) {
      auto it = m.arrays.find(k.id);
      if (it == m.arrays.end())
        throw ModelError(path,
                         where + "missing array " + k.name + " (key -233" + std::to_string(k.id) + ") for " + arch);
      if (it->second.empty()) throw ModelError(path, where + "array " + k.name + " is empty");
      if (stacks == 0) stacks = it->second.size();
      if (it->second.size() != stacks)
        throw ModelError(path, where + "array " + k.name + " has " + std::to_string(it->second.size()) +
                                   " values, but num_encoder_layers has " + std::to_string(stacks) +
                                   " (one per encoder stack)");
      for (int v : it->second)
        if (v < k.min_value)
          throw ModelError(path, where + "array " + k.name + " holds " + std::to_string(v) +
                                     ", must be >= " + std::to_string(k.min_value));
    }
  }
  for (const auto& k : float_keys(m.type))
    if (!m.floats.count(k.id))
      throw ModelError(path, where + "missing float " + k.name + " (key " + std::to_string(k.id) + ") for " + arch);
  if (m.type == ModelType::kZipformer2) check_zipformer2(m, path, where);
  return m;
}

ModelMetaData ModelMetaData::read(const std::string& encoder_param_path) {
  ParamFile pf = ParamFile::load(encoder_param_path);
  const ParamLayer* meta = pf.find_layer_of_type("SherpaMetaData");
  if (!meta)
    throw ModelError(encoder_param_path,
                     "no SherpaMetaData layer; add it with `ncasr export` "
                     "(sherpa-ncnn models carry it as line 3 of the encoder param)");
  // ncnn's own parser reads the values (so the two cannot disagree), from a one-layer param
  // holding just that layer: parsing the whole graph again doubled a large model's load time.
  ParamFile only;
  only.path = encoder_param_path;
  only.layers.push_back(*meta);
  only.layers.back().bottoms.clear();
  only.layers.back().tops = {"sherpa_meta_data_out"};  // ncnn refuses a param with no blobs
  ncnn::Net net;
  net.opt.use_vulkan_compute = false;
  register_custom_layers(net);
  if (net.load_param_mem(only.to_text().c_str()) != 0)
    throw ModelError(encoder_param_path,
                     "ncnn could not parse the SherpaMetaData layer (line " + std::to_string(meta->line) + ")");
  for (const ncnn::Layer* layer : net.layers()) {
    if (layer->type == "SherpaMetaData")
      return from_layer(*static_cast<const SherpaMetaDataLayer*>(layer), encoder_param_path);
  }
  throw ModelError(encoder_param_path, "SherpaMetaData layer vanished while loading");
}

int ModelMetaData::get(int id) const {
  auto it = ints.find(id);
  return it == ints.end() ? 0 : it->second;
}

float ModelMetaData::get_float(int id) const {
  auto it = floats.find(id);
  return it == floats.end() ? 0.f : it->second;
}

const std::vector<int>& ModelMetaData::array(int id) const {
  static const std::vector<int> empty;
  auto it = arrays.find(id);
  return it == arrays.end() ? empty : it->second;
}

std::vector<std::pair<std::string, std::string>> ModelMetaData::named() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("model_type", model_type_name(type));
  for (const auto& k : int_keys(type)) out.emplace_back(k.name, std::to_string(get(k.id)));
  for (const auto& k : array_keys(type)) out.emplace_back(k.name, join(array(k.id)));
  for (const auto& k : float_keys(type)) {
    std::ostringstream v;
    v << get_float(k.id);
    out.emplace_back(k.name, v.str());
  }
  return out;
}

}  // namespace ncasr
