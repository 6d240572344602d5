#include "model/layers/compat/sherpa_meta_data_layer.h"

#include <paramdict.h>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {

namespace {
// ncnn ParamDict::type codes.
constexpr int kTypeNull = 0, kTypeUntyped = 1, kTypeInt = 2, kTypeFloat = 3, kTypeArray = 4, kTypeIntArray = 5;
}  // namespace

SherpaMetaDataLayer::SherpaMetaDataLayer() {
  one_blob_only = false;
  support_inplace = false;
}

int SherpaMetaDataLayer::load_param(const ncnn::ParamDict& pd) {
  wrong_kind.clear();
  for (int id = 0; id < kNumInts; ++id) {
    int t = pd.type(id);
    has_int[id] = t == kTypeInt || t == kTypeUntyped;
    if (t != kTypeNull && !has_int[id]) wrong_kind.push_back(id);
    ints[id] = pd.get(id, 0);
  }
  for (int k = 0; k < kNumArrays; ++k) {
    int id = kFirstArray + k;
    int t = pd.type(id);
    has_array[k] = t == kTypeIntArray || t == kTypeArray;
    if (t != kTypeNull && !has_array[k]) wrong_kind.push_back(id);
    arrays[k].clear();
    if (has_array[k]) {
      ncnn::Mat m = pd.get(id, ncnn::Mat());
      const int* p = m;
      for (int i = 0; i < m.w; ++i) arrays[k].push_back(p[i]);
    }
  }
  for (int k = 0; k < kNumFloats; ++k) {
    int id = kFirstFloat + k;
    int t = pd.type(id);
    has_float[k] = t == kTypeFloat || t == kTypeUntyped || t == kTypeInt;
    if (t != kTypeNull && !has_float[k]) wrong_kind.push_back(id);
    floats[k] = t == kTypeInt ? static_cast<float>(pd.get(id, 0)) : pd.get(id, 0.f);
  }
  return 0;
}

ncnn::Layer* create_sherpa_meta_data_layer(void*) { return new SherpaMetaDataLayer(); }

}  // namespace ncasr
