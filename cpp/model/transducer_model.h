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

#include "model/encoder_spec.h"
#include "model/meta_data.h"
#include "model/model_files.h"
#include "model/state_unstacking.h"
#include "model/tokens.h"

namespace ncasr {

// Asks a net run to also hand over intermediate blobs (for calibration): after the inputs
// are set, each named blob is extracted and passed to on_blob(position in `blobs`, value).
struct BlobProbe {
  std::vector<std::string> blobs;
  std::function<void(size_t, const ncnn::Mat&)> on_blob;
};

struct ModelOptions {
  int num_threads = 1;
  // Store weights as fp16 where ncnn supports it (ncnn's default, as sherpa-ncnn runs).
  bool use_fp16_storage = true;
  // Zipformer's encoder never uses fp16 arithmetic (its attention overflows in fp16; that
  // is why sherpa-ncnn runs it in fp32). Where ncnn has no fp16 arithmetic (x86), fp16
  // *storage* only rounds its weights and runs about 15 % faster; false matches sherpa-ncnn.
  bool zipformer_encoder_fp16_weights = true;
  // Pointwise Convolution1D layers (Zipformer, Conv-Emformer) run as a Gemm: faster on
  // x86, float-rounding differences only. False runs ncnn's Convolution1D, as sherpa-ncnn.
  bool pointwise_conv1d_as_gemm = true;
  // Depthwise ConvolutionDepthWise1D layers on ncasr's SIMD kernel instead of ncnn's scalar
  // loop: faster, float-rounding differences only. False runs ncnn's, as sherpa-ncnn.
  bool depthwise_conv1d_simd = true;
  // Those depthwise layers in int8 (NcasrDepthwiseConv1DInt8, quantized at load, activations
  // per channel per chunk): quantization error like the other int8 layers. Off by default.
  bool depthwise_conv1d_int8 = false;
  // GLU layers (axis 0: Zipformer, Conv-Emformer) on ncasr's SIMD kernel, on ncnn's packed
  // blobs (ncnn's GLU has no packed form, so it converts the layout before and after):
  // faster, float-rounding differences only. False runs ncnn's, as sherpa-ncnn.
  bool glu_simd = true;
  // pnnx's four-layer DoubleSwish (Zipformer, Conv-Emformer) fused into one in-place layer
  // on the same kernel: fewer graph steps, passes and copies; float-rounding differences
  // only. False runs the four ncnn layers, as sherpa-ncnn.
  bool fuse_double_swish = true;
  // pnnx's six-layer BasicNorm (all three architectures) fused into one in-place layer on
  // ncnn's packed blobs; float-rounding differences only. False: ncnn's layers.
  bool fuse_basic_norm = true;
  // ncnn int8 Gemm layers (Linear, pointwise conv) on ncasr's int8 kernels (NcasrInt8Gemm),
  // activations quantized per frame with ncasr's rounding. Off by default: in whole encoders
  // ncnn's int8 Gemm measured as fast or faster on AVX-512 VNNI (see config.py).
  bool int8_gemm_ncasr = false;
  // ncnn int8 LSTM layers on ncasr's int8 kernels (NcasrLSTMInt8), W_hr quantized too:
  // faster than ncnn's int8 LSTM, other rounding. False runs ncnn's, as sherpa-ncnn.
  bool lstm_int8_ncasr = true;
  // With fp16 storage on x86 (where ncnn's LSTM still reads fp32 weights), float LSTM layers
  // run on ncasr's fp16-weight kernel (NcasrLSTMFp16): half the bytes per step. False runs
  // ncnn's, as sherpa-ncnn. ARM keeps ncnn's LSTM, which has fp16 storage and arithmetic.
  bool lstm_fp16_weights = true;
  // With fp32 storage, float LSTM layers run on ncasr's float panel kernel (NcasrLSTMFp32):
  // the same bytes as ncnn's LSTM in one sweep per step; float rounding differs. False runs
  // ncnn's, as sherpa-ncnn.
  bool lstm_fp32_panels = true;
  // Float InnerProduct layers of an LSTM encoder (its feed-forward blocks, one or two frames
  // per call) on the same panel kernels, one weight sweep per frame (fp16 weights with fp16
  // storage on x86). Float rounding differs. False runs ncnn's, as sherpa-ncnn.
  bool inner_product_panels = true;
  // Blobs and workspaces from ncasr's BlobPool (O(1) malloc/free by size class) instead of
  // ncnn's list-scanning PoolAllocator. Changes no result, only speed.
  bool blob_pool = true;
  // Feed and return stacked encoder states per layer (state_unstacking.h): drops pnnx's
  // Split/Crop/Reshape/Stack around every state (~280 layers and two copies of all states per
  // chunk in a Zipformer). Changes no result, only speed. Applies only where the graph has
  // exactly that pattern.
  bool unstack_states = true;
  std::string variant;  // "", "float" or "int8": which files to load from the folder
};

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
  void bind_blobs(const ncnn::Net& net, const std::string& path, std::vector<int>* in,
                  std::vector<int>* out, size_t n_in, size_t n_out);

  ModelFiles files_;
  bool blob_pool_ = true;
  ModelMetaData meta_;
  EncoderSpec spec_;
  SymbolTable tokens_;
  int vocab_size_ = 0;
  int encoder_dim_ = 0;
  std::map<std::string, int> encoder_overrides_;
  ncnn::Net encoder_, decoder_, joiner_;
  std::vector<ncnn::Mat> initial_states_;
  bool states_per_layer_ = false;
  std::vector<int> state_in_, state_out_;  // encoder blob per entry of initial_states_
  std::vector<int> enc_in_, enc_out_, dec_in_, dec_out_, join_in_, join_out_;
};

}  // namespace ncasr
