// NcasrPointwiseConv1D: a Convolution1D with kernel 1, stride 1, no padding and no fused
// activation, run as a Gemm. Over a (C_in rows, T columns) input it is y = W x + b, i.e. a
// Gemm with W as constant A; ncnn's x86 Gemm kernels run Zipformer's pointwise convolutions
// faster than its generic convolution1d_packed (measured: see docs/runtime-options.md,
// pointwise_conv1d_as_gemm). Same params and weight blobs as Convolution1D, so only the
// type name changes, in memory, at load (net_loader); files on disk are never rewritten.
#include <layer.h>
#include <modelbin.h>
#include <paramdict.h>

#include <memory>

#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class PointwiseConv1D : public ncnn::Layer {
 public:
  PointwiseConv1D() {
    one_blob_only = true;
    support_inplace = false;
  }

  int load_param(const ncnn::ParamDict& pd) override {
    num_output_ = pd.get(0, 0);
    bias_term_ = pd.get(5, 0);
    weight_data_size_ = pd.get(6, 0);
    if (num_output_ <= 0 || weight_data_size_ % num_output_ != 0 || pd.get(1, 0) != 1) {
      NCNN_LOGE("NcasrPointwiseConv1D: bad params num_output=%d weight_data_size=%d", num_output_, weight_data_size_);
      return -100;
    }
    gemm_.reset(ncnn::create_layer_cpu("Gemm"));
    if (!gemm_) return -100;
    ncnn::ParamDict g;
    g.set(2, 0);  // A (the weights) is M rows of K
    g.set(3, 0);  // B (the input) is K rows of N = T columns
    g.set(4, 1);  // constant A
    g.set(5, 0);
    g.set(6, 1);  // constant C (bias, or none)
    g.set(7, num_output_);
    g.set(8, 0);
    g.set(9, weight_data_size_ / num_output_);
    g.set(10, bias_term_ ? 1 : -1);  // one bias per output row
    if (gemm_->load_param(g) != 0) return -100;
    inherit_support();
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    ncnn::Mat weights[2];
    weights[0] = mb.load(weight_data_size_, 0);  // as Convolution1D reads them
    if (weights[0].empty()) return -100;
    if (bias_term_) {
      weights[1] = mb.load(num_output_, 1);
      if (weights[1].empty()) return -100;
    }
    return gemm_->load_model(ncnn::ModelBinFromMatArray(weights));
  }

  int create_pipeline(const ncnn::Option& opt) override {
    const int rc = gemm_->create_pipeline(opt);
    inherit_support();
    return rc;
  }

  int destroy_pipeline(const ncnn::Option& opt) override { return gemm_->destroy_pipeline(opt); }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    return gemm_->forward(in, out, opt);
  }

 private:
  // The net converts inputs to what the layer supports (packing, fp16/bf16 storage):
  // ask for what the inner Gemm handles.
  void inherit_support() {
    support_packing = gemm_->support_packing;
    support_bf16_storage = gemm_->support_bf16_storage;
    support_fp16_storage = gemm_->support_fp16_storage;
    support_int8_storage = gemm_->support_int8_storage;
  }

  int num_output_ = 0, bias_term_ = 0, weight_data_size_ = 0;
  std::unique_ptr<ncnn::Layer> gemm_;
};

}  // namespace

ncnn::Layer* create_pointwise_conv1d_layer(void*) { return new PointwiseConv1D; }

}  // namespace ncasr
