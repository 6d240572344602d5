#pragma once
// Where each layer's weights sit in a .bin. ncnn's .bin is a bare concatenation with no
// index: only a layer's own load_model knows what it reads. We run every layer's
// load_model through a recording ModelBin, so each blob is attributed to its layer with
// its offset, size, element count and storage (tagged fp32/fp16/int8/bf16, or raw). A
// converter rewrites blob by blob from this map, and a test can prove that every byte of
// the file belongs to some layer (custom layers included).
#include <string>
#include <vector>

namespace ncasr {

enum class BlobStorage { kRaw, kFp32, kFp16, kInt8, kBf16, kCodebook };
const char* blob_storage_name(BlobStorage s);

struct WeightBlob {
  long long offset = 0;  // in the .bin, where the tag (if any) starts
  long long bytes = 0;   // tag and padding included
  int elements = 0;      // what the layer asked for
  BlobStorage storage = BlobStorage::kRaw;
};

struct LayerWeights {
  int index = 0;  // layer index in the param (0-based, Input layers included)
  std::string type, name;
  std::vector<WeightBlob> blobs;
};

struct WeightMap {
  std::vector<LayerWeights> layers;  // only layers that read weights
  long long read_bytes = 0;          // sum over blobs
  long long file_bytes = 0;
};

// Throws ModelError if the .bin is short, or (unless allow_trailing) longer than the graph reads.
WeightMap map_weights(const std::string& param_path, const std::string& bin_path);

}  // namespace ncasr
