#include "model/inspect.h"

#include <net.h>

#include <fstream>

#include "common/errors.h"
#include "model/net_loader.h"

namespace ncasr {
namespace {

NetInfo inspect_net(const NetFiles& files) {
  ncnn::Net net;
  net.opt.use_vulkan_compute = false;
  net.opt.num_threads = 1;
  NetLoadResult r = load_net(net, files.param, files.bin);
  NetInfo info;
  info.param_path = files.param;
  info.bin_path = files.bin;
  info.layer_count = static_cast<int>(r.param.layers.size());
  info.blob_count = r.param.blob_count();
  info.layer_types = r.param.layer_type_counts();
  info.weight_bytes = r.weight_bytes;
  return info;
}

int count_tokens(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ModelError(path, "cannot be read");
  int n = 0;
  std::string line;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) ++n;
  return n;
}

}  // namespace

ModelInfo inspect_model(const std::string& dir, const std::string& variant) {
  ModelInfo info;
  info.files = ModelFiles::find(dir, variant);
  info.meta = ModelMetaData::read(info.files.encoder.param);
  info.encoder = inspect_net(info.files.encoder);
  info.decoder = inspect_net(info.files.decoder);
  info.joiner = inspect_net(info.files.joiner);
  if (!info.files.tokens.empty()) info.vocab_size = count_tokens(info.files.tokens);
  return info;
}

}  // namespace ncasr
