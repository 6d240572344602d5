#include "model/transducer_model.h"

#include <cpu.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <regex>

#include "common/errors.h"
#include "runtime/blob_pool.h"
#include "runtime/net_loader.h"

namespace ncasr {
namespace {

void set_options(ncnn::Net& net, bool fp16_storage, bool fp16_arithmetic, int threads) {
  net.opt.use_vulkan_compute = false;
  net.opt.num_threads = threads;
  net.opt.use_fp16_storage = fp16_storage;
  net.opt.use_fp16_packed = fp16_storage;
  net.opt.use_fp16_arithmetic = fp16_storage && fp16_arithmetic;
}

bool cpu_has_fp16_arithmetic() {
#if defined(__aarch64__) || defined(__arm__)
  return ncnn::cpu_support_arm_asimdhp();
#else
  return false;  // ncnn's x86 kernels compute in fp32 even with fp16 storage
#endif
}

void run_probe(ncnn::Extractor& ex, const BlobProbe* probe) {
  if (!probe) return;
  for (size_t i = 0; i < probe->blobs.size(); ++i) {
    ncnn::Mat m;
    if (ex.extract(probe->blobs[i].c_str(), m) != 0) throw Error("cannot extract blob '" + probe->blobs[i] + "'");
    probe->on_blob(i, m);
  }
}

ncnn::Extractor make_extractor(const ncnn::Net& net, const BlobProbe* probe, bool blob_pool) {
  ncnn::Extractor ex = net.create_extractor();
  if (probe) ex.set_light_mode(false);  // keep intermediates: the outputs reuse them
  if (blob_pool) {
    // Outputs then need no copy out of the net's local pool either (ncnn clones them).
    ex.set_blob_allocator(BlobPool::shared());
    ex.set_workspace_allocator(BlobPool::shared());
  }
  return ex;
}

}  // namespace

NetLoadOptions net_load_options(const RuntimeOptions& runtime, ModelType type, bool encoder) {
  NetLoadOptions load;
  RuntimeOptions& l = load.layers;
  l.int8_gemm_ncasr = runtime.int8_gemm_ncasr;
  if (!encoder) return load;
  const bool fp16 = runtime.use_fp16_storage;
  l.pointwise_conv1d_as_gemm = runtime.pointwise_conv1d_as_gemm;
  l.depthwise_conv1d_simd = runtime.depthwise_conv1d_simd;
  l.depthwise_conv1d_int8 = runtime.depthwise_conv1d_int8;
  l.glu_simd = runtime.glu_simd;
  l.fuse_double_swish = runtime.fuse_double_swish;
  l.fuse_basic_norm = runtime.fuse_basic_norm;
  l.lstm_int8_ncasr = runtime.lstm_int8_ncasr;
  l.lstm_fp16_weights = runtime.lstm_fp16_weights && fp16 && !cpu_has_fp16_arithmetic();
  l.lstm_fp32_panels = runtime.lstm_fp32_panels && !fp16;
  // Only the LSTM encoder calls its InnerProducts on one or two frames; Zipformer and
  // Conv-Emformer pass 8-32 frames, where a sweep per frame loses to ncnn's Gemm.
  l.inner_product_panels =
      runtime.inner_product_panels && type == ModelType::kLstm && !(fp16 && cpu_has_fp16_arithmetic());
  // Where several chunks share a call, a chunk's int8 result must not depend on how many do:
  // ncnn's int8 Gemm quantizes and rounds by its packing of the rows, ncasr's frame by frame.
  if (runtime.max_chunks_per_call > 1 && encoder_joins_chunks(type)) l.int8_gemm_ncasr = true;
  return load;
}

TransducerModel::TransducerModel(const ModelFiles& files, const ModelOptions& model_options)
    : files_(files), blob_pool_(model_options.runtime.blob_pool) {
  const RuntimeOptions& options = model_options.runtime;
  if (options.num_threads < 1) throw ConfigError("num_threads must be >= 1");
  if (files_.tokens.empty()) throw ModelFileNotFound(files_.dir + "/tokens.txt", "file not found");
  for (const NetFiles* n : {&files_.encoder, &files_.decoder, &files_.joiner})
    if (n->bin.empty())
      throw ModelFileNotFound(n->param.substr(0, n->param.size() - 6) + ".bin",
                              "file not found (weights for " + n->param + ")");
  meta_ = ModelMetaData::read(files_.encoder.param);
  spec_ = make_encoder_spec(meta_);
  tokens_ = SymbolTable::load(files_.tokens);

  const bool fp16 = options.use_fp16_storage;
  if (meta_.type == ModelType::kZipformer || meta_.type == ModelType::kZipformer2) {
    const bool weights_only = options.zipformer_encoder_fp16_weights && !cpu_has_fp16_arithmetic();
    set_options(encoder_, fp16 && weights_only, false, options.num_threads);
  } else {
    set_options(encoder_, fp16, true, options.num_threads);
  }
  // The decoder and joiner run one frame at a time: too little work to share between
  // threads, where waking the thread pool costs more than it saves.
  set_options(decoder_, fp16, true, 1);
  set_options(joiner_, fp16, true, 1);
  NetLoadOptions encoder_load = net_load_options(options, meta_.type, true);
  const size_t first_state = first_state_blob();
  // Zipformer2's states are per layer already.
  if (options.unstack_states && !spec_.key_mask_input)
    for (size_t i = 0; i < spec_.initial_states.size(); ++i) {
      const std::string k = std::to_string(first_state + i);
      encoder_load.unstack_state_blobs.emplace_back("in" + k, "out" + k);
    }
  const NetLoadOptions small_load = net_load_options(options, meta_.type, false);
  NetLoadResult encoder_result = load_net(encoder_, files_.encoder.param, files_.encoder.bin, encoder_load);
  check_state_input_shapes(spec_, encoder_result.param);
  encoder_overrides_ = std::move(encoder_result.overrides);
  load_net(decoder_, files_.decoder.param, files_.decoder.bin, small_load);
  load_net(joiner_, files_.joiner.param, files_.joiner.bin, small_load);
#if defined(__GLIBC__)
  // Loading freed the file-order weights that layers repacked; glibc keeps such blocks in
  // its heap (its mmap threshold grows after the first big free), so hand them back.
  malloc_trim(0);
#endif

  const size_t n_bound =
      encoder_result.unstacked_states.empty() ? first_state + spec_.initial_states.size() : first_state;
  bind_blobs(encoder_, files_.encoder.param, &enc_in_, &enc_out_, n_bound, n_bound - (spec_.key_mask_input ? 1 : 0));
  bind_states(encoder_result.unstacked_states);
  bind_blobs(decoder_, files_.decoder.param, &dec_in_, &dec_out_, 1, 1);
  bind_blobs(joiner_, files_.joiner.param, &join_in_, &join_out_, 2, 1);

  // One dry run on silence checks that the three nets fit together and that the joiner
  // speaks the vocabulary of tokens.txt.
  std::vector<ncnn::Mat> states = initial_states_;
  ncnn::Mat feats(80, spec_.segment);
  feats.fill(0.f);
  ncnn::Mat enc;
  try {
    enc = run_encoder(feats, &states);
  } catch (const ModelError&) {
    throw;
  } catch (const Error& e) {
    throw ModelError(files_.encoder.param,
                     std::string("the encoder does not run with the metadata's states: ") + e.what());
  }
  if (enc.dims != 2 || enc.h < 1) throw ModelError(files_.encoder.param, "encoder output has an unexpected shape");
  int context[kContextSize] = {kBlank, kBlank};
  ncnn::Mat dec = run_decoder(context);
  ncnn::Mat logits = run_joiner(ncnn::Mat(enc.w, enc.row(0)), dec);
  vocab_size_ = logits.w;
  tokens_.fit_to_joiner(vocab_size_);
  if (meta_.type == ModelType::kZipformer2) initial_context_[0] = vocab_size_;
  encoder_dim_ = enc.w;
}

void TransducerModel::bind_states(const std::vector<UnstackedState>& unstacked) {
  const size_t first = first_state_blob();
  if (unstacked.empty()) {
    initial_states_ = spec_.initial_states;
    for (size_t i = 0; i < initial_states_.size(); ++i) {
      state_in_.push_back(enc_in_[first + i]);
      if (spec_.key_mask_input)
        state_out_.push_back(i == 0 ? -1 : enc_out_[first + i - 1]);
      else
        state_out_.push_back(enc_out_[first + i]);
    }
    return;
  }
  std::map<std::string, int> index;
  const auto& blobs = encoder_.blobs();
  for (size_t i = 0; i < blobs.size(); ++i) index[blobs[i].name] = static_cast<int>(i);
  states_per_layer_ = true;
  for (size_t k = 0; k < unstacked.size(); ++k) {
    const ncnn::Mat& stacked = spec_.initial_states[k];
    const int layers = stacked.dims == 1 ? stacked.w : stacked.dims == 2 ? stacked.h : stacked.c;
    if (stacked.dims > 3 || static_cast<size_t>(layers) != unstacked[k].inputs.size())
      throw ModelError(files_.encoder.param, "state in" + std::to_string(first + k) + " is unstacked into " +
                                                 std::to_string(unstacked[k].inputs.size()) +
                                                 " layers, but the metadata says " + std::to_string(layers));
    for (size_t l = 0; l < unstacked[k].inputs.size(); ++l) {
      // What the removed Crop + Reshape(0=0 1=0) made of one layer's slice: 2-D, w kept.
      ncnn::Mat zero(stacked.dims == 1 ? 1 : stacked.w, stacked.dims == 3 ? stacked.h : 1);
      zero.fill(0.f);
      initial_states_.push_back(zero);
      state_in_.push_back(index.at(unstacked[k].inputs[l]));
      state_out_.push_back(index.at(unstacked[k].outputs[l]));
    }
  }
}

void TransducerModel::bind_blobs(const ncnn::Net& net, const std::string& path, std::vector<int>* in,
                                 std::vector<int>* out, size_t n_in, size_t n_out) {
  in->assign(n_in, -1);
  out->assign(n_out, -1);
  static const std::regex re("(in|out)(\\d+)");
  const auto& blobs = net.blobs();
  for (size_t i = 0; i < blobs.size(); ++i) {
    std::smatch m;
    if (!std::regex_match(blobs[i].name, m, re)) continue;
    size_t k = std::stoul(m[2].str());
    auto* v = m[1] == "in" ? in : out;
    if (k < v->size()) (*v)[k] = static_cast<int>(i);
  }
  for (size_t k = 0; k < n_in; ++k)
    if ((*in)[k] < 0)
      throw ModelError(path, "has no input blob 'in" + std::to_string(k) + "' (expected " + std::to_string(n_in) +
                                 " inputs for this " + model_type_name(meta_.type) + " model)");
  for (size_t k = 0; k < n_out; ++k)
    if ((*out)[k] < 0)
      throw ModelError(
          path, "has no output blob 'out" + std::to_string(k) + "' (expected " + std::to_string(n_out) + " outputs)");
}

ncnn::Mat TransducerModel::run_encoder(const ncnn::Mat& features, std::vector<ncnn::Mat>* states,
                                       const BlobProbe* probe) const {
  ncnn::Extractor ex = make_extractor(encoder_, probe, blob_pool_);
  ex.input(enc_in_[0], features);
  size_t k = 1;
  ncnn::Mat length;
  if (spec_.length_input) {
    length.create(1);
    length[0] = static_cast<float>(features.h);
    ex.input(enc_in_[k++], length);
  }
  if (states->size() != state_in_.size()) throw Error("encoder states do not belong to this model");
  for (size_t i = 0; i < states->size(); ++i) ex.input(state_in_[i], (*states)[i]);
  run_probe(ex, probe);
  ncnn::Mat out;
  if (ex.extract(enc_out_[0], out) != 0)
    throw Error("encoder failed on a chunk of " + std::to_string(features.h) + " frames");
  std::vector<ncnn::Mat> next(states->size());
  for (size_t i = 0; i < next.size(); ++i) {
    if (state_out_[i] < 0) {
      next[i] = (*states)[i];  // not computed by the net: fix_states advances it
      continue;
    }
    if (ex.extract(state_out_[i], next[i]) != 0) throw Error("encoder state output failed");
    // A layer's new state is fed back in the 2-D form its input has (a view, no copy).
    if (states_per_layer_ && next[i].dims != 2) next[i] = next[i].reshape(next[i].w, next[i].h * next[i].d * next[i].c);
  }
  if (!states_per_layer_ && spec_.fix_states) spec_.fix_states(next);
  states->swap(next);
  return out;
}

ncnn::Mat TransducerModel::run_decoder(const int* context, const BlobProbe* probe) const {
  ncnn::Mat in(kContextSize);
  int* p = in;
  for (int i = 0; i < kContextSize; ++i) p[i] = context[i];
  ncnn::Extractor ex = make_extractor(decoder_, probe, blob_pool_);
  ex.input(dec_in_[0], in);
  run_probe(ex, probe);
  ncnn::Mat out;
  if (ex.extract(dec_out_[0], out) != 0) throw Error("decoder failed");
  return out.reshape(out.w);
}

ncnn::Mat TransducerModel::run_joiner(const ncnn::Mat& encoder_frame, const ncnn::Mat& decoder_out,
                                      const BlobProbe* probe) const {
  ncnn::Extractor ex = make_extractor(joiner_, probe, blob_pool_);
  ex.input(join_in_[0], encoder_frame);
  ex.input(join_in_[1], decoder_out);
  run_probe(ex, probe);
  ncnn::Mat out;
  if (ex.extract(join_out_[0], out) != 0) throw Error("joiner failed");
  return out;
}

}  // namespace ncasr
