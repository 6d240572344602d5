#include "model/weight_map.h"

#include <layer.h>
#include <modelbin.h>
#include <net.h>

#include "common/errors.h"
#include "runtime/file_reader.h"
#include "runtime/net_loader.h"

namespace ncasr {
namespace {

// Delegates to ncnn's reader and records each load(w, type) call.
class RecordingModelBin : public ncnn::ModelBin {
 public:
  RecordingModelBin(const FileReader& r, std::vector<WeightBlob>* out) : r_(r), inner_(r), out_(out) {}
  ncnn::Mat load(int w, int type) const override {
    WeightBlob b;
    b.offset = r_.offset();
    b.elements = w;
    r_.forget_tag();
    ncnn::Mat m = inner_.load(w, type);
    b.bytes = r_.offset() - b.offset;
    if (type == 0 && r_.has_tag()) {
      switch (r_.tag()) {
        case 0:
        case 0x0002C056: b.storage = BlobStorage::kFp32; break;
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
  ncnn::Net net;
  net.opt.use_vulkan_compute = false;
  load_param_checked(net, param_path);
  FileReader reader(bin_path);
  WeightMap map;
  map.file_bytes = reader.file_size();
  const auto& layers = net.layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerWeights lw;
    RecordingModelBin mb(reader, &lw.blobs);
    if (layers[i]->load_model(mb) != 0 || reader.short_read())
      throw ModelError(bin_path, "truncated or does not belong to " + param_path + ": layer '" + layers[i]->name +
                                     "' (" + layers[i]->type + ") reads past the end of the file");
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
