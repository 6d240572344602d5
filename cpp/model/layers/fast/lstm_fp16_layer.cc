// NcasrLSTMFp16: ncnn's float LSTM with its weights stored as fp16, arithmetic in float.
//
// On x86 ncnn's LSTM reads fp32 weights even when the net stores weights as fp16, and a
// streaming encoder step (one output frame per call) reads every weight of every layer
// once: 18 MB per layer at hidden 1024 / projection 512, far beyond the cache, so memory
// traffic sets the speed. Here [W_xc | W_hc] is one fp16 matrix applied to [x_t ; h_{t-1}]
// and W_hr another (kernels/f16_gemv.h): half the bytes per step. Gate order I F O G;
// c = F c + I G, h = O tanh(c), as ncnn, on the SIMD cell kernel (kernels/lstm_cell.h).
//
// Same params and weights as ncnn's LSTM; net_loader renames a float unidirectional LSTM to
// this type in memory when the net stores weights as fp16 on x86. Outputs differ from
// ncnn's float LSTM by the fp16 rounding of the weights (as ncnn's fp16 storage on ARM).
//
// NcasrLSTMFp32 is the same layer on float weights (f32_gemv, same panels), for nets that
// store weights as fp32: the same bytes as ncnn's LSTM, streamed as one panel sweep per step
// and split across threads by whole panels. Outputs differ from ncnn's by float rounding.
#include <layer.h>
#include <mat.h>
#include <modelbin.h>
#include <paramdict.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

#include "kernels/f16_gemv.h"
#include "kernels/lstm_cell.h"
#include "model/layers/compat/custom_layers.h"
#include "model/layers/fast/lstm_common.h"
#include "model/layers/fast/panel_gemv_threads.h"

namespace ncasr {
namespace {

struct HalfWeights {
  using Packed = kernels::PackedF16Weights;
  static constexpr const char* kName = "NcasrLSTMFp16";
  static Packed pack(const float* w, int rows, int cols, size_t stride) {
    return kernels::pack_f16_weights(w, rows, cols, stride);
  }
  static Packed pack_joined(const float* a, int a_cols, const float* b, int b_cols, int rows) {
    return kernels::pack_f16_weights(a, a_cols, b, b_cols, rows);
  }
};

struct FloatWeights {
  using Packed = kernels::PackedF32Weights;
  static constexpr const char* kName = "NcasrLSTMFp32";
  static Packed pack(const float* w, int rows, int cols, size_t stride) {
    return kernels::pack_f32_weights(w, rows, cols, stride);
  }
  static Packed pack_joined(const float* a, int a_cols, const float* b, int b_cols, int rows) {
    return kernels::pack_f32_weights(a, a_cols, b, b_cols, rows);
  }
};

template <typename Weights>
class LSTMPanels : public ncnn::Layer {
 public:
  LSTMPanels() {
    one_blob_only = false;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    LSTMShape shape;
    if (lstm_load_param(Weights::kName, pd, 0, &shape) != 0) return -100;
    num_output_ = shape.num_output;
    hidden_ = shape.hidden;
    input_ = shape.input;
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    const int rows = 4 * hidden_;
    ncnn::Mat xc = mb.load(input_, rows, 1, 0);
    ncnn::Mat bias = mb.load(hidden_, 4, 1, 0);
    ncnn::Mat hc = mb.load(num_output_, rows, 1, 0);
    ncnn::Mat hr;
    if (num_output_ != hidden_) hr = mb.load(hidden_, num_output_, 1, 0);
    if (xc.empty() || bias.empty() || hc.empty() || (num_output_ != hidden_ && hr.empty())) return -100;
    if (xc.elemsize != 4u || hc.elemsize != 4u || bias.elemsize != 4u) {
      NCNN_LOGE("%s: weights are not float", Weights::kName);
      return -100;
    }
    try {
      // [W_xc | W_hc], row g * hidden + q, as one matrix over [x_t ; h_{t-1}]
      gates_w_ = Weights::pack_joined(xc, input_, hc, num_output_, rows);
      if (num_output_ != hidden_) projection_w_ = Weights::pack(hr, num_output_, hidden_, static_cast<size_t>(hidden_));
    } catch (const std::exception& e) {
      NCNN_LOGE("%s: %s", Weights::kName, e.what());
      return -100;
    }
    const float* b = bias;
    bias_.assign(b, b + rows);  // gate g, unit q at g * hidden + q
#if defined(__GLIBC__)
    // The file-order weights (as many bytes as the packed ones) are freed when this returns;
    // without a trim glibc keeps them, and a 12-layer encoder's load peak grows by all of them.
    xc.release();
    hc.release();
    hr.release();
    malloc_trim(0);
#endif
    return 0;
  }

  int forward(const std::vector<ncnn::Mat>& bottoms, std::vector<ncnn::Mat>& tops,
              const ncnn::Option& opt) const override {
    const ncnn::Mat& x = bottoms[0];
    ncnn::Mat h, c;
    if (lstm_begin(Weights::kName, bottoms, tops.size(), input_, num_output_, hidden_, opt, &h, &c) != 0) return -100;
    const int frames = x.h;
    ncnn::Mat& y = tops[0];
    y.create(num_output_, frames, 4u, opt.blob_allocator);
    const int rows = 4 * hidden_;
    ncnn::Mat input(input_ + num_output_, 4u, opt.workspace_allocator);  // [x_t ; h_{t-1}]
    ncnn::Mat gates(rows, 4u, opt.workspace_allocator);
    ncnn::Mat unit(hidden_, 4u, opt.workspace_allocator);  // o * tanh(c) before the projection
    if (y.empty() || input.empty() || gates.empty() || unit.empty()) return -100;
    float* v = input;
    float* cs = c;
    const int threads = std::max(1, opt.num_threads);
    for (int t = 0; t < frames; ++t) {
      std::memcpy(v, x.row(t), sizeof(float) * input_);
      std::memcpy(v + input_, h, sizeof(float) * num_output_);
      multiply(gates_w_, v, bias_.data(), gates, threads);
      float* out = y.row(t);
      float* hidden = num_output_ == hidden_ ? out : static_cast<float*>(unit);
      kernels::lstm_cell(gates, hidden_, cs, hidden, hidden_);
      if (num_output_ != hidden_) multiply(projection_w_, hidden, nullptr, out, threads);
      std::memcpy(h, out, sizeof(float) * num_output_);
    }
    if (tops.size() == 3) {
      tops[1] = h;
      tops[2] = c;
    }
    return 0;
  }

 private:
  static void multiply(const typename Weights::Packed& w, const float* v, const float* bias, float* y, int threads) {
    panel_gemv_threads(w, v, bias, y, threads);
  }

  int num_output_ = 0, hidden_ = 0, input_ = 0;
  std::vector<float> bias_;
  typename Weights::Packed gates_w_, projection_w_;
};

}  // namespace

ncnn::Layer* create_lstm_fp16_layer(void*) { return new LSTMPanels<HalfWeights>; }
ncnn::Layer* create_lstm_fp32_layer(void*) { return new LSTMPanels<FloatWeights>; }

}  // namespace ncasr
