// NcasrInnerProductPanels: ncnn's float InnerProduct (no fused activation) on ncasr's panel
// matrix-vector kernels, one product per input row.
//
// In a streaming LSTM encoder each call carries one or two frames, and every InnerProduct of
// the feed-forward blocks streams its weights from memory once per frame (8 MB per layer in
// fp32 at 512 -> 2048 -> 512): the kernel's sustained bandwidth sets the speed, and one
// contiguous panel sweep per frame streams them faster than ncnn's InnerProduct (measured:
// see docs/runtime-options.md, inner_product_panels). With fp16 storage the weights are packed as fp16 (as ncnn's fp16
// storage does on x86: fp32 arithmetic). Each row of a multi-row input is one more sweep, so this is for the few-frame
// calls of streaming encoders, which is how ncasr runs them. Outputs differ from ncnn's by
// float rounding (sum order).
#include <layer.h>
#include <mat.h>
#include <modelbin.h>
#include <paramdict.h>

#include <algorithm>
#include <exception>

#include "kernels/f16_gemv.h"
#include "model/layers/compat/custom_layers.h"
#include "model/layers/fast/panel_gemv_threads.h"

namespace ncasr {
namespace {

class InnerProductPanels : public ncnn::Layer {
 public:
  InnerProductPanels() {
    one_blob_only = true;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    num_output_ = pd.get(0, 0);
    bias_term_ = pd.get(1, 0);
    weight_data_size_ = pd.get(2, 0);
    if (num_output_ <= 0 || weight_data_size_ <= 0 || weight_data_size_ % num_output_ != 0 || pd.get(8, 0) != 0 ||
        pd.get(9, 0) != 0) {
      NCNN_LOGE("NcasrInnerProductPanels: unsupported params num_output=%d weight_data_size=%d", num_output_,
                weight_data_size_);
      return -100;
    }
    inputs_ = weight_data_size_ / num_output_;
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    weights_ = mb.load(weight_data_size_, 0);
    if (weights_.empty()) return -100;
    if (bias_term_) {
      ncnn::Mat b = mb.load(num_output_, 1);
      if (b.empty()) return -100;
      const float* p = b;
      bias_.assign(p, p + num_output_);
    }
    return 0;
  }

  int create_pipeline(const ncnn::Option& opt) override {
    try {
      if (opt.use_fp16_storage)
        half_ = kernels::pack_f16_weights(weights_, num_output_, inputs_, static_cast<size_t>(inputs_));
      else
        full_ = kernels::pack_f32_weights(weights_, num_output_, inputs_, static_cast<size_t>(inputs_));
    } catch (const std::exception& e) {
      NCNN_LOGE("NcasrInnerProductPanels: %s", e.what());
      return -100;
    }
    fp16_ = opt.use_fp16_storage;
    if (opt.lightmode) weights_.release();  // only the packed copy is used from here on
    return 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    if ((in.dims != 1 && in.dims != 2) || in.w != inputs_ || in.elempack != 1 || in.elemsize != 4u) {
      NCNN_LOGE("NcasrInnerProductPanels: expects %d inputs per row, got dims %d w %d", inputs_, in.dims, in.w);
      return -100;
    }
    const int rows = in.dims == 1 ? 1 : in.h;
    if (in.dims == 1)
      out.create(num_output_, 4u, opt.blob_allocator);
    else
      out.create(num_output_, rows, 4u, opt.blob_allocator);
    if (out.empty()) return -100;
    const float* bias = bias_.empty() ? nullptr : bias_.data();
    const int threads = std::max(1, opt.num_threads);
    for (int r = 0; r < rows; ++r) {
      const float* x = in.row(r);
      float* y = out.row(r);
      if (fp16_)
        panel_gemv_threads(half_, x, bias, y, threads);
      else
        panel_gemv_threads(full_, x, bias, y, threads);
    }
    return 0;
  }

 private:
  int num_output_ = 0, bias_term_ = 0, weight_data_size_ = 0, inputs_ = 0;
  bool fp16_ = false;
  ncnn::Mat weights_;  // file order, until packed
  std::vector<float> bias_;
  kernels::PackedF16Weights half_;
  kernels::PackedF32Weights full_;
};

}  // namespace

ncnn::Layer* create_inner_product_panels_layer(void*) { return new InnerProductPanels; }

}  // namespace ncasr
