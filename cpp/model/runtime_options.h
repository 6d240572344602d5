#pragma once
// How a model runs: threads, weight storage and which of ncasr's own layers replace ncnn's.
// Defined here once; bound once (bindings/recognizer.cc), mirrored by the Python dataclass
// ncasr.RuntimeOptions (config.py) and listed in docs/runtime-options.md. Adding an option
// touches exactly those four places (see CONTRIBUTING.md).
//
// The defaults are the fastest settings (fastest()). sherpa_ncnn() runs the layers the way
// sherpa-ncnn does (ncnn's own layers, Zipformer's encoder in fp32): the parity oracle's
// settings. Switches that change no result, only speed (blob_pool, unstack_states), stay on.

namespace ncasr {

struct RuntimeOptions {
  // Threads for the encoder (the decoder and joiner run on one: too little work per call).
  int num_threads = 1;
  // Store weights as fp16 where ncnn supports it (ncnn's default, as sherpa-ncnn runs).
  bool use_fp16_storage = true;
  // Zipformer's encoder never uses fp16 arithmetic (its attention overflows in fp16; that
  // is why sherpa-ncnn runs it in fp32). Where ncnn has no fp16 arithmetic (x86), fp16
  // *storage* only rounds its weights and runs faster; false matches sherpa-ncnn.
  bool zipformer_encoder_fp16_weights = true;
  // Pointwise Convolution1D layers (kernel 1, stride 1, no padding, no fused activation:
  // Zipformer, Conv-Emformer) run as a Gemm (NcasrPointwiseConv1D): faster on x86; sums in
  // another order, float-rounding differences only. False runs ncnn's Convolution1D.
  bool pointwise_conv1d_as_gemm = true;
  // Depthwise ConvolutionDepthWise1D layers (stride 1, dilation 1, no fused activation) on
  // ncasr's SIMD kernel (NcasrDepthwiseConv1D) instead of ncnn's scalar loop: faster,
  // float-rounding differences only. False runs ncnn's.
  bool depthwise_conv1d_simd = true;
  // Those depthwise layers in int8 (NcasrDepthwiseConv1DInt8: taps quantized per channel at
  // load, activations per channel per call): quantization error like the other int8 layers.
  // Takes precedence over depthwise_conv1d_simd. Off by default: their int8 error adds to
  // the rest for a small share of the time.
  bool depthwise_conv1d_int8 = false;
  // GLU layers along axis 0 (Zipformer, Conv-Emformer) on ncasr's SIMD kernel (NcasrGLU), on
  // ncnn's packed blobs (ncnn's GLU has no packed form, so it converts the layout before and
  // after); its sigmoid rounds differently. False runs ncnn's.
  bool glu_simd = true;
  // pnnx's four-layer DoubleSwish (Split; x - 1; Sigmoid; mul) fused into one in-place layer
  // (NcasrDoubleSwish) on the GLU kernel: fewer graph steps and copies; float-rounding
  // differences only. False runs the four ncnn layers.
  bool fuse_double_swish = true;
  // pnnx's six-layer BasicNorm (Split; x*x; mean; + eps; pow -0.5; mul) fused into one
  // in-place layer on ncnn's packed blobs (NcasrBasicNorm); float-rounding differences only.
  // False runs ncnn's layers.
  bool fuse_basic_norm = true;
  // ncnn int8 Gemm layers (Linear, pointwise conv) on ncasr's int8 kernels (NcasrInt8Gemm),
  // activations quantized per frame with ncasr's rounding. Off by default: inside whole
  // encoders ncnn's int8 Gemm is as fast or faster on AVX-512 VNNI. An encoder that runs
  // several chunks per call (max_chunks_per_call) uses ncasr's regardless: its per-frame
  // quantization keeps each chunk's result independent of how many share the call.
  bool int8_gemm_ncasr = false;
  // Forward int8 LSTM layers on ncasr's int8 kernels (NcasrLSTMInt8), the projection W_hr
  // quantized too: fewer bytes per time step, other rounding. False runs ncnn's.
  bool lstm_int8_ncasr = true;
  // With fp16 storage on x86 (where ncnn's LSTM still reads fp32 weights), float LSTM layers
  // run on ncasr's fp16-weight kernel (NcasrLSTMFp16): half the bytes per step; outputs
  // differ by the weights' fp16 rounding. ARM keeps ncnn's LSTM (fp16 storage and arithmetic).
  bool lstm_fp16_weights = true;
  // With fp32 storage, float LSTM layers run on ncasr's float panel kernel (NcasrLSTMFp32):
  // the same bytes as ncnn's LSTM in one sweep per step; float rounding differs. Where both
  // apply to a layer, lstm_fp16_weights wins.
  bool lstm_fp32_panels = true;
  // Float InnerProduct layers of an LSTM encoder (its feed-forward blocks, one or two frames
  // per call) on ncasr's panel kernels (NcasrInnerProductPanels), one weight sweep per frame
  // (fp16 weights with fp16 storage on x86); float rounding differs.
  bool inner_product_panels = true;
  // Blobs and workspaces from ncasr's BlobPool (O(1) malloc/free by size class) instead of
  // ncnn's list-scanning PoolAllocator. Changes no result, only speed.
  bool blob_pool = true;
  // Feed and return stacked encoder states per layer (state_unstacking.h): drops pnnx's
  // Split/Crop/Reshape/Stack around every state. Changes no result, only speed. Applies only
  // where the graph has exactly that pattern.
  bool unstack_states = true;
  // Where a stream has several chunks of features ready (a whole file, or a backlog), an
  // encoder whose chunks are independent but for its carried states (LSTM) runs up to this
  // many chunks in one call: the frames of all of them go through each weight matrix in one
  // sweep, and only the recurrence steps frame by frame. A chunk's result does not depend
  // on how many chunks share its call (int8 bit for bit, int8_gemm_ncasr's kernels then;
  // float within rounding). 1 runs one chunk per call, as sherpa-ncnn.
  int max_chunks_per_call = 16;

  // Today's defaults: every faster path that keeps results within float rounding.
  static RuntimeOptions fastest() { return RuntimeOptions(); }
  // As sherpa-ncnn runs a model: ncnn's own layers everywhere, Zipformer's encoder in fp32,
  // fp16 storage elsewhere (ncnn's default). What the parity tests compare against.
  static RuntimeOptions sherpa_ncnn() {
    RuntimeOptions o;
    o.zipformer_encoder_fp16_weights = false;
    o.pointwise_conv1d_as_gemm = false;
    o.depthwise_conv1d_simd = false;
    o.depthwise_conv1d_int8 = false;
    o.glu_simd = false;
    o.fuse_double_swish = false;
    o.fuse_basic_norm = false;
    o.int8_gemm_ncasr = false;
    o.lstm_int8_ncasr = false;
    o.lstm_fp16_weights = false;
    o.lstm_fp32_panels = false;
    o.inner_product_panels = false;
    o.max_chunks_per_call = 1;
    return o;
  }
};

}  // namespace ncasr
