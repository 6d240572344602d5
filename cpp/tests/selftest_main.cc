// ncasr-selftest: checks the core on a machine where Python may be absent (an ARM
// board, or qemu-aarch64). `write DIR` records fbank frames and token ids on a reference
// machine (x86); `check DIR` recomputes them here and compares:
//   - fbank frames of a fixed synthetic signal within 1e-4 relative;
//   - token ids of every fixture model, greedy and modified beam search, identical;
//   - every SIMD kernel path this CPU has (NEON on aarch64) equals its scalar twin exactly
//     on data with edge values, and dispatch picks the fastest path (check mode).
//   ncasr-selftest write|check DIR FIXTURES_DIR
//   ncasr-selftest kernels          (the kernel checks alone; what ctest runs)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/build_info.h"
#include "features/fbank.h"
#include "kernels/calib_stats.h"
#include "kernels/depthwise_conv1d.h"
#include "kernels/elempack.h"
#include "kernels/f16_gemv.h"
#include "kernels/glu.h"
#include "kernels/int8_depthwise_conv1d.h"
#include "kernels/int8_gemm.h"
#include "kernels/lstm_cell.h"
#include "recognizer/recognizer.h"
#include "runtime/blob_pool.h"

namespace {

const char* kModels[] = {"lstm-small", "conv-emformer-small", "zipformer-small"};
const char* kMethods[] = {"greedy_search", "modified_beam_search"};

// Deterministic speech-like test audio (harmonics under an envelope, plus LCG noise), so
// no audio file or RNG implementation differs between machines.
std::vector<float> test_signal(int seconds) {
  std::vector<float> x(16000 * seconds);
  uint32_t state = 12345;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = i / 16000.0;
    double v = 0;
    for (int k = 1; k <= 4; ++k) v += std::sin(2 * M_PI * 150 * k * t) / k;
    v *= 0.25 * (1 + std::sin(2 * M_PI * 2.5 * t));
    state = state * 1664525u + 1013904223u;
    v += ((state >> 8) / 16777216.0 - 0.5) * 0.02;
    x[i] = static_cast<float>(v);
  }
  return x;
}

std::vector<float> fbank_frames(const std::vector<float>& x) {
  ncasr::OnlineFbank fb{ncasr::FbankOptions()};
  fb.accept_waveform(x.data(), x.size());
  fb.input_finished();
  std::vector<float> out;
  for (int i = 0; i < fb.num_frames_ready(); ++i) out.insert(out.end(), fb.frame(i), fb.frame(i) + fb.dim());
  return out;
}

std::vector<int> decode(const std::string& model_dir, const std::string& method, const std::vector<float>& x) {
  ncasr::RecognizerConfig c;
  c.decoding.method = method;
  // fp32 everywhere: ARM's default fp16 arithmetic rounds differently from x86's fp32
  // arithmetic, which would flip near-ties of these random-weight models by design.
  c.model.runtime.use_fp16_storage = false;
  ncasr::Recognizer rec(ncasr::ModelFiles::find(model_dir), c);
  auto s = rec.create_stream();
  s->accept_waveform(16000, x.data(), x.size());
  std::vector<float> pad(8000, 0.f);
  s->accept_waveform(16000, pad.data(), pad.size());
  s->input_finished();
  rec.decode(*s);
  return rec.result(*s).token_ids;
}

template <typename T>
void write_vec(const std::string& path, const std::vector<T>& v) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
std::vector<T> read_vec(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  std::vector<T> v(s.size() / sizeof(T));
  std::memcpy(v.data(), s.data(), v.size() * sizeof(T));
  return v;
}

}  // namespace

// Values a calibration kernel must treat alike on every path: zeros of both signs, NaN,
// infinities, denormals, bin edges and ordinary values (an LCG, so every machine agrees).
std::vector<float> kernel_test_data(size_t n) {
  std::vector<float> x(n);
  uint32_t state = 12345u;
  for (size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    x[i] = (static_cast<float>(state >> 8) / 16777216.f - 0.5f) * 8.f;
  }
  const float specials[] = {0.f, -0.f, NAN, INFINITY, -INFINITY, 1e-40f, -1e-41f, 4.f, -4.f, 2.f, 1e30f, -3.99999f};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) x[(i * 997) % n] = specials[i];
  return x;
}

