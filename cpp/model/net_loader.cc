#include "model/net_loader.h"

#include <datareader.h>
#include <layer.h>
#include <net.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/errors.h"
#include "model/layers/custom_layers.h"

namespace ncasr {
namespace {

// Reads the .bin sequentially and remembers how far the layers read and whether a read
// ran past the end, so a short or foreign .bin is reported precisely.
class CountingFileReader : public ncnn::DataReader {
 public:
  explicit CountingFileReader(FILE* fp) : fp_(fp) {}
  size_t read(void* buf, size_t size) const override {
    size_t n = std::fread(buf, 1, size, fp_);
    offset_ += n;
    if (n < size) short_read_ = true;
    return n;
  }
  int scan(const char*, void*) const override { return 0; }
  long long offset() const { return offset_; }
  bool short_read() const { return short_read_; }

 private:
  FILE* fp_;
  mutable long long offset_ = 0;
  mutable bool short_read_ = false;
};

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

void check_layer_types(const ParamFile& pf) {
  const auto& custom = custom_layer_types();
  for (const auto& l : pf.layers) {
    if (std::find(custom.begin(), custom.end(), l.type) != custom.end()) continue;
    int index = ncnn::layer_to_index(l.type.c_str());
    if (index < 0)
      throw ModelError(pf.path, "line " + std::to_string(l.line) + ": unknown layer type '" +
                                    l.type + "' (layer '" + l.name + "')");
    std::unique_ptr<ncnn::Layer> probe(ncnn::create_layer_cpu(index));
    if (!probe)
      throw ModelError(pf.path, "line " + std::to_string(l.line) + ": layer type '" + l.type +
                                    "' (layer '" + l.name +
                                    "') is not compiled into this ncasr build of ncnn");
  }
}

NetLoadResult load_net(ncnn::Net& net, const std::string& param_path, const std::string& bin_path) {
  NetLoadResult result;
  result.param = ParamFile::load(param_path);
  check_layer_types(result.param);

  std::error_code ec;
  long long bin_size = -1;
  if (!bin_path.empty()) {
    if (!std::filesystem::exists(bin_path, ec)) throw ModelFileNotFound(bin_path, "file not found");
    bin_size = static_cast<long long>(std::filesystem::file_size(bin_path, ec));
    if (ec) throw ModelError(bin_path, "cannot read its size");
  }

  register_custom_layers(net);
  if (net.load_param(param_path.c_str()) != 0)
    throw ModelError(param_path, "ncnn rejected this param file (its message is on stderr)");
  if (bin_path.empty()) return result;

  std::unique_ptr<FILE, FileCloser> fp(std::fopen(bin_path.c_str(), "rb"));
  if (!fp) throw ModelError(bin_path, "cannot be opened");
  CountingFileReader reader(fp.get());
  int rc = net.load_model(reader);
  if (reader.short_read())
    throw ModelError(bin_path, "truncated or does not belong to " + param_path +
                                   ": the graph reads past its end (file has " +
                                   std::to_string(bin_size) + " bytes)");
  if (rc != 0)
    throw ModelError(bin_path, "ncnn could not load the weights for " + param_path +
                                   " (its message is on stderr)");
  if (reader.offset() != bin_size)
    throw ModelError(bin_path, "does not belong to " + param_path + ": the graph reads " +
                                   std::to_string(reader.offset()) + " bytes but the file has " +
                                   std::to_string(bin_size));
  result.weight_bytes = reader.offset();
  return result;
}

}  // namespace ncasr
