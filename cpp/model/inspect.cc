#include "model/inspect.h"

#include <net.h>

#include <set>
#include <string>

#include "common/errors.h"
#include "model/encoder_spec.h"
#include "model/tokens.h"
#include "runtime/net_loader.h"

namespace ncasr {
namespace {

// The blobs the recognizer feeds and reads (in0.., out0..), so that `ncasr info` refuses a
// net that loading a recognizer would refuse.
void check_io_blobs(const ParamFile& pf, size_t n_in, size_t n_out) {
  std::set<std::string> blobs;
  for (const auto& l : pf.layers) blobs.insert(l.tops.begin(), l.tops.end());
  for (size_t k = 0; k < n_in; ++k)
    if (!blobs.count("in" + std::to_string(k)))
      throw ModelError(
          pf.path, "has no input blob 'in" + std::to_string(k) + "' (expected " + std::to_string(n_in) + " inputs)");
  for (size_t k = 0; k < n_out; ++k)
    if (!blobs.count("out" + std::to_string(k)))
      throw ModelError(pf.path, "has no output blob 'out" + std::to_string(k) + "' (expected " + std::to_string(n_out) +
                                    " outputs)");
}

NetInfo inspect_net(const NetFiles& files, size_t n_in, size_t n_out) {
  ncnn::Net net;
  net.opt.use_vulkan_compute = false;
  net.opt.num_threads = 1;
  NetLoadResult r = load_net(net, files.param, files.bin);
  check_io_blobs(r.param, n_in, n_out);
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
  const EncoderSpec spec = make_encoder_spec(info.meta);
  const size_t encoder_blobs = (spec.length_input ? 2 : 1) + spec.initial_states.size();
  check_state_input_shapes(spec, ParamFile::load(info.files.encoder.param));
  info.encoder = inspect_net(info.files.encoder, encoder_blobs, encoder_blobs - (spec.key_mask_input ? 1 : 0));
  info.decoder = inspect_net(info.files.decoder, 1, 1);
  info.joiner = inspect_net(info.files.joiner, 2, 1);
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