// Depthwise conv1d on `path` vs the scalar twin, bit for bit, over shapes that exercise
// the channel-group remainder and the column tails.
bool check_depthwise_conv1d(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  uint32_t seed = 12345u;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int32_t>(seed >> 8) - (1 << 23)) / (1 << 22);
  };
  const int shapes[][3] = {{1, 1, 1}, {3, 31, 1}, {5, 31, 17}, {8, 2, 33}, {7, 31, 64}, {13, 5, 100}};
  for (const auto& sh : shapes) {
    k::DepthwiseConv1DShape s;
    s.channels = sh[0];
    s.kernel = sh[1];
    s.out_w = sh[2];
    s.x_stride = static_cast<size_t>(s.out_w + s.kernel - 1 + 3);  // padded rows
    s.y_stride = static_cast<size_t>(s.out_w + 1);
    std::vector<float> x(s.x_stride * s.channels), w(static_cast<size_t>(s.channels) * s.kernel), b(s.channels);
    for (auto& v : x) v = next();
    for (auto& v : w) v = next();
    for (auto& v : b) v = next();
    for (const bool with_bias : {false, true}) {
      std::vector<float> ya(s.y_stride * s.channels, -7.f), yb(ya);
      k::depthwise_conv1d(x.data(), w.data(), with_bias ? b.data() : nullptr, ya.data(), s, k::KernelPath::kScalar);
      if (k::depthwise_conv1d(x.data(), w.data(), with_bias ? b.data() : nullptr, yb.data(), s, path) != path)
        return false;
      if (std::memcmp(ya.data(), yb.data(), ya.size() * sizeof(float)) != 0) return false;
    }
  }
  return true;
}

// int8 gemm on `path` vs the scalar twin: exact int32, odd shapes, -128/127 saturation edges.
bool check_int8_gemm(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  uint32_t seed = 777u;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<int8_t>(seed >> 24);
  };
  const int shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {4, 16, 64}, {9, 33, 130}, {17, 200, 257}};
  for (const auto& sh : shapes) {
    const int m = sh[0], n = sh[1], kk = sh[2];
    std::vector<int8_t> a(static_cast<size_t>(m) * (kk + 2)), w(static_cast<size_t>(n) * (kk + 1));
    for (auto& v : a) v = next();
    for (auto& v : w) v = next();
    a[0] = -128;
    w[0] = -128;  // the extremes: (-128) * (-128) and 127 * (-128)
    if (a.size() > 1) a[1] = 127;
    const auto ps = k::pack_int8_weights(w.data(), n, kk, kk + 1, k::KernelPath::kScalar);
    const auto pp = k::pack_int8_weights(w.data(), n, kk, kk + 1, path);
    std::vector<int32_t> cs(static_cast<size_t>(m) * (n + 1), -1), cp(cs);
    k::int8_gemm(a.data(), m, kk + 2, ps, cs.data(), n + 1);
    if (k::int8_gemm(a.data(), m, kk + 2, pp, cp.data(), n + 1) != k::int8_gemm_path(path)) return false;
    if (cs != cp) return false;
  }
  return true;
}

// The int8 Gemm layer's path on `path` vs scalar: per-row quantized activations (rows with an
// exact .5 after scaling and an all-zero row), then the product in column ranges as threads
// split it. Same scales, same int32 sums.
bool check_int8_gemm_layer_path(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  const int m = 11, kk = 203, n = 150;
  std::vector<float> x = kernel_test_data(static_cast<size_t>(m) * kk);
  for (auto& v : x)
    if (!std::isfinite(v)) v = 3.f;
  for (int t = 0; t < kk; ++t) x[2 * kk + t] = 0.f;  // a zero row
  x[kk] = 127.f;
  x[kk + 1] = 0.5f;  // row 1: scale 1, an exact tie
  uint32_t seed = 99u;
  std::vector<int8_t> w(static_cast<size_t>(n) * kk);
  for (auto& v : w) v = static_cast<int8_t>((seed = seed * 1664525u + 1013904223u) >> 24);
  const auto ws = k::pack_int8_weights(w.data(), n, kk, kk, k::KernelPath::kScalar);
  const auto wp = k::pack_int8_weights(w.data(), n, kk, kk, path);
  k::Int8Activations as, ap;
  k::quantize_int8_activations(x.data(), m, kk, ws, &as);
  k::quantize_int8_activations(x.data(), m, kk, wp, &ap);
  if (as.scales != ap.scales) return false;
  std::vector<int32_t> cs(static_cast<size_t>(m) * n, -1), cp(cs);
  k::int8_gemm_columns(as, ws, 0, n, cs.data(), n);
  const int step = k::int8_gemm_column_step(wp);
  for (int n0 = 0; n0 < n; n0 += 2 * step) k::int8_gemm_columns(ap, wp, n0, std::min(n, n0 + 2 * step), cp.data(), n);
  return cs == cp;
}

