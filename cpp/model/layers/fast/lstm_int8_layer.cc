// NcasrLSTMInt8: ncnn's int8 LSTM (8=2: int8 W_xc and W_hc with one scale per gate row, float
// bias and projection W_hr) run on ncasr's int8 kernels, with the projection quantized too.
//
// Per chunk the input projection of all T frames is one int8 matrix product (frames x 4H);
// each time step then multiplies the quantized hidden state by W_hc and, for a projected
// LSTM (num_output < hidden), the new hidden state by W_hr. A step streams every recurrent
// weight once, and the icefall-size encoders' weights do not fit in cache, so bytes per step
// set the speed: int8 W_hr (one scale per output row, made at load) makes W_hc + W_hr
// 2.5 MB instead of ncnn's 4 MB at hidden 1024 / projection 512.
//
// Same params and weights as ncnn's LSTM; net_loader renames an int8 unidirectional LSTM to
// this type in memory. Gate order I F O G; c = F c + I G, h = O tanh(c), as ncnn, on the SIMD
// cell kernel (kernels/lstm_cell.h; its exp differs from libm's by a few ulp).
#include <layer.h>
#include <mat.h>
#include <modelbin.h>
#include <paramdict.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <vector>

#include "calibration/weight_scales.h"
#include "kernels/int8_gemm.h"
#include "kernels/lstm_cell.h"
#include "model/layers/compat/custom_layers.h"
#include "model/layers/fast/lstm_common.h"

namespace ncasr {
namespace {

// One int8 weight matrix, packed for the kernels, with 1 / scale per output row.
struct Int8Matrix {
  kernels::PackedInt8Weights packed;
  std::vector<float> inv_scale;
};

class LSTMInt8 : public ncnn::Layer {
 public:
  LSTMInt8() {
    one_blob_only = false;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    LSTMShape shape;
    if (lstm_load_param("NcasrLSTMInt8", pd, 2, &shape) != 0) return -100;
    num_output_ = shape.num_output;
    hidden_ = shape.hidden;
    input_ = shape.input;
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    const int rows = 4 * hidden_;
    ncnn::Mat xc = mb.load(input_, rows, 1, 0);
    bias_ = mb.load(hidden_, 4, 1, 0);
    ncnn::Mat hc = mb.load(num_output_, rows, 1, 0);
    ncnn::Mat hr;
    if (num_output_ != hidden_) hr = mb.load(hidden_, num_output_, 1, 0);
    ncnn::Mat xc_scales = mb.load(rows, 1, 1);
    ncnn::Mat hc_scales = mb.load(rows, 1, 1);
    if (xc.empty() || bias_.empty() || hc.empty() || xc_scales.empty() || hc_scales.empty() ||
        (num_output_ != hidden_ && hr.empty()))
      return -100;
    if (xc.elemsize != 1u || hc.elemsize != 1u) {
      NCNN_LOGE("NcasrLSTMInt8: W_xc / W_hc are not int8");
      return -100;
    }
    try {
      pack(static_cast<const int8_t*>(xc.data), rows, input_, xc_scales, &xc_);
      pack(static_cast<const int8_t*>(hc.data), rows, num_output_, hc_scales, &hc_);
      if (num_output_ != hidden_) quantize_projection(hr);
    } catch (const std::exception& e) {
      NCNN_LOGE("NcasrLSTMInt8: %s", e.what());
      return -100;
    }
    bias_ = bias_.reshape(4 * hidden_);  // gate g, unit q at g * hidden + q
    return 0;
  }

