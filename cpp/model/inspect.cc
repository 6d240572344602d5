#include "model/inspect.h"

#include <net.h>

#include "common/errors.h"
#include "model/net_loader.h"
#include "model/tokens.h"

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

}  // namespace

ModelInfo inspect_model(const std::string& dir, const std::string& variant) {
  ModelInfo info;
  info.files = ModelFiles::find(dir, variant);
  info.meta = ModelMetaData::read(info.files.encoder.param);
  info.encoder = inspect_net(info.files.encoder);
  info.decoder = inspect_net(info.files.decoder);
  info.joiner = inspect_net(info.files.joiner);
  if (!info.files.tokens.empty()) {
    // Without running the joiner, the trailing "#N" entries are taken as icefall's
    // disambiguation symbols (the loader checks them against the joiner's output size).
    const SymbolTable tokens = SymbolTable::load(info.files.tokens);
    info.vocab_size = tokens.vocab_size();
    info.disambiguation_symbols = tokens.num_disambiguation_symbols();
  }
  return info;
}

}  // namespace ncasr
