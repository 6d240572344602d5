#include "conversion/int8_converter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/errors.h"
#include "common/half.h"
#include "model/layers/compat/custom_layers.h"
#include "model/param_file.h"
#include "model/weight_map.h"

namespace ncasr {
namespace {

constexpr uint32_t kInt8Tag = 0x000D4B38;
constexpr uint32_t kFp16Tag = 0x01306B47;

std::vector<unsigned char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ModelError(path, "cannot be read");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A float or fp16 blob (tagged or raw) as floats.
std::vector<float> decode(const std::vector<unsigned char>& bin, const WeightBlob& b) {
  std::vector<float> out(b.elements);
  const unsigned char* p = bin.data() + b.offset;
  switch (b.storage) {
    case BlobStorage::kRaw: std::memcpy(out.data(), p, 4 * out.size()); break;
    case BlobStorage::kFp32: std::memcpy(out.data(), p + 4, 4 * out.size()); break;
    case BlobStorage::kFp16:
      for (size_t i = 0; i < out.size(); ++i) {
        uint16_t h;
        std::memcpy(&h, p + 4 + 2 * i, 2);
        out[i] = half_to_float(h);
      }
      break;
    default: throw Error("cannot decode a " + std::string(blob_storage_name(b.storage)) + " blob");
  }
  return out;
}

void append(std::vector<unsigned char>* out, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  out->insert(out->end(), p, p + n);
}

// Symmetric int8 with one scale per row of `cols` values: q = round(w * 127 / absmax).
std::vector<float> quantize_rows(const std::vector<float>& w, size_t cols, std::vector<int8_t>* q) {
  const size_t rows = w.size() / cols;
  std::vector<float> scales(rows);
  q->resize(w.size());
  for (size_t r = 0; r < rows; ++r) {
    float absmax = 0.f;
    for (size_t c = 0; c < cols; ++c) absmax = std::max(absmax, std::fabs(w[r * cols + c]));
    const float s = absmax > 0.f ? 127.f / absmax : 1.f;
    scales[r] = s;
    for (size_t c = 0; c < cols; ++c) {
      const float v = std::round(w[r * cols + c] * s);
      (*q)[r * cols + c] = static_cast<int8_t>(std::max(-127.f, std::min(127.f, v)));
    }
  }
  return scales;
}

void append_int8_blob(std::vector<unsigned char>* out, const std::vector<int8_t>& q) {
  append(out, &kInt8Tag, 4);
  append(out, q.data(), q.size());
  out->resize(out->size() + (4 - q.size() % 4) % 4, 0);  // ncnn pads blobs to 4 bytes
}

void append_raw_floats(std::vector<unsigned char>* out, const std::vector<float>& v) {
  append(out, v.data(), 4 * v.size());
}

// A float blob ncnn reads with its tag (ModelBin type 0): fp32 (flag 0), or fp16 when the
// conversion asked for fp16 storage.
void append_tagged_floats(std::vector<unsigned char>* out, const std::vector<float>& v, bool fp16) {
  if (fp16) {
    std::vector<uint16_t> h(v.size());
    for (size_t i = 0; i < v.size(); ++i) h[i] = float_to_half(v[i]);
    append(out, &kFp16Tag, 4);
    append(out, h.data(), 2 * h.size());
    out->resize(out->size() + (4 - (2 * h.size()) % 4) % 4, 0);  // ncnn pads blobs to 4 bytes
    return;
  }
  const uint32_t fp32_flag = 0;
  append(out, &fp32_flag, 4);
  append_raw_floats(out, v);
}

int int_param(const ParamLayer& l, const std::string& key, int def) {
  const std::string v = l.param(key);
  return v.empty() ? def : std::stoi(v);
}

void set_param(ParamLayer* l, const std::string& key, int value) {
  const std::string tok = key + "=" + std::to_string(value);
  for (auto& p : l->params)
    if (p.compare(0, key.size() + 1, key + "=") == 0) {
      p = tok;
      return;
    }
  l->params.push_back(tok);
}

bool is_float(const WeightBlob& b) { return b.storage == BlobStorage::kFp32 || b.storage == BlobStorage::kFp16; }

// A blob that stays float: byte for byte, or as fp16 when asked and ncnn reads it with its
// tag (tagged fp32 -> tagged fp16; untagged raw floats must stay fp32).
void copy_blob(const std::vector<unsigned char>& bin, const WeightBlob& b, std::vector<unsigned char>* out, bool fp16) {
  if (fp16 && b.storage == BlobStorage::kFp32) {
    append_tagged_floats(out, decode(bin, b), true);
    return;
  }
  append(out, bin.data() + b.offset, static_cast<size_t>(b.bytes));
}

// Returns "" when converted, else why the layer stays float.
std::string convert_lstm(ParamLayer* l, const std::vector<WeightBlob>& blobs, const std::vector<unsigned char>& bin,
                         std::vector<unsigned char>* out, bool fp16) {
  if (int_param(*l, "8", 0) != 0) return "already int8";
  const int num_output = int_param(*l, "0", 0), direction = int_param(*l, "2", 0);
  const int hidden = int_param(*l, "3", num_output);
  const int dirs = direction == 2 ? 2 : 1;
  if (blobs.size() < 3 || !is_float(blobs[0]) || !is_float(blobs[2])) return "unexpected weight layout";
  const size_t rows = static_cast<size_t>(4) * hidden * dirs;
  std::vector<int8_t> qxc, qhc;
  std::vector<float> sxc = quantize_rows(decode(bin, blobs[0]), blobs[0].elements / rows, &qxc);
  std::vector<float> shc = quantize_rows(decode(bin, blobs[2]), blobs[2].elements / rows, &qhc);
  append_int8_blob(out, qxc);
  copy_blob(bin, blobs[1], out, fp16);  // bias stays float
  append_int8_blob(out, qhc);
  for (size_t i = 3; i < blobs.size(); ++i) copy_blob(bin, blobs[i], out, fp16);  // W_hr stays float
  append_raw_floats(out, sxc);
  append_raw_floats(out, shc);
  set_param(l, "8", 2);
  return "";
}

// The type and extra params of an int8 Gemm with constant B (a Linear): ncnn's Gemm with one
// weight scale, or NcasrInt8Gemm with one per output channel (param 28=1).
void set_int8_linear_type(ParamLayer* l, bool ncasr) {
  if (!ncasr) return;
  l->type = kInt8GemmType;
  set_param(l, "28", 1);
}

std::string convert_gemm(ParamLayer* l, const std::vector<WeightBlob>& blobs, const std::vector<unsigned char>& bin,
                         std::vector<unsigned char>* out, bool fp16, bool ncasr) {
  if (int_param(*l, "18", 0) != 0) return "already quantized";
  if (int_param(*l, "4", 0) != 0 || int_param(*l, "5", 0) != 1) return "B is not a constant weight";
  if (blobs.empty() || !is_float(blobs[0])) return "unexpected weight layout";
  const int N = int_param(*l, "8", 0), K = int_param(*l, "9", 0);
  if (static_cast<long long>(N) * K != blobs[0].elements) return "unexpected weight layout";
  std::vector<float> B = decode(bin, blobs[0]);
  if (int_param(*l, "3", 0) == 0) {  // stored K rows of N: ncnn's int8 Gemm wants N rows of K
    std::vector<float> t(B.size());
    for (int k = 0; k < K; ++k)
      for (int n = 0; n < N; ++n) t[static_cast<size_t>(n) * K + k] = B[static_cast<size_t>(k) * N + n];
    B.swap(t);
    set_param(l, "3", 1);
  }
  if (ncasr) {
    const int broadcast = int_param(*l, "10", 0);
    const bool bias_ok =
        blobs.size() == 1 ? broadcast == -1 : (blobs.size() == 2 && broadcast == 4 && blobs[1].elements == N);
    if (int_param(*l, "2", 0) != 0 || int_param(*l, "11", 0) != 0 || int_param(*l, "14", 0) != 0 ||
        l->bottoms.size() != 1 || !bias_ok)
      return "a Gemm form NcasrInt8Gemm does not run";
  }
  std::vector<int8_t> q;
  // ncnn's int8 Gemm: one scale for B; NcasrInt8Gemm: one per output channel (row of B).
  const std::vector<float> scales = quantize_rows(B, ncasr ? static_cast<size_t>(K) : B.size(), &q);
  append_int8_blob(out, q);
  for (size_t i = 1; i < blobs.size(); ++i) copy_blob(bin, blobs[i], out, fp16);  // C stays float
  append_raw_floats(out, scales);
  set_param(l, "18", 2);
  set_int8_linear_type(l, ncasr);
  return "";
}

// The float weights of a layer with `outputs` rows and `size` values, then an optional bias
// of `outputs` values: the layout every converter below expects.
bool weights_fit(const std::vector<WeightBlob>& blobs, int outputs, long long size, bool bias) {
  return outputs > 0 && size % outputs == 0 && !blobs.empty() && is_float(blobs[0]) && blobs[0].elements == size &&
         (!bias || (blobs.size() >= 2 && blobs[1].elements == outputs));
}

// InnerProduct y = W x + b on each row of a (T, K) input == Gemm(A = input, B = W, C = b)
// with transB (W is N rows of K), then that Gemm's int8 form.
std::string convert_innerproduct(ParamLayer* l, const std::vector<WeightBlob>& blobs,
                                 const std::vector<unsigned char>& bin, std::vector<unsigned char>* out, int row_width,
                                 bool fp16, bool ncasr) {
  if (int_param(*l, "8", 0) != 0) return "already int8";
  const int N = int_param(*l, "0", 0), bias = int_param(*l, "1", 0);
  const long long size = int_param(*l, "2", 0);
  if (!weights_fit(blobs, N, size, bias)) return "unexpected weight layout";
  const int K = static_cast<int>(size / N);
  if (row_width != K) return "input is not a (T, C) matrix, and ncnn's int8 InnerProduct is slower than float on x86";
  if (int_param(*l, "9", 0) != 0) return "fused activation (an int8 Gemm has none)";
  std::vector<int8_t> q;
  const std::vector<float> scales =
      quantize_rows(decode(bin, blobs[0]), ncasr ? static_cast<size_t>(K) : static_cast<size_t>(size), &q);
  append_int8_blob(out, q);
  if (bias) append_tagged_floats(out, decode(bin, blobs[1]), fp16);
  append_raw_floats(out, scales);
  l->type = "Gemm";
  l->params = {"0=1.000000e+00",
               "1=1.000000e+00",
               "2=0",
               "3=1",
               "4=0",
               "5=1",
               "6=1",
               "7=0",
               "8=" + std::to_string(N),
               "9=" + std::to_string(K),
               std::string("10=") + (bias ? "4" : "-1"),
               "18=2"};
  set_int8_linear_type(l, ncasr);
  return "";
}

// A pointwise Convolution1D (kernel 1, stride 1, no padding) on a (C_in rows, T columns)
// input is W (C_out x C_in) times the input: a Gemm with the weights as constant A (one
// int8 scale per output channel) and the input as B (quantized per call at run time), whose
// (C_out, T) output is the convolution's. Zipformer and Conv-Emformer use only these.
std::string convert_pointwise_conv1d(ParamLayer* l, const std::vector<WeightBlob>& blobs,
                                     const std::vector<unsigned char>& bin, std::vector<unsigned char>* out, bool fp16,
                                     bool ncasr) {
  if (int_param(*l, "19", 0) != 0) return "dynamic weight";
  if (int_param(*l, "1", 0) != 1 || int_param(*l, "2", 1) != 1 || int_param(*l, "3", 1) != 1 ||
      int_param(*l, "4", 0) != 0 || int_param(*l, "15", int_param(*l, "4", 0)) != 0)
    return "not pointwise (kernel 1, stride 1, no padding); no int8 kernel yet";
  if (int_param(*l, "9", 0) != 0) return "fused activation (an int8 Gemm has none)";
  const int M = int_param(*l, "0", 0), bias = int_param(*l, "5", 0);
  const long long size = int_param(*l, "6", 0);
  if (!weights_fit(blobs, M, size, bias)) return "unexpected weight layout";
  const int K = static_cast<int>(size / M);
  std::vector<int8_t> q;
  const std::vector<float> scales = quantize_rows(decode(bin, blobs[0]), static_cast<size_t>(K), &q);
  append_int8_blob(out, q);
  if (bias) append_tagged_floats(out, decode(bin, blobs[1]), fp16);
  append_raw_floats(out, scales);
  l->type = ncasr ? kInt8GemmType : "Gemm";  // per-channel either way: same params and weights
  l->params = {"0=1.000000e+00",
               "1=1.000000e+00",
               "2=0",
               "3=0",
               "4=1",
               "5=0",
               "6=1",
               "7=" + std::to_string(M),
               "8=0",
               "9=" + std::to_string(K),
               std::string("10=") + (bias ? "1" : "-1"),
               "18=2"};
  return "";
}

// A depthwise ConvolutionDepthWise1D as NcasrDepthwiseConv1DInt8 (8=1): int8 taps with one
// scale per channel, the bias (tagged float), then the scales. Activations are quantized per
// channel on every call, so no calibration is needed.
std::string convert_depthwise_conv1d(ParamLayer* l, const std::vector<WeightBlob>& blobs,
                                     const std::vector<unsigned char>& bin, std::vector<unsigned char>* out,
                                     bool fp16) {
  if (int_param(*l, "19", 0) != 0) return "dynamic weight";
  const int C = int_param(*l, "0", 0), K = int_param(*l, "1", 0), bias = int_param(*l, "5", 0);
  if (int_param(*l, "2", 1) != 1 || int_param(*l, "3", 1) != 1 || int_param(*l, "7", 1) != C || K < 1)
    return "not a stride-1, dilation-1 convolution with one filter per channel";
  if (int_param(*l, "9", 0) != 0) return "fused activation";
  if (!weights_fit(blobs, C, int_param(*l, "6", 0), bias) || int_param(*l, "6", 0) != static_cast<long long>(C) * K)
    return "unexpected weight layout";
  std::vector<int8_t> q;
  const std::vector<float> scales = quantize_rows(decode(bin, blobs[0]), static_cast<size_t>(K), &q);
  append_int8_blob(out, q);
  if (bias) append_tagged_floats(out, decode(bin, blobs[1]), fp16);
  append_raw_floats(out, scales);
  l->type = kInt8DepthwiseConv1DType;
  set_param(l, "8", 1);
  return "";
}

// Convolution: int8 weights with one scale per output channel, the calibrated input scale.
std::string convert_convolution(ParamLayer* l, const std::vector<WeightBlob>& blobs,
                                const std::vector<unsigned char>& bin, std::vector<unsigned char>* out,
                                const std::map<std::string, float>& input_scales, bool fp16) {
  if (int_param(*l, "8", 0) != 0) return "already int8";
  if (int_param(*l, "19", 0) != 0) return "dynamic weight";
  const auto scale = input_scales.find(l->name);
  if (scale == input_scales.end()) return "no calibrated input scale";
  const int N = int_param(*l, "0", 0), bias = int_param(*l, "5", 0);
  const long long size = int_param(*l, "6", 0);
  if (!weights_fit(blobs, N, size, bias)) return "unexpected weight layout";
  std::vector<int8_t> q;
  const std::vector<float> w_scales = quantize_rows(decode(bin, blobs[0]), static_cast<size_t>(size / N), &q);
  append_int8_blob(out, q);
  for (size_t i = 1; i < blobs.size(); ++i) copy_blob(bin, blobs[i], out, fp16);  // bias stays float
  append_raw_floats(out, w_scales);
  append_raw_floats(out, {scale->second});
  set_param(l, "8", 2);
  return "";
}

void write_atomically(const std::string& path, const void* data, size_t n) {
  const std::filesystem::path p(path);
  const auto tmp = p.parent_path() / (".tmp-" + p.filename().string());
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n)))
      throw ModelError(path, "cannot be written");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) throw ModelError(path, "cannot be written");
}

}  // namespace