// The LSTM cell on `path` vs scalar, bit for bit: odd unit counts (tails), a thread's slice
// (gate stride > units), saturating and clamped gate values.
bool check_lstm_cell(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  for (const int hidden : {1, 3, 16, 21, 100}) {
    const int stride = hidden + 3;
    std::vector<float> gates = kernel_test_data(static_cast<size_t>(4) * stride);
    for (auto& v : gates)
      if (!std::isfinite(v)) v = 90.f;
    gates[0] = 100.f;
    gates[stride] = -100.f;
    std::vector<float> cs = kernel_test_data(static_cast<size_t>(hidden) + 12), cp, hs(hidden), hp(hidden);
    cs.resize(hidden);
    for (auto& v : cs)
      if (!std::isfinite(v)) v = 0.5f;
    cp = cs;
    k::lstm_cell(gates.data(), stride, cs.data(), hs.data(), hidden, k::KernelPath::kScalar);
    if (k::lstm_cell(gates.data(), stride, cp.data(), hp.data(), hidden, path) != path) return false;
    if (cs != cp || hs != hp) return false;
  }
  return true;
}

// ncnn elempack <-> rows (the int8 Gemm layer's packed input and output) vs plain loops, for
// every elempack ncnn uses and widths with tails.
bool check_elempack() {
  namespace k = ncasr::kernels;
  for (const int p : {1, 4, 8, 16})
    for (const int width : {1, 5, 8, 37}) {
      const int blocks = 2, rows = blocks * p;
      const std::vector<float> x = kernel_test_data(static_cast<size_t>(rows) * width + 12);
      const size_t stride = width + 3;
      std::vector<float> got(rows * stride, -1.f), want(got);
      k::unpack_rows(x.data(), blocks, width, p, got.data(), stride);
      for (int b = 0; b < blocks; ++b)
        for (int t = 0; t < width; ++t)
          for (int r = 0; r < p; ++r) want[(b * p + r) * stride + t] = x[(static_cast<size_t>(b) * width + t) * p + r];
      if (std::memcmp(got.data(), want.data(), sizeof(float) * got.size()) != 0) return false;
      std::vector<int32_t> c(rows * stride);
      for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<int32_t>(i * 2654435761u % 200001) - 100000;
      std::vector<float> row_inv(rows), col_inv(width), bias(width);
      for (int r = 0; r < rows; ++r) row_inv[r] = 1.f / (3.f + r);
      for (int j = 0; j < width; ++j) col_inv[j] = 0.01f * (j + 1), bias[j] = 0.5f * j - 1.f;
      std::vector<float> y(static_cast<size_t>(rows) * width, -7.f), yw(y);
      const int n0 = 0, n1 = width;
      k::dequantize_pack_rows(c.data(), stride, row_inv.data(), col_inv.data(), bias.data(), blocks, width, n0, n1, p,
                              y.data());
      for (int b = 0; b < blocks; ++b)
        for (int j = n0; j < n1; ++j)
          for (int r = 0; r < p; ++r) {
            const int i = b * p + r;
            // volatile: the product is rounded before the add, as the kernel does (this file
            // may be compiled with multiply-add contraction, which aarch64 defaults to).
            volatile float product = static_cast<float>(c[i * stride + j]) * (row_inv[i] * col_inv[j]);
            yw[(static_cast<size_t>(b) * width + j) * p + r] = product + bias[j];
          }
      if (std::memcmp(y.data(), yw.data(), sizeof(float) * y.size()) != 0) return false;
    }
  return true;
}