  int forward(const std::vector<ncnn::Mat>& bottoms, std::vector<ncnn::Mat>& tops,
              const ncnn::Option& opt) const override {
    const ncnn::Mat& x = bottoms[0];
    ncnn::Mat h, c;
    if (lstm_begin("NcasrLSTMInt8", bottoms, tops.size(), input_, num_output_, hidden_, opt, &h, &c) != 0) return -100;
    const int frames = x.h;
    ncnn::Mat& y = tops[0];
    y.create(num_output_, frames, 4u, opt.blob_allocator);
    const int rows = 4 * hidden_;
    ncnn::Mat xg(rows, frames, 4u, opt.workspace_allocator);                // input projection + bias, per frame
    ncnn::Mat acc(rows, std::max(frames, 1), 4u, opt.workspace_allocator);  // int32 sums
    ncnn::Mat unit(hidden_, 4u, opt.workspace_allocator);                   // o * tanh(c) before the projection
    ncnn::Mat gates(rows, 4u, opt.workspace_allocator);                     // one step's pre-activations
    if (y.empty() || xg.empty() || acc.empty() || unit.empty() || gates.empty()) return -100;
    float* pre = gates;
    int32_t* sums = static_cast<int32_t*>(acc.data);
    float* hs = h;
    float* cs = c;
    try {
      thread_local kernels::Int8Activations a;
      // All frames' input projections in one product.
      const int threads = std::max(1, opt.num_threads);
      kernels::quantize_int8_activations(x, frames, static_cast<size_t>(x.w), xc_.packed, &a);
      multiply(a, xc_.packed, sums, threads);
      for (int t = 0; t < frames; ++t) {
        const float inv_a = 1.f / a.scales[t];
        const int32_t* s = sums + static_cast<size_t>(t) * rows;
        float* g = xg.row(t);
        for (int n = 0; n < rows; ++n) g[n] = s[n] * (inv_a * xc_.inv_scale[n]) + bias_[n];
      }
      for (int t = 0; t < frames; ++t) {
        kernels::quantize_int8_activations(hs, 1, static_cast<size_t>(num_output_), hc_.packed, &a);
        multiply(a, hc_.packed, sums, threads);
        const float inv_h = 1.f / a.scales[0];
        const float* g = xg.row(t);
        float* out = y.row(t);
        float* hidden = num_output_ == hidden_ ? out : static_cast<float*>(unit);
        for (int n = 0; n < rows; ++n) pre[n] = g[n] + sums[n] * (inv_h * hc_.inv_scale[n]);
        kernels::lstm_cell(pre, hidden_, cs, hidden, hidden_);
        if (num_output_ != hidden_) {  // h = W_hr (o * tanh c), int8
          kernels::quantize_int8_activations(hidden, 1, static_cast<size_t>(hidden_), hr_.packed, &a);
          multiply(a, hr_.packed, sums, threads);
          const float inv_u = 1.f / a.scales[0];
          for (int n = 0; n < num_output_; ++n) out[n] = sums[n] * (inv_u * hr_.inv_scale[n]);
        }
        std::memcpy(hs, out, sizeof(float) * num_output_);
      }
    } catch (const std::exception& e) {
      NCNN_LOGE("NcasrLSTMInt8: %s", e.what());
      return -100;
    }
    if (tops.size() == 3) {
      tops[1] = h;
      tops[2] = c;
    }
    return 0;
  }

 private:
  // sums (a.m rows of w.n) = a * w^T, output columns split across threads when the product
  // is big enough to pay for waking them (a small model's per-step products are not). The
  // kernel checks were made when the operands were built: nothing throws in the parallel region.
  static void multiply(const kernels::Int8Activations& a, const kernels::PackedInt8Weights& w, int32_t* sums,
                       int threads) {
    constexpr double kMinPerThread = 512.0 * 1024;  // multiply-adds worth a thread
    const int step = kernels::int8_gemm_column_step(w);
    const double work = static_cast<double>(a.m) * w.n * w.k;
    threads = std::max(1, std::min({threads, (w.n + step - 1) / step, static_cast<int>(work / kMinPerThread)}));
    if (threads == 1) {
      kernels::int8_gemm_columns(a, w, 0, w.n, sums, static_cast<size_t>(w.n));
      return;
    }
    const int per_thread = (w.n + step * threads - 1) / (step * threads) * step;
#pragma omp parallel for num_threads(threads)
    for (int part = 0; part < threads; ++part) {
      const int n0 = part * per_thread, n1 = std::min(w.n, n0 + per_thread);
      if (n0 < n1) kernels::int8_gemm_columns(a, w, n0, n1, sums, static_cast<size_t>(w.n));
    }
  }

  static void pack(const int8_t* w, int rows, int cols, const ncnn::Mat& scales, Int8Matrix* m) {
    m->packed = kernels::pack_int8_weights(w, rows, cols, static_cast<size_t>(cols));
    m->inv_scale.resize(static_cast<size_t>(rows));
    for (int r = 0; r < rows; ++r) m->inv_scale[r] = scales[r] != 0.f ? 1.f / scales[r] : 0.f;
  }

  // W_hr (num_output rows of hidden floats) -> int8, one scale per row (127 / absmax), as the
  // converter quantizes weights.
  void quantize_projection(const ncnn::Mat& hr) {
    const float* w = hr;
    const std::vector<float> s = per_channel_scales(w, num_output_, hidden_);
    std::vector<int8_t> q(static_cast<size_t>(num_output_) * hidden_);
    quantize_per_channel(w, num_output_, hidden_, s.data(), q.data());
    pack(q.data(), num_output_, hidden_, ncnn::Mat(num_output_, const_cast<float*>(s.data())), &hr_);
  }

  int num_output_ = 0, hidden_ = 0, input_ = 0;
  ncnn::Mat bias_;
  Int8Matrix xc_, hc_, hr_;
};

}  // namespace

ncnn::Layer* create_lstm_int8_layer(void*) { return new LSTMInt8; }

}  // namespace ncasr