const char* to_string(LayerOutcome outcome) {
  switch (outcome) {
    case LayerOutcome::kInt8: return "int8";
    case LayerOutcome::kExcluded: return "excluded";
    case LayerOutcome::kKeptFloat: return "kept_float";
  }
  return "kept_float";
}

std::string ncasr_only_note(const std::vector<std::string>& layers) {
  std::string names;
  bool gemm = false, depthwise = false;
  for (const auto& l : layers) {
    names += (names.empty() ? "" : ", ") + l;
    gemm = gemm || l.find(kInt8GemmType) != std::string::npos;
    depthwise = depthwise || l.find(kInt8DepthwiseConv1DType) != std::string::npos;
  }
  std::string types, flags;
  if (gemm) {
    types +=
        std::string("  ") + kInt8GemmType + ": int8 Linear / pointwise conv, one weight scale per output channel\n";
    flags += "--ncasr-int8-gemm";
  }
  if (depthwise) {
    types += std::string("  ") + kInt8DepthwiseConv1DType + ": int8 depthwise Conv1D, one scale per channel\n";
    flags += std::string(flags.empty() ? "" : " and ") + "--ncasr-int8-depthwise";
  }
  if (flags.empty()) flags = "--ncasr-int8-gemm / --ncasr-int8-depthwise";
  return "This int8 model uses ncasr's own layer types, written by `ncasr quantize " + flags + "`:\n" + types +
         "Only ncasr can load it; sherpa-ncnn and plain ncnn stop with\n"
         "'layer ... not exists or registered'. For a model they can run,\n"
         "quantize again without " +
         flags + ".\n\n" + std::to_string(layers.size()) + " layer(s): " + names + "\n";
}