// x (C rows of W) in ncnn's elempack layout: pack channels interleaved per packed row.
std::vector<float> to_elempack(const std::vector<float>& x, int C, int W, int pack) {
  std::vector<float> xp(x.size());
  for (int c = 0; c < C; ++c)
    for (int t = 0; t < W; ++t) xp[(c / pack) * W * pack + t * pack + c % pack] = x[c * W + t];
  return xp;
}

// Packed yp (elempack pack) holds the plain rows ref (C rows of W) bit for bit.
bool equals_unpacked(const std::vector<float>& yp, const std::vector<float>& ref, int C, int W, int pack) {
  for (int c = 0; c < C; ++c)
    for (int t = 0; t < W; ++t)
      if (std::memcmp(&yp[(c / pack) * W * pack + t * pack + c % pack], &ref[c * W + t], 4) != 0) return false;
  return true;
}

// kernel_test_data without its huge and non-finite edge values (weights and inputs of a
// convolution, where those would only saturate every output).
std::vector<float> moderate_test_data(size_t n) {
  std::vector<float> v = kernel_test_data(n);
  for (float& x : v) x = std::isfinite(x) && std::fabs(x) < 1e6f ? x : 0.5f;
  return v;
}

// Packed depthwise (ncnn's elempack 4/8/16 layout): a path equals the unpacked scalar twin
// bit for bit, read back through the layout.
bool check_depthwise_conv1d_packed(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  const std::vector<float> data = moderate_test_data(40000);
  auto value = [&data](size_t i) { return data[i % data.size()]; };
  const int shapes[][3] = {{16, 31, 16}, {48, 3, 5}, {32, 1, 1}, {64, 5, 7}};
  for (const auto& sh : shapes) {
    const int C = sh[0], K = sh[1], out_w = sh[2], W = out_w + K - 1;
    std::vector<float> x(static_cast<size_t>(C) * W), w(static_cast<size_t>(C) * K), b(C), wt(w.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = value(i);
    for (size_t i = 0; i < w.size(); ++i) w[i] = value(i + 7919);
    for (int c = 0; c < C; ++c) b[c] = value(c + 104729);
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < K; ++t) wt[static_cast<size_t>(t) * C + c] = w[static_cast<size_t>(c) * K + t];
    k::DepthwiseConv1DShape s;
    s.channels = C;
    s.kernel = K;
    s.out_w = out_w;
    s.x_stride = static_cast<size_t>(W);
    s.y_stride = static_cast<size_t>(out_w);
    std::vector<float> ref(static_cast<size_t>(C) * out_w);
    k::depthwise_conv1d(x.data(), w.data(), b.data(), ref.data(), s, k::KernelPath::kScalar);
    for (const int pack : {4, 8, 16}) {
      const std::vector<float> xp = to_elempack(x, C, W, pack);
      std::vector<float> yp(ref.size(), -7.f);
      k::DepthwiseConv1DShape sp = s;
      sp.x_stride = static_cast<size_t>(W) * pack;
      sp.y_stride = static_cast<size_t>(out_w) * pack;
      if (k::depthwise_conv1d_packed(xp.data(), wt.data(), b.data(), yp.data(), sp, pack, path) != path) return false;
      if (!equals_unpacked(yp, ref, C, out_w, pack)) return false;
    }
  }
  return true;
}

