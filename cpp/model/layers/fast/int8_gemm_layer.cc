// NcasrInt8Gemm: the int8 forms of a Linear layer and of a pointwise Convolution1D on
// ncasr's int8 kernels (kernels/int8_gemm.h), with ncnn's Gemm params and weight layout:
//
//   rows   (constantB, transB): input X (T rows of K) -> Y = X W^T + b, T rows of N;
//          the Linear layers pnnx exports as Gemm and the converter's InnerProduct -> Gemm.
//   columns (constantA):        input X (K rows of T) -> Y = W X + b, N rows of T;
//          the converter's pointwise Convolution1D.
//
// Activations are quantized per frame at run time (one scale per input row, resp. column),
// weights per output channel when param 28=1 (ncasr's converter writes that), else with ncnn's
// single scale. Dequantize and bias are fused into the store; output columns split across
// threads. Loaded either under its own type name (a model only ncasr runs) or, at load, in place
// of ncnn's int8 Gemm (net_loader renames the type in memory, the params and weights are ncnn's).
#include <cpu.h>
#include <layer.h>
#include <mat.h>
#include <modelbin.h>
#include <paramdict.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

#include "kernels/elempack.h"
#include "kernels/int8_gemm.h"
#include "model/layers/compat/custom_layers.h"

namespace ncasr {
namespace {

class Int8Gemm : public ncnn::Layer {
 public:
  Int8Gemm() {
    one_blob_only = true;
    support_inplace = false;
    support_packing = true;  // takes ncnn's packed blobs as they come, returns the same packing
  }

  int load_param(const ncnn::ParamDict& pd) override {
    const int trans_a = pd.get(2, 0), trans_b = pd.get(3, 0);
    const int constant_a = pd.get(4, 0), constant_b = pd.get(5, 0), constant_c = pd.get(6, 0);
    const int m = pd.get(7, 0), n = pd.get(8, 0);
    k_ = pd.get(9, 0);
    const int broadcast_c = pd.get(10, 0);
    per_channel_ = pd.get(28, 0) == 1;  // ncasr's own key; ncnn reserves 30 (shape hints) and 31
    columns_ = constant_a == 1;
    outputs_ = columns_ ? m : n;
    // The bias broadcast along the output channel: per row M (type 1) or per column N (type 4).
    const int bias_type = columns_ ? 1 : 4;
    bias_term_ = constant_c == 1 && broadcast_c == bias_type;
    const bool shape_ok = columns_ ? (constant_b == 0 && trans_a == 0 && trans_b == 0)
                                   : (constant_a == 0 && constant_b == 1 && trans_a == 0 && trans_b == 1);
    const bool supported = shape_ok && outputs_ > 0 && k_ > 0 && pd.get(0, 1.f) == 1.f && pd.get(1, 1.f) == 1.f &&
                           (broadcast_c == -1 || constant_c == 0 || bias_term_) && pd.get(11, 0) == 0 &&
                           pd.get(12, 0) == 0 && pd.get(13, 0) == 0 && pd.get(14, 0) == 0 && pd.get(18, 0) == 2;
    if (!supported) {
      NCNN_LOGE("NcasrInt8Gemm: params outside what it runs (M=%d N=%d K=%d)", m, n, k_);
      return -100;
    }
    return 0;
  }

  int load_model(const ncnn::ModelBin& mb) override {
    ncnn::Mat w = mb.load(k_, outputs_, 0);
    if (w.empty() || w.elemsize != 1u) {
      NCNN_LOGE("NcasrInt8Gemm: weights are not int8");
      return -100;
    }
    if (bias_term_) {
      bias_ = mb.load(outputs_, 0);
      if (bias_.empty()) return -100;
    } else {
      bias_.create(outputs_);  // zeros: the stores add a bias either way, no branch per value
      if (bias_.empty()) return -100;
      bias_.fill(0.f);
    }
    ncnn::Mat scales = mb.load(per_channel_ || columns_ ? outputs_ : 1, 1);
    if (scales.empty()) return -100;
    inv_w_scale_.resize(static_cast<size_t>(outputs_));
    for (int j = 0; j < outputs_; ++j) {
      const float s = scales[scales.w == 1 ? 0 : j];
      inv_w_scale_[j] = s != 0.f ? 1.f / s : 0.f;
    }
    try {
      packed_ = kernels::pack_int8_weights(static_cast<const int8_t*>(w.data), outputs_, k_, static_cast<size_t>(k_));
    } catch (const std::exception&) {
      return -100;
    }
    return 0;
  }

