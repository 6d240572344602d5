#pragma once
// The three nets of a streaming transducer, loaded once and shared by every stream.
// ncnn nets are read-only at inference, so concurrent calls are safe; each call makes
// its own Extractor.
#include <net.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/state_unstacking.h"
#include "model/encoder_spec.h"
#include "model/meta_data.h"
#include "model/model_files.h"
#include "model/runtime_options.h"
#include "model/tokens.h"
#include "runtime/net_loader.h"

namespace ncasr {

// Asks a net run to also hand over intermediate blobs (for calibration): after the inputs
// are set, each named blob is extracted and passed to on_blob(position in `blobs`, value).
struct BlobProbe {
  std::vector<std::string> blobs;
  std::function<void(size_t, const ncnn::Mat&)> on_blob;
};

struct ModelOptions {
  RuntimeOptions runtime;  // threads, storage, ncasr's layers: see runtime_options.h
  std::string variant;     // "", "float" or "int8": which files to load from the folder
};

// The one place a RuntimeOptions becomes a net's load options: resolves each switch's
// conditions (storage, CPU, model type) for the encoder, or for the decoder and joiner
// (encoder = false: only int8 Gemm applies there). unstack_state_blobs stays empty.
NetLoadOptions net_load_options(const RuntimeOptions& runtime, ModelType type, bool encoder);

class TransducerModel {
 public:
  static constexpr int kBlank = 0;
  static constexpr int kUnk = 2;
  static constexpr int kContextSize = 2;

  TransducerModel(const ModelFiles& files, const ModelOptions& options);

  const ModelMetaData& meta() const { return meta_; }
  const EncoderSpec& spec() const { return spec_; }
  // A new stream's encoder states, in the layout run_encoder uses: the spec's stacked
  // states, or one tensor per layer when the graph's states were unstacked.
  const std::vector<ncnn::Mat>& initial_states() const { return initial_states_; }
  bool states_per_layer() const { return states_per_layer_; }
  const SymbolTable& tokens() const { return tokens_; }
  const ModelFiles& files() const { return files_; }
  int vocab_size() const { return vocab_size_; }
  // The decoder context before any token: blanks, or for Zipformer2 [vocab_size, blank]
  // (its decoder embeds the id vocab_size, icefall's -1, as "no token yet").
  const int* initial_context() const { return initial_context_; }
  int encoder_dim() const { return encoder_dim_; }
  int subsampling_factor() const { return 4; }
  // Encoder layers running on ncasr's own implementation (type -> count).
  const std::map<std::string, int>& encoder_overrides() const { return encoder_overrides_; }

  // features: (h=segment, w=80). Returns encoder_out (h=frames, w=dim); replaces states.
  ncnn::Mat run_encoder(const ncnn::Mat& features, std::vector<ncnn::Mat>* states,
                        const BlobProbe* probe = nullptr) const;
  // context: kContextSize token ids. Returns decoder_out (1-D).
  ncnn::Mat run_decoder(const int* context, const BlobProbe* probe = nullptr) const;
  // encoder_frame (1-D) and decoder_out (1-D, or h rows for a batch) -> logits.
  ncnn::Mat run_joiner(const ncnn::Mat& encoder_frame, const ncnn::Mat& decoder_out,
                       const BlobProbe* probe = nullptr) const;

 private:
  // Index of the first state blob (in<k>/out<k>): the LSTM's in1/out1 are frame counts.
  size_t first_state_blob() const { return spec_.length_input ? 2 : 1; }
  void bind_states(const std::vector<UnstackedState>& unstacked);
  void bind_blobs(const ncnn::Net& net, const std::string& path, std::vector<int>* in, std::vector<int>* out,
                  size_t n_in, size_t n_out);

  ModelFiles files_;
  bool blob_pool_ = true;
  ModelMetaData meta_;
  EncoderSpec spec_;
  SymbolTable tokens_;
  int vocab_size_ = 0;
  int initial_context_[kContextSize] = {kBlank, kBlank};
  int encoder_dim_ = 0;
  std::map<std::string, int> encoder_overrides_;
  ncnn::Net encoder_, decoder_, joiner_;
  std::vector<ncnn::Mat> initial_states_;
  bool states_per_layer_ = false;
  std::vector<int> state_in_, state_out_;  // encoder blob per entry of initial_states_
  std::vector<int> enc_in_, enc_out_, dec_in_, dec_out_, join_in_, join_out_;
};

}  // namespace ncasr