// int8 depthwise: a path (packs 4/8/16) equals the scalar twin on plain rows bit for bit,
// rows at absmax (q = +-127), zero rows and exact rounding ties included.
bool check_int8_depthwise_conv1d(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  const std::vector<float> data = moderate_test_data(40000);
  auto value = [&data](size_t i) { return data[i % data.size()]; };
  const int shapes[][3] = {{16, 31, 16}, {48, 3, 5}, {32, 1, 1}, {64, 5, 7}, {16, 32, 9}};
  for (const auto& sh : shapes) {
    const int C = sh[0], K = sh[1], out_w = sh[2], W = out_w + K - 1;
    std::vector<float> x(static_cast<size_t>(C) * W), w(static_cast<size_t>(C) * K), b(C);
    for (size_t i = 0; i < x.size(); ++i) x[i] = value(i);
    for (size_t i = 0; i < w.size(); ++i) w[i] = value(i + 7919);
    for (int c = 0; c < C; ++c) b[c] = value(c + 104729);
    for (int t = 0; t < W; ++t) {
      x[t] = 0.f;                                                       // channel 0: all zero
      x[W + t] = 2.f;                                                   // channel 1: constant, q = 127
      x[2 * W + t] = t % 3 == 0 ? 127.f : (t % 3 == 1 ? 2.5f : -3.5f);  // scale 1: ties
    }
    k::DepthwiseConv1DShape s;
    s.channels = C;
    s.kernel = K;
    s.out_w = out_w;
    s.x_stride = static_cast<size_t>(W);
    s.y_stride = static_cast<size_t>(out_w);
    const auto scalar_w = k::pack_int8_depthwise_weights(w.data(), C, K, k::KernelPath::kScalar);
    std::vector<float> ref(static_cast<size_t>(C) * out_w);
    k::int8_depthwise_conv1d_packed(x.data(), scalar_w, b.data(), ref.data(), s, 1);
    const auto pw = k::pack_int8_depthwise_weights(w.data(), C, K, path);
    for (const int pack : {4, 8, 16}) {
      const std::vector<float> xp = to_elempack(x, C, W, pack);
      std::vector<float> yp(ref.size(), -7.f);
      k::DepthwiseConv1DShape sp = s;
      sp.x_stride = static_cast<size_t>(W) * pack;
      sp.y_stride = static_cast<size_t>(out_w) * pack;
      if (k::int8_depthwise_conv1d_packed(xp.data(), pw, b.data(), yp.data(), sp, pack) != k::int8_depthwise_path(path))
        return false;
      if (!equals_unpacked(yp, ref, C, out_w, pack)) return false;
    }
  }
  return true;
}

// GLU: a path equals the scalar twin bit for bit, saturating inputs included.
bool check_glu(ncasr::kernels::KernelPath path) {
  namespace k = ncasr::kernels;
  for (const size_t n : {size_t(1), size_t(15), size_t(17), size_t(1031)}) {
    std::vector<float> a = kernel_test_data(n + 12), b = kernel_test_data(n + 24);
    for (float& v : a) v = std::isfinite(v) && std::fabs(v) < 1e6f ? v : 1.f;
    for (float& v : b) v = std::isfinite(v) ? v * 12.f : 100.f;
    for (const float shift : {0.f, -1.f}) {
      std::vector<float> ya(n, -7.f), yb(n, -7.f);
      k::glu(a.data(), b.data(), shift, ya.data(), n, k::KernelPath::kScalar);
      if (k::glu(a.data(), b.data(), shift, yb.data(), n, path) != path) return false;
      if (std::memcmp(ya.data(), yb.data(), n * sizeof(float)) != 0) return false;
    }
  }
  return true;
}

// BlobPool: every class holds its request with at most 1/8 waste (next class down is too
// small), blocks are aligned as ncnn's, a freed block is reused for the same class, and a
// pool with no cache budget hands everything back.
bool check_blob_pool() {
  using ncasr::BlobPool;
  uint64_t lcg = 7;
  for (int i = 0; i < 200000; ++i) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    const size_t size = i < 5000 ? size_t(i + 1) : size_t(1) + (lcg >> 24) % (size_t(1) << (8 + i % 32));
    const int c = BlobPool::size_class(size);
    const size_t bytes = BlobPool::class_bytes(c);
    if (bytes < size || (c > 0 && BlobPool::class_bytes(c - 1) >= size)) return false;
    if (size > 64 && bytes > size + size / 8) return false;
  }
  BlobPool pool;
  void* a = pool.fastMalloc(1000);
  void* b = pool.fastMalloc(1000);
  if (!a || !b || a == b || reinterpret_cast<uintptr_t>(a) % NCNN_MALLOC_ALIGN) return false;
  std::memset(a, 1, 1000);
  std::memset(b, 2, 1000);
  pool.fastFree(a);
  if (pool.cached_bytes() != BlobPool::class_bytes(BlobPool::size_class(1000))) return false;
  void* c = pool.fastMalloc(990);  // same class: the freed block comes back
  if (c != a || pool.cached_bytes() != 0) return false;
  pool.fastFree(b);
  pool.fastFree(c);
  BlobPool no_cache(0);
  void* d = no_cache.fastMalloc(4096);
  no_cache.fastFree(d);
  return no_cache.cached_bytes() == 0;
}

