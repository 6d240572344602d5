#include "model/weight_map.h"

#include <datareader.h>
#include <layer.h>
#include <modelbin.h>
#include <net.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "common/errors.h"
#include "model/layers/custom_layers.h"
#include "model/net_loader.h"
#include "model/param_file.h"

namespace ncasr {
namespace {

class FileReader : public ncnn::DataReader {
 public:
  explicit FileReader(FILE* fp) : fp_(fp) {}
  size_t read(void* buf, size_t size) const override {
    size_t n = std::fread(buf, 1, size, fp_);
    if (!first_set_ && size == 4 && n == 4) std::memcpy(&first_, buf, 4), first_set_ = true;
    offset_ += n;
    if (n < size) short_ = true;
    return n;
  }
  int scan(const char*, void*) const override { return 0; }
  mutable long long offset_ = 0;
  mutable bool short_ = false;
  mutable bool first_set_ = false;
  mutable uint32_t first_ = 0;

 private:
  FILE* fp_;
};

// Delegates to ncnn's reader and records each load(w, type) call.
class RecordingModelBin : public ncnn::ModelBin {
 public:
  RecordingModelBin(const FileReader& r, std::vector<WeightBlob>* out) : r_(r), inner_(r), out_(out) {}
  ncnn::Mat load(int w, int type) const override {
    WeightBlob b;
    b.offset = r_.offset_;
    b.elements = w;
    r_.first_set_ = false;
    ncnn::Mat m = inner_.load(w, type);
    b.bytes = r_.offset_ - b.offset;
    if (type == 0 && r_.first_set_) {
      switch (r_.first_) {
        case 0: case 0x0002C056: b.storage = BlobStorage::kFp32; break;
        case 0x01306B47: b.storage = BlobStorage::kFp16; break;
        case 0x000D4B38: b.storage = BlobStorage::kInt8; break;
        case 0x01348B83: b.storage = BlobStorage::kBf16; break;
        default: b.storage = BlobStorage::kCodebook;
      }
    }
    out_->push_back(b);
    return m;
  }

 private:
  const FileReader& r_;
  ncnn::ModelBinFromDataReader inner_;
  std::vector<WeightBlob>* out_;
};

}  // namespace

const char* blob_storage_name(BlobStorage s) {
  switch (s) {
    case BlobStorage::kRaw: return "raw";
    case BlobStorage::kFp32: return "fp32";
    case BlobStorage::kFp16: return "fp16";
    case BlobStorage::kInt8: return "int8";
    case BlobStorage::kBf16: return "bf16";
    case BlobStorage::kCodebook: return "codebook";
  }
  return "?";
}

WeightMap map_weights(const std::string& param_path, const std::string& bin_path) {
  ParamFile pf = ParamFile::load(param_path);
  check_layer_types(pf);
  ncnn::Net net;
  net.opt.use_vulkan_compute = false;
  register_custom_layers(net);
  if (net.load_param(param_path.c_str()) != 0)
    throw ModelError(param_path, "ncnn rejected this param file");
  std::error_code ec;
  if (!std::filesystem::exists(bin_path, ec)) throw ModelFileNotFound(bin_path, "file not found");
  std::unique_ptr<FILE, int (*)(FILE*)> fp(std::fopen(bin_path.c_str(), "rb"), std::fclose);
  if (!fp) throw ModelError(bin_path, "cannot be opened");
  FileReader reader(fp.get());
  WeightMap map;
  map.file_bytes = static_cast<long long>(std::filesystem::file_size(bin_path, ec));
  const auto& layers = net.layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerWeights lw;
    RecordingModelBin mb(reader, &lw.blobs);
    if (layers[i]->load_model(mb) != 0 || reader.short_)
      throw ModelError(bin_path, "truncated or does not belong to " + param_path + ": layer '" +
                                     layers[i]->name + "' (" + layers[i]->type +
                                     ") reads past the end of the file");
    if (lw.blobs.empty()) continue;
    lw.index = static_cast<int>(i);
    lw.type = layers[i]->type;
    lw.name = layers[i]->name;
    for (const auto& b : lw.blobs) map.read_bytes += b.bytes;
    map.layers.push_back(std::move(lw));
  }
  if (map.read_bytes != map.file_bytes)
    throw ModelError(bin_path, "does not belong to " + param_path + ": the graph reads " +
                                   std::to_string(map.read_bytes) + " bytes but the file has " +
                                   std::to_string(map.file_bytes));
  return map;
}

}  // namespace ncasr