ConvertReport convert_net_int8(const std::string& param_in, const std::string& bin_in, const std::string& param_out,
                               const std::string& bin_out, const ConvertOptions& options) {
  ParamFile pf = ParamFile::load(param_in);
  WeightMap wm = map_weights(param_in, bin_in);
  const bool fp16 = options.fp16_storage;  // for the float blobs that stay float
  const std::vector<unsigned char> bin = read_file(bin_in);
  std::vector<unsigned char> out;
  out.reserve(bin.size());
  ConvertReport report;
  size_t next = 0;  // position in wm.layers (ordered by layer index)
  for (size_t i = 0; i < pf.layers.size(); ++i) {
    if (next >= wm.layers.size() || wm.layers[next].index != static_cast<int>(i)) continue;
    const auto& blobs = wm.layers[next++].blobs;
    ParamLayer& layer = pf.layers[i];
    LayerConversion c;
    c.name = layer.name;
    c.type = layer.type;
    c.blobs_in = static_cast<int>(blobs.size());
    for (const auto& b : blobs) c.bytes_in += b.bytes;
    const size_t start = out.size();
    std::string why;
    const bool excluded = options.exclude_layers.count(layer.name) || options.exclude_types.count(layer.type);
    if (excluded) {
      why = options.exclude_layers.count(layer.name) ? "excluded by name" : "excluded by type " + layer.type;
    } else if (layer.type == "LSTM") {
      why = convert_lstm(&layer, blobs, bin, &out, fp16);
    } else if (layer.type == "Gemm") {
      why = convert_gemm(&layer, blobs, bin, &out, fp16, options.ncasr_int8_gemm);
    } else if (layer.type == "InnerProduct") {
      const auto width = options.row_input_widths.find(layer.name);
      why = convert_innerproduct(&layer, blobs, bin, &out, width == options.row_input_widths.end() ? 0 : width->second,
                                 fp16, options.ncasr_int8_gemm);
    } else if (layer.type == "Convolution") {
      why = convert_convolution(&layer, blobs, bin, &out, options.input_scales, fp16);
    } else if (layer.type == "Convolution1D") {
      why = convert_pointwise_conv1d(&layer, blobs, bin, &out, fp16, options.ncasr_int8_gemm);
    } else if (layer.type == "ConvolutionDepthWise1D") {
      why = options.ncasr_int8_depthwise ? convert_depthwise_conv1d(&layer, blobs, bin, &out, fp16)
                                         : "ncnn has no int8 ConvolutionDepthWise1D (ncasr's: --ncasr-int8-depthwise)";
    } else if (layer.type == "ConvolutionDepthWise") {
      why = "ncnn's int8 depthwise kernel is SSE-only on x86; not yet measured faster";
    } else {
      why = "no int8 kernel";
    }
    if (!why.empty()) {
      out.resize(start);
      for (const auto& b : blobs) copy_blob(bin, b, &out, fp16);
      c.outcome = excluded ? LayerOutcome::kExcluded : LayerOutcome::kKeptFloat;
      c.reason = why;
    } else {
      c.outcome = LayerOutcome::kInt8;
      c.int8_type = layer.type;
      ++report.quantized;
    }
    c.bytes_out = static_cast<long long>(out.size() - start);
    report.bytes_in += c.bytes_in;
    report.bytes_out += c.bytes_out;
    report.layers.push_back(std::move(c));
  }
  if (report.bytes_in != static_cast<long long>(bin.size()))
    throw Error("internal: converted " + std::to_string(report.bytes_in) + " of " + std::to_string(bin.size()) +
                " input bytes");
  const std::string text = pf.to_text();
  write_atomically(bin_out, out.data(), out.size());
  write_atomically(param_out, text.data(), text.size());
  return report;
}

}  // namespace ncasr