// fp16-weight matrix-vector product: a path equals the scalar twin bit for bit on odd shapes,
// partial row ranges, and weights at fp16's extremes (largest, subnormal, overflow to inf).
// The panel matrix-vector kernels, fp16 (half) or float weights, vs scalar on odd shapes,
// a range starting at a later panel, and the weight format's extremes.
template <typename Packed>
bool check_panel_gemv(ncasr::kernels::KernelPath path, Packed (*pack)(const float*, int, int, size_t),
                      ncasr::kernels::KernelPath (*gemv)(const Packed&, const float*, const float*, float*, int, int,
                                                         ncasr::kernels::KernelPath),
                      bool half) {
  namespace k = ncasr::kernels;
  const int shapes[][2] = {{1, 1}, {15, 3}, {17, 33}, {64, 100}, {65, 7}, {200, 513}};
  // fp16: largest, smallest normal, subnormal, and 1e6 (overflows to inf); float: huge,
  // smallest normal, subnormal
  const std::vector<float> specials =
      half ? std::vector<float>{65504.f, -6.1e-5f, 3e-8f, 1e6f} : std::vector<float>{1e30f, -1.2e-38f, 1e-45f};
  for (const auto& s : shapes) {
    const int rows = s[0], cols = s[1];
    std::vector<float> w = kernel_test_data(static_cast<size_t>(rows) * cols + 12);
    w.resize(static_cast<size_t>(rows) * cols);
    for (float& v : w) v = std::isfinite(v) && std::fabs(v) <= 1e30f ? v : 1.f;
    for (size_t i = 0; i < specials.size() && i < w.size(); ++i) w[i] = specials[i];
    std::vector<float> x = kernel_test_data(static_cast<size_t>(cols) + 12), bias = kernel_test_data(rows + 12);
    // finite sums (an fp16 inf weight needs x away from zero, or inf - inf NaNs appear, whose
    // bits could differ between paths)
    for (float& v : x) v = std::isfinite(v) && std::fabs(v) <= 8.f ? (v == 0.f && half ? 0.25f : v) : 0.5f;
    for (float& v : bias) v = std::isfinite(v) && std::fabs(v) <= 8.f ? v : 0.f;
    const Packed p = pack(w.data(), rows, cols, static_cast<size_t>(cols));
    for (const float* b : {static_cast<const float*>(nullptr), static_cast<const float*>(bias.data())}) {
      const int row0 = rows > 16 ? 16 : 0;  // a range starting at a later panel too
      std::vector<float> a(rows, -7.f), c(rows, -7.f);
      gemv(p, x.data(), b, a.data(), row0, rows, k::KernelPath::kScalar);
      if (gemv(p, x.data(), b, c.data(), row0, rows, path) != path) return false;
      if (std::memcmp(a.data(), c.data(), sizeof(float) * rows) != 0) return false;
    }
  }
  return true;
}