  int forward(const ncnn::Mat& in, ncnn::Mat& out, const ncnn::Option& opt) const override {
    const int p = in.elempack;
    const int in_k = columns_ ? in.h * p : in.w;
    if (in.dims != 2 || in_k != k_ || in.elemsize != 4u * p) {
      NCNN_LOGE("NcasrInt8Gemm: expects a 2-D fp32 input with %d %s, got dims %d w %d h %d elempack %d", k_,
                columns_ ? "rows" : "columns", in.dims, in.w, in.h, p);
      return -100;
    }
    const int frames = columns_ ? in.w : in.h * p;
    // Output packed as ncnn packs it on this CPU, so the next layer needs no conversion.
    const int out_pack = columns_ ? output_elempack(outputs_, opt) : p;
    if (columns_)
      out.create(frames, outputs_ / out_pack, 4u * out_pack, out_pack, opt.blob_allocator);
    else
      out.create(outputs_, frames / out_pack, 4u * out_pack, out_pack, opt.blob_allocator);
    if (out.empty()) return -100;

    thread_local std::vector<float> gathered;
    thread_local kernels::Int8Activations a;
    size_t ld = 0;
    try {  // no exception may cross ncnn's frames
      const float* rows = frame_rows(in, &gathered, &ld);
      kernels::quantize_int8_activations(rows, frames, ld, packed_, &a);
    } catch (const std::exception& e) {
      NCNN_LOGE("NcasrInt8Gemm: %s", e.what());
      return -100;
    }

    // int32 sums, frames rows of outputs; rows padded by 16 so that the stores, which read up
    // to 16 rows at once, do not find them all in one L1 set (rows a multiple of 4 KiB apart).
    // Kept per thread across calls: a fresh block of this size per call costs page faults.
    const size_t ldc = static_cast<size_t>(outputs_) + 16;
    thread_local std::vector<int32_t> acc;
    acc.resize(ldc * frames);
    int32_t* c = acc.data();
    const int step = std::max(kernels::int8_gemm_column_step(packed_), columns_ ? out_pack : 1);
    const int threads = std::max(1, std::min(opt.num_threads, (outputs_ + step - 1) / step));
    const int per_thread = (outputs_ + step * threads - 1) / (step * threads) * step;
    const float* bias = bias_;  // zeros when the layer has none
    const kernels::Int8Activations& prepared = a;
    float* y = out;
    int failed = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : failed)
    for (int part = 0; part < threads; ++part) {
      const int n0 = part * per_thread, n1 = std::min(outputs_, n0 + per_thread);
      if (n0 >= n1) continue;
      try {  // an exception must not leave an OpenMP region
        kernels::int8_gemm_columns(prepared, packed_, n0, n1, c, ldc);
      } catch (const std::exception&) {
        ++failed;
        continue;
      }
      if (columns_)
        store_columns(c, ldc, prepared.scales.data(), bias, frames, n0, n1, out_pack, y);
      else
        store_rows(c, ldc, prepared.scales.data(), bias, frames, n0, n1, out_pack, y);
    }
    if (failed) {
      NCNN_LOGE("NcasrInt8Gemm: the int8 kernel rejected its operands");
      return -100;
    }
    return 0;
  }

 private:
  // ncnn's choice of elempack for `count` fp32 rows on this CPU (Net::forward_layer's rule).
  static int output_elempack(int count, const ncnn::Option& opt) {
    if (!opt.use_packing_layout) return 1;
#if defined(__x86_64__) || defined(_M_X64)
    if (count % 16 == 0 && ncnn::cpu_support_x86_avx512()) return 16;
    if (count % 8 == 0 && ncnn::cpu_support_x86_avx()) return 8;
#endif
    return count % 4 == 0 ? 4 : 1;
  }