// Each SIMD path vs scalar; returns failures. Odd sizes exercise the tail loops.
int check_kernels(int* passed) {
  namespace k = ncasr::kernels;
  int failures = 0;
  const auto paths = k::supported_kernel_paths();
  const k::KernelPath best = paths.back();
  const bool dispatch_ok = k::active_kernel_path() == best;
  std::printf("%s kernel dispatch: active %s, fastest supported %s\n", dispatch_ok ? "PASS" : "FAIL",
              k::kernel_path_name(k::active_kernel_path()), k::kernel_path_name(best));
  dispatch_ok ? ++*passed : ++failures;
  const bool pack_ok = check_elempack();
  std::printf("%s elempack unpack / dequantize-pack == plain loops (elempack 1/4/8/16, tails)\n",
              pack_ok ? "PASS" : "FAIL");
  pack_ok ? ++*passed : ++failures;
  const bool pool_ok = check_blob_pool();
  std::printf("%s blob pool: size classes (<= 1/8 waste), alignment, reuse, cache budget\n", pool_ok ? "PASS" : "FAIL");
  pool_ok ? ++*passed : ++failures;
  for (const k::KernelPath path : paths) {
    if (path == k::KernelPath::kScalar) continue;
    bool ok = true;
    for (const size_t n : {size_t(1), size_t(15), size_t(1000), size_t(65537)}) {
      const std::vector<float> x = kernel_test_data(n < 12 ? 12 : n);
      const auto a = k::abs_max(x.data(), n, k::KernelPath::kScalar);
      const auto b = k::abs_max(x.data(), n, path);
      ok = ok && a.absmax == b.absmax && a.nonfinite == b.nonfinite && b.path == path;
      for (const int bins : {7, 2048}) {
        std::vector<uint64_t> ha(bins, 0), hb(bins, 0);
        const float scale = static_cast<float>(bins) / 4.f;
        const auto ra = k::abs_histogram(x.data(), n, scale, ha.data(), bins, k::KernelPath::kScalar);
        const auto rb = k::abs_histogram(x.data(), n, scale, hb.data(), bins, path);
        ok = ok && ha == hb && ra.zeros == rb.zeros && ra.nonfinite == rb.nonfinite && rb.path == path;
      }
    }
    std::printf("%s kernels %s == scalar (absmax, histogram; 4 sizes, edge values)\n", ok ? "PASS" : "FAIL",
                k::kernel_path_name(path));
    ok ? ++*passed : ++failures;
    const bool dw_ok = check_depthwise_conv1d(path);
    std::printf("%s depthwise conv1d %s == scalar bit for bit (odd channels/widths, kernels 1..31)\n",
                dw_ok ? "PASS" : "FAIL", k::kernel_path_name(path));
    dw_ok ? ++*passed : ++failures;
    const bool dwp_ok = check_depthwise_conv1d_packed(path);
    std::printf("%s depthwise conv1d packed %s == unpacked scalar bit for bit (elempack 4/8/16)\n",
                dwp_ok ? "PASS" : "FAIL", k::kernel_path_name(path));
    dwp_ok ? ++*passed : ++failures;
    const bool glu_ok = check_glu(path);
    std::printf("%s glu %s == scalar bit for bit (tails, saturated sigmoid)\n", glu_ok ? "PASS" : "FAIL",
                k::kernel_path_name(path));
    glu_ok ? ++*passed : ++failures;
    // On a CPU with the ARM dot-product extension, NEON int8 runs both of its kernels.
    const bool two_neon = path == k::KernelPath::kNeon && k::int8_gemm_neon_dotprod_available();
    for (const bool dotprod : two_neon ? std::vector<bool>{true, false} : std::vector<bool>{true}) {
      k::set_int8_gemm_neon_dotprod(dotprod);
      const char* variant = two_neon ? (dotprod ? " (sdot)" : " (no sdot)") : "";
      const bool gemm_ok = check_int8_gemm(path);
      std::printf("%s int8 gemm %s%s (runs %s) == scalar exactly (odd shapes, -128/127 edges)\n",
                  gemm_ok ? "PASS" : "FAIL", k::kernel_path_name(path), variant,
                  k::kernel_path_name(k::int8_gemm_path(path)));
      gemm_ok ? ++*passed : ++failures;
      const bool layer_ok = check_int8_gemm_layer_path(path);
      std::printf("%s int8 gemm layer path %s%s == scalar (per-row quantized activations, column ranges)\n",
                  layer_ok ? "PASS" : "FAIL", k::kernel_path_name(path), variant);
      layer_ok ? ++*passed : ++failures;
      const bool idw_ok = check_int8_depthwise_conv1d(path);
      std::printf("%s int8 depthwise conv1d %s%s (runs %s) == scalar bit for bit (packs 4/8/16, ties, q = 127)\n",
                  idw_ok ? "PASS" : "FAIL", k::kernel_path_name(path), variant,
                  k::kernel_path_name(k::int8_depthwise_path(path)));
      idw_ok ? ++*passed : ++failures;
    }
    k::set_int8_gemm_neon_dotprod(true);
    if (path == k::KernelPath::kAvx2) {  // every AVX2-path int8 kernel this CPU runs
      for (const int v : k::int8_gemm_avx2_vnni256_variants()) {
        k::set_int8_gemm_avx2_vnni256(v);
        const bool ok = check_int8_gemm(path) && check_int8_gemm_layer_path(path);
        std::printf("%s int8 gemm avx2 variant %s == scalar exactly (gemm and layer path)\n", ok ? "PASS" : "FAIL",
                    v == 0   ? "int16"
                    : v == 1 ? "avx-vnni"
                             : "avx-vnni code as evex");
        ok ? ++*passed : ++failures;
      }
      k::set_int8_gemm_avx2_vnni256(-1);
    }
    const bool cell_ok = check_lstm_cell(path);
    std::printf("%s lstm cell %s == scalar bit for bit (tails, strided slice, saturated gates)\n",
                cell_ok ? "PASS" : "FAIL", k::kernel_path_name(path));
    cell_ok ? ++*passed : ++failures;
    const bool f16_ok = check_panel_gemv<k::PackedF16Weights>(path, k::pack_f16_weights, k::f16_gemv, true);
    std::printf("%s f16 gemv %s == scalar bit for bit (odd shapes, row ranges, fp16 extremes)\n",
                f16_ok ? "PASS" : "FAIL", k::kernel_path_name(path));
    f16_ok ? ++*passed : ++failures;
    const bool f32_ok = check_panel_gemv<k::PackedF32Weights>(path, k::pack_f32_weights, k::f32_gemv, false);
    std::printf("%s f32 gemv %s == scalar bit for bit (odd shapes, row ranges, float extremes)\n",
                f32_ok ? "PASS" : "FAIL", k::kernel_path_name(path));
    f32_ok ? ++*passed : ++failures;
  }
  return failures;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "kernels") {
    int passed = 0;
    const int failures = check_kernels(&passed);
    std::printf("%d passed, %d failed\n", passed, failures);
    return failures ? 1 : 0;
  }
  if (argc != 4 || (std::string(argv[1]) != "write" && std::string(argv[1]) != "check")) {
    std::fprintf(stderr, "usage: ncasr-selftest write|check DIR FIXTURES_DIR | kernels\n");
    return 2;
  }
  const bool write = std::string(argv[1]) == "write";
  const std::string dir = argv[2], fixtures = argv[3];
  int failures = 0, passed = 0;
  try {
    auto b = ncasr::build_info();
    std::string simd;
    for (const auto& s : b.simd_active) simd += " " + s;
    std::printf("ncasr-selftest on %s, SIMD:%s\n", b.arch.c_str(), simd.c_str());

    if (!write) failures += check_kernels(&passed);
    const std::vector<float> x = test_signal(6);
    const std::vector<float> feats = fbank_frames(x);
    if (write) {
      write_vec(dir + "/fbank.f32", feats);
    } else {
      const auto ref = read_vec<float>(dir + "/fbank.f32");
      double worst = 0;
      bool same_size = ref.size() == feats.size();
      for (size_t i = 0; same_size && i < ref.size(); ++i)
        worst = std::max(worst, std::fabs(feats[i] - ref[i]) / std::max(1.0, std::fabs((double)ref[i])));
      const bool ok = same_size && worst <= 1e-4;
      std::printf("%s fbank: %zu values, worst relative difference %.2e\n", ok ? "PASS" : "FAIL", feats.size(), worst);
      ok ? ++passed : ++failures;
    }
    for (const char* model : kModels) {
      for (const char* method : kMethods) {
        const std::string key = std::string(model) + "." + method;
        const std::vector<int> ids = decode(fixtures + "/" + model, method, x);
        if (write) {
          write_vec(dir + "/" + key + ".ids", ids);
          std::printf("wrote %s: %zu tokens\n", key.c_str(), ids.size());
          continue;
        }
        const auto ref = read_vec<int>(dir + "/" + key + ".ids");
        size_t first = 0;
        while (first < ids.size() && first < ref.size() && ids[first] == ref[first]) ++first;
        const bool ok = ids == ref;
        std::printf("%s %s: %zu tokens%s\n", ok ? "PASS" : "FAIL", key.c_str(), ids.size(),
                    ok ? "" : (", first difference at token " + std::to_string(first)).c_str());
        ok ? ++passed : ++failures;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ncasr-selftest: error: %s\n", e.what());
    return 2;
  }
  if (!write) std::printf("%d passed, %d failed\n", passed, failures);
  return failures ? 1 : 0;
}