  // The input as `frames` contiguous rows of k_ floats: the input itself when it already is
  // (rows, elempack 1), else gathered into `buf` (packed rows, or the columns of a (K, T) input).
  const float* frame_rows(const ncnn::Mat& in, std::vector<float>* buf, size_t* ld) const {
    const int p = in.elempack;
    const float* x = in;
    *ld = static_cast<size_t>(k_);
    if (!columns_ && p == 1) return x;
    const int frames = columns_ ? in.w : in.h * p;
    // Rows 16 floats longer than K: rows a multiple of 4 KiB apart would share L1 sets, and the
    // gathers below write up to 16 rows at once.
    const size_t stride = static_cast<size_t>(k_) + 16;
    *ld = stride;
    buf->resize(static_cast<size_t>(frames) * stride);
    float* dst = buf->data();
    if (!columns_) {  // block b holds rows b*p .. b*p+p-1, element k of row r at (b*K + k)*p + r
      kernels::unpack_rows(x, in.h, k_, p, dst, stride);
    } else if (p == 1) {  // (K, T): row t is column t; 8 x 8 tiles keep both sides in cache
      for (int t0 = 0; t0 < frames; t0 += 8)
        for (int k0 = 0; k0 < k_; k0 += 8)
          for (int k = k0; k < std::min(k_, k0 + 8); ++k)
            for (int t = t0; t < std::min(frames, t0 + 8); ++t)
              dst[static_cast<size_t>(t) * stride + k] = x[static_cast<size_t>(k) * frames + t];
    } else {  // (K/p, T) blocks of p: element (k, t) at ((k/p)*T + t)*p + k%p, p in a row per t
      for (int b = 0; b < in.h; ++b)
        for (int t = 0; t < frames; ++t)
          std::memcpy(dst + static_cast<size_t>(t) * stride + b * p, x + (static_cast<size_t>(b) * frames + t) * p,
                      sizeof(float) * p);
    }
    return dst;
  }

  // y (frames rows of outputs_, packed by p along the rows) for output columns [n0, n1).
  void store_rows(const int32_t* c, size_t ldc, const float* a_scales, const float* bias, int frames, int n0, int n1,
                  int p, float* y) const {
    float inv_a[64];  // frames <= 64 per block run below
    for (int t0 = 0; t0 < frames; t0 += 64) {
      const int rows = std::min(64, frames - t0);
      for (int r = 0; r < rows; ++r) inv_a[r] = 1.f / a_scales[t0 + r];
      kernels::dequantize_pack_rows(c + static_cast<size_t>(t0) * ldc, ldc, inv_a, inv_w_scale_.data(), bias, rows / p,
                                    outputs_, n0, n1, p, y + static_cast<size_t>(t0) * outputs_);
    }
  }

  // y (outputs_ rows of frames, packed by p along the rows) for output rows [n0, n1); n0 and
  // n1 (unless it is outputs_) are multiples of p, and outputs_ is one (output_elempack).
  // Block by block, so both the sums and the packed output are read and written in order.
  void store_columns(const int32_t* c, size_t ldc, const float* a_scales, const float* bias, int frames, int n0, int n1,
                     int p, float* y) const {
    for (int jb = n0 / p; jb * p < n1; ++jb) {
      const float* wb = inv_w_scale_.data() + jb * p;
      const float* bb = bias + jb * p;
      for (int t = 0; t < frames; ++t) {
        const float inv_a = 1.f / a_scales[t];
        const int32_t* cr = c + static_cast<size_t>(t) * ldc + jb * p;
        float* yr = y + (static_cast<size_t>(jb) * frames + t) * p;
        for (int r = 0; r < p; ++r) yr[r] = cr[r] * (inv_a * wb[r]) + bb[r];
      }
    }
  }

  bool columns_ = false, per_channel_ = false, bias_term_ = false;
  int outputs_ = 0, k_ = 0;
  ncnn::Mat bias_;
  std::vector<float> inv_w_scale_;
  kernels::PackedInt8Weights packed_;
};

}  // namespace

ncnn::Layer* create_int8_gemm_layer(void*) { return new Int8Gemm; }

}  // namespace ncasr
