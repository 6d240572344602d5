// ncasr._core._testing: test and benchmark hooks into the C++ kernels (each runs one SIMD
// kernel directly on NumPy arrays, on a chosen path); not a public API. The kernel path
// controls and the calibration statistics kernels the package uses stay in calibration.cc.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "common/errors.h"
#include "kernels/depthwise_conv1d.h"
#include "kernels/f16_gemv.h"
#include "kernels/glu.h"
#include "kernels/int8_depthwise_conv1d.h"
#include "kernels/int8_gemm.h"
#include "kernels/lstm_cell.h"

namespace py = pybind11;

namespace ncasr {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// A packed depthwise test call: x (C, W), w (C, K), optional bias (C,) checked, and x laid out
// in ncnn's elempack order (pack channels interleaved per row; pack 1 = plain rows).
struct PackedDepthwiseCall {
  int C = 0, W = 0, K = 0, pack = 1;
  FloatArray bias;
  bool has_bias = false;  // a default FloatArray is an empty array, not a null handle
  kernels::DepthwiseConv1DShape shape;
  std::vector<float> x_packed, y_packed;
  const float* bias_data() const { return has_bias ? bias.data() : nullptr; }

  PackedDepthwiseCall(const char* name, const FloatArray& x, const FloatArray& w, const py::object& b, int p) {
    if (x.ndim() != 2 || w.ndim() != 2 || w.shape(0) != x.shape(0) || w.shape(1) < 1 || x.shape(1) < w.shape(1))
      throw ConfigError(std::string(name) + " expects x (C, W) and w (C, K) with 1 <= K <= W");
    if (!b.is_none()) {
      bias = FloatArray::ensure(b);
      if (!bias || bias.ndim() != 1 || bias.shape(0) != x.shape(0)) throw ConfigError("bias must be (C,)");
      has_bias = true;
    }
    C = static_cast<int>(x.shape(0));
    W = static_cast<int>(x.shape(1));
    K = static_cast<int>(w.shape(1));
    pack = p;
    if (pack < 1 || C % pack != 0) throw ConfigError("pack must divide the channels");
    shape.channels = C;
    shape.kernel = K;
    shape.out_w = W - K + 1;
    shape.x_stride = static_cast<size_t>(W) * pack;
    shape.y_stride = static_cast<size_t>(shape.out_w) * pack;
    x_packed.resize(static_cast<size_t>(C) * W);
    y_packed.resize(static_cast<size_t>(C) * shape.out_w);
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < W; ++t) x_packed[(c / pack) * shape.x_stride + t * pack + c % pack] = x.data()[c * W + t];
  }

  py::array_t<float> unpacked_y() const {
    py::array_t<float> y({C, shape.out_w});
    for (int c = 0; c < C; ++c)
      for (int t = 0; t < shape.out_w; ++t)
        y.mutable_data()[c * shape.out_w + t] = y_packed[(c / pack) * shape.y_stride + t * pack + c % pack];
    return y;
  }
};

void bind_kernel_hooks(py::module_& m) {
  m.def(
      "depthwise_conv1d",
      [](FloatArray x, FloatArray w, py::object bias, const std::string& path) {
        if (x.ndim() != 2 || w.ndim() != 2 || w.shape(0) != x.shape(0) || w.shape(1) < 1 || x.shape(1) < w.shape(1))
          throw ConfigError("depthwise_conv1d expects x (C, W) and w (C, K) with 1 <= K <= W");
        FloatArray b;
        if (!bias.is_none()) {
          b = FloatArray::ensure(bias);
          if (!b || b.ndim() != 1 || b.shape(0) != x.shape(0)) throw ConfigError("bias must be (C,)");
        }
        const kernels::KernelPath p = kernels::kernel_path_or_active(path);
        kernels::DepthwiseConv1DShape s;
        s.channels = static_cast<int>(x.shape(0));
        s.kernel = static_cast<int>(w.shape(1));
        s.out_w = static_cast<int>(x.shape(1) - w.shape(1) + 1);
        s.x_stride = static_cast<size_t>(x.shape(1));
        s.y_stride = static_cast<size_t>(s.out_w);
        py::array_t<float> y({s.channels, s.out_w});
        float* out = y.mutable_data();
        const float* bp = bias.is_none() ? nullptr : b.data();
        kernels::KernelPath ran;
        {
          py::gil_scoped_release release;
          ran = kernels::depthwise_conv1d(x.data(), w.data(), bp, out, s, p);
        }
        return py::make_tuple(y, kernels::kernel_path_name(ran));
      },
      py::arg("x"), py::arg("w"), py::arg("bias") = py::none(), py::arg("path") = "",
      "y[c, j] = bias[c] + sum_k x[c, j + k] * w[c, k]; returns (y, path that ran).");
  m.def(
      "depthwise_conv1d_packed",
      [](FloatArray x, FloatArray w, py::object bias, int pack, const std::string& path) {
        // Packs x as ncnn's elempack layout and w tap-major, runs the packed kernel and unpacks y:
        // for tests against the unpacked form.
        PackedDepthwiseCall call("depthwise_conv1d_packed", x, w, bias, pack);
        std::vector<float> wt(static_cast<size_t>(call.C) * call.K);
        for (int c = 0; c < call.C; ++c)
          for (int k = 0; k < call.K; ++k) wt[static_cast<size_t>(k) * call.C + c] = w.data()[c * call.K + k];
        const kernels::KernelPath ran =
            kernels::depthwise_conv1d_packed(call.x_packed.data(), wt.data(), call.bias_data(), call.y_packed.data(),
                                             call.shape, pack, kernels::kernel_path_or_active(path));
        return py::make_tuple(call.unpacked_y(), kernels::kernel_path_name(ran));
      },
      py::arg("x"), py::arg("w"), py::arg("bias") = py::none(), py::arg("pack") = 16, py::arg("path") = "",
      "depthwise_conv1d on ncnn's packed layout (pack 4, 8 or 16), packed and unpacked here; returns (y, path).");
  m.def(
      "int8_depthwise_conv1d",
      [](FloatArray x, FloatArray w, py::object bias, int pack, const std::string& path) {
        // Quantizes w per channel, packs x as ncnn's elempack layout (pack 1 = plain rows), runs
        // the int8 kernel for `path` and unpacks y: for tests against the scalar twin and NumPy.
        PackedDepthwiseCall call("int8_depthwise_conv1d", x, w, bias, pack);
        const kernels::Int8DepthwiseWeights packed =
            kernels::pack_int8_depthwise_weights(w.data(), call.C, call.K, kernels::kernel_path_or_active(path));
        kernels::KernelPath ran;
        {
          py::gil_scoped_release release;
          ran = kernels::int8_depthwise_conv1d_packed(call.x_packed.data(), packed, call.bias_data(),
                                                      call.y_packed.data(), call.shape, pack);
        }
        std::string name = kernels::kernel_path_name(ran);
        if (ran == kernels::KernelPath::kNeon && packed.dotprod) name += "+dotprod";
        return py::make_tuple(call.unpacked_y(), name);
      },
      py::arg("x"), py::arg("w"), py::arg("bias") = py::none(), py::arg("pack") = 16, py::arg("path") = "",
      "int8 depthwise conv1d (weights per channel, activations per channel per call) on ncnn's "
      "packed layout; returns (y, path that ran).");
  m.def(
      "depthwise_conv1d_seconds",
      [](int channels, int kernel, int out_w, int pack, const std::string& form, int repeats) {
        // Kernel-only timing for benchmarks: random data packed once, then `repeats` calls of the
        // float ("fp32") or int8 ("int8") packed kernel on the active path; seconds per call.
        if (channels < 1 || kernel < 1 || out_w < 1 || pack < 1 || channels % pack != 0 || repeats < 1)
          throw ConfigError("depthwise_conv1d_seconds: bad shape, pack or repeats");
        if (form != "fp32" && form != "int8") throw ConfigError("form must be fp32 or int8");
        const int W = out_w + kernel - 1;
        std::vector<float> x(static_cast<size_t>(channels) * W), w(static_cast<size_t>(channels) * kernel), b(channels),
            y(static_cast<size_t>(channels) * out_w);
        uint32_t state = 12345;
        auto rnd = [&state] {
          state = state * 1664525u + 1013904223u;
          return static_cast<float>(state >> 8) / 16777216.f - 0.5f;
        };
        for (auto& v : x) v = rnd();
        for (auto& v : w) v = rnd();
        for (auto& v : b) v = rnd();
        kernels::DepthwiseConv1DShape s;
        s.channels = channels;
        s.kernel = kernel;
        s.out_w = out_w;
        s.x_stride = static_cast<size_t>(W) * pack;
        s.y_stride = static_cast<size_t>(out_w) * pack;
        std::vector<double> seconds(repeats);
        {
          py::gil_scoped_release release;
          if (form == "int8") {
            const auto pw =
                kernels::pack_int8_depthwise_weights(w.data(), channels, kernel, kernels::active_kernel_path());
            for (int i = 0; i < repeats; ++i) {
              const auto t0 = std::chrono::steady_clock::now();
              kernels::int8_depthwise_conv1d_packed(x.data(), pw, b.data(), y.data(), s, pack);
              seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            }
          } else {
            std::vector<float> wt(w.size());
            for (int c = 0; c < channels; ++c)
              for (int k = 0; k < kernel; ++k)
                wt[static_cast<size_t>(k) * channels + c] = w[static_cast<size_t>(c) * kernel + k];
            for (int i = 0; i < repeats; ++i) {
              const auto t0 = std::chrono::steady_clock::now();
              kernels::depthwise_conv1d_packed(x.data(), wt.data(), b.data(), y.data(), s, pack);
              seconds[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            }
          }
        }
        return seconds;
      },
      py::arg("channels"), py::arg("kernel"), py::arg("out_w"), py::arg("pack"), py::arg("form"),
      py::arg("repeats") = 100,
      "Seconds per call of the packed depthwise kernel (fp32 or int8) on random data: benchmarks only.");
  m.def(
      "glu",
      [](FloatArray a, FloatArray b, float shift, const std::string& path) {
        if (a.ndim() != 1 || b.ndim() != 1 || a.shape(0) != b.shape(0))
          throw ConfigError("glu expects a and b of one shape (N,)");
        py::array_t<float> out(a.shape(0));
        const kernels::KernelPath ran =
            kernels::glu(a.data(), b.data(), shift, out.mutable_data(), static_cast<size_t>(a.shape(0)),
                         kernels::kernel_path_or_active(path));
        return py::make_tuple(out, kernels::kernel_path_name(ran));
      },
      py::arg("a"), py::arg("b"), py::arg("shift") = 0.f, py::arg("path") = "",
      "a * sigmoid(b + shift) on the GLU kernel; returns (out, path).");
  // y = bias + w x on the panel kernels; Packed/pack/gemv pick fp16 or float weights.
  auto panel_gemv = [](const char* name, auto pack, auto gemv) {
    return [name, pack, gemv](FloatArray w, FloatArray x, py::object bias, const std::string& path, int repeats) {
      if (w.ndim() != 2 || x.ndim() != 1 || x.shape(0) != w.shape(1) || w.shape(0) < 1 || w.shape(1) < 1)
        throw ConfigError(std::string(name) + " expects w (N, K) and x (K,)");
      FloatArray b;
      if (!bias.is_none()) {
        b = FloatArray::ensure(bias);
        if (!b || b.ndim() != 1 || b.shape(0) != w.shape(0)) throw ConfigError("bias must be (N,)");
      }
      if (repeats < 1) throw ConfigError("repeats must be >= 1");
      const kernels::KernelPath p = kernels::kernel_path_or_active(path);
      const int n = static_cast<int>(w.shape(0)), k = static_cast<int>(w.shape(1));
      const auto packed = pack(w.data(), n, k, static_cast<size_t>(k));
      py::array_t<float> y(n);
      float* out = y.mutable_data();
      const float* bp = bias.is_none() ? nullptr : b.data();
      kernels::KernelPath ran;
      double seconds;
      {
        py::gil_scoped_release release;
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i) ran = gemv(packed, x.data(), bp, out, 0, n, p);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / repeats;
      }
      return py::make_tuple(y, kernels::kernel_path_name(ran), seconds);
    };
  };
  m.def("f16_gemv",
        panel_gemv(
            "f16_gemv",
            [](const float* w, int n, int k, size_t stride) { return kernels::pack_f16_weights(w, n, k, stride); },
            [](const kernels::PackedF16Weights& w, const float* x, const float* b, float* y, int r0, int r1,
               kernels::KernelPath p) { return kernels::f16_gemv(w, x, b, y, r0, r1, p); }),
        py::arg("w"), py::arg("x"), py::arg("bias") = py::none(), py::arg("path") = "", py::arg("repeats") = 1,
        "y = bias + w x with w rounded to fp16 (fp32 arithmetic, no fused multiply-add); "
        "returns (y, path that ran, seconds per product over `repeats`, packing excluded).");
  m.def("f32_gemv",
        panel_gemv(
            "f32_gemv",
            [](const float* w, int n, int k, size_t stride) { return kernels::pack_f32_weights(w, n, k, stride); },
            [](const kernels::PackedF32Weights& w, const float* x, const float* b, float* y, int r0, int r1,
               kernels::KernelPath p) { return kernels::f32_gemv(w, x, b, y, r0, r1, p); }),
        py::arg("w"), py::arg("x"), py::arg("bias") = py::none(), py::arg("path") = "", py::arg("repeats") = 1,
        "y = bias + w x with float weights in the same panels (no fused multiply-add); "
        "returns (y, path that ran, seconds per product over `repeats`, packing excluded).");
  using Int8Array = py::array_t<int8_t, py::array::c_style | py::array::forcecast>;
  m.def("int8_peak_gops", &kernels::measure_int8_peak_gops, py::arg("seconds") = 0.5,
        py::call_guard<py::gil_scoped_release>(),
        "This core's int8 multiply-add ceiling (GOP/s) from a tight vpdpbusd loop; 0 without AVX-512 VNNI.");
  m.def(
      "int8_gemm",
      [](Int8Array a, Int8Array w, const std::string& path) {
        if (a.ndim() != 2 || w.ndim() != 2 || a.shape(1) != w.shape(1))
          throw ConfigError("int8_gemm expects a (M, K) and w (N, K) int8 arrays");
        const kernels::KernelPath p = kernels::kernel_path_or_active(path);
        const int m = static_cast<int>(a.shape(0)), n = static_cast<int>(w.shape(0)), k = static_cast<int>(w.shape(1));
        py::array_t<int32_t> c({m, n});
        int32_t* out = c.mutable_data();
        kernels::KernelPath ran;
        {
          py::gil_scoped_release release;
          const kernels::PackedInt8Weights packed = kernels::pack_int8_weights(w.data(), n, k, k, p);
          ran = kernels::int8_gemm(a.data(), m, k, packed, out, n);
        }
        return py::make_tuple(c, kernels::kernel_path_name(ran));
      },
      py::arg("a"), py::arg("w"), py::arg("path") = "",
      "C = A @ W.T in exact int32 (A: (M, K) int8, W: (N, K) int8); returns (C, path that ran).");
  m.def(
      "lstm_cell",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> gates,
         py::array_t<float, py::array::c_style | py::array::forcecast> cell, const std::string& path) {
        if (gates.ndim() != 2 || gates.shape(0) != 4 || cell.ndim() != 1 || cell.shape(0) != gates.shape(1))
          throw ConfigError("lstm_cell expects gates (4, H) (I, F, O, G) and cell (H,)");
        const int hidden = static_cast<int>(cell.shape(0));
        py::array_t<float> c_out(hidden), h_out(hidden);
        std::copy(cell.data(), cell.data() + hidden, c_out.mutable_data());
        float* c = c_out.mutable_data();
        float* h = h_out.mutable_data();
        kernels::KernelPath ran;
        {
          py::gil_scoped_release release;
          ran = kernels::lstm_cell(gates.data(), hidden, c, h, hidden, kernels::kernel_path_or_active(path));
        }
        return py::make_tuple(c_out, h_out, kernels::kernel_path_name(ran));
      },
      py::arg("gates"), py::arg("cell"), py::arg("path") = "",
      "One LSTM cell step from gate pre-activations: (new cell, hidden, path that ran).");
  m.def(
      "quantize_int8_rows",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> x, const std::string& path) {
        if (x.ndim() != 2 || x.shape(1) < 1)
          throw ConfigError("quantize_int8_rows expects a (M, K) float array, K >= 1");
        const int m = static_cast<int>(x.shape(0)), k = static_cast<int>(x.shape(1));
        py::array_t<int8_t> q({m, k});
        py::array_t<float> scales(m);
        kernels::KernelPath ran;
        {
          py::gil_scoped_release release;
          const std::vector<int8_t> zero(static_cast<size_t>(k), 0);  // the layout only needs k and the path
          const kernels::PackedInt8Weights w =
              kernels::pack_int8_weights(zero.data(), 1, k, k, kernels::kernel_path_or_active(path));
          kernels::Int8Activations a;
          kernels::quantize_int8_activations(x.data(), m, static_cast<size_t>(k), w, &a);
          int8_t* out = q.mutable_data();
          for (int i = 0; i < m; ++i)
            for (int t = 0; t < k; ++t) {  // back from the kernel's form to plain int8
              const size_t at = static_cast<size_t>(i) * a.kp + t;
              out[static_cast<size_t>(i) * k + t] = a.is_wide() ? static_cast<int8_t>(a.wide[at])
                                                    : a.is_u8()
                                                        ? static_cast<int8_t>(static_cast<uint8_t>(a.narrow[at]) - 128)
                                                        : a.narrow[at];
            }
          std::copy(a.scales.begin(), a.scales.end(), scales.mutable_data());
          ran = a.path;
        }
        return py::make_tuple(q, scales, kernels::kernel_path_name(ran));
      },
      py::arg("x"), py::arg("path") = "",
      "Per-row dynamic int8 quantization as the int8 Gemm layer does it: (q, scales, path that ran), "
      "scale = 127 / absmax (1 for a zero row), q = round-half-even(x * scale) clamped to +-127.");
  m.def("int8_gemm_avx2_vnni256_variants", &kernels::int8_gemm_avx2_vnni256_variants,
        "AVX2-path int8 kernels this CPU runs: 0 int16 (vpmaddwd), 1 AVX-VNNI, 2 the AVX-VNNI code as EVEX.");
  m.def("set_int8_gemm_avx2_vnni256", &kernels::set_int8_gemm_avx2_vnni256, py::arg("variant"),
        "Force the AVX2-path int8 kernel for weights packed from now on (-1: automatic). For tests.");
  // Weights packed once, as a layer does at load (benchmarks time run() alone).
  py::class_<kernels::PackedInt8Weights>(m, "PackedInt8Gemm")
      .def(py::init([](Int8Array w, const std::string& path) {
             if (w.ndim() != 2) throw ConfigError("weights must be (N, K) int8");
             return kernels::pack_int8_weights(w.data(), static_cast<int>(w.shape(0)), static_cast<int>(w.shape(1)),
                                               static_cast<size_t>(w.shape(1)), kernels::kernel_path_or_active(path));
           }),
           py::arg("w"), py::arg("path") = "")
      .def_property_readonly("path",
                             [](const kernels::PackedInt8Weights& p) { return kernels::kernel_path_name(p.path); })
      .def_property_readonly("vnni256", [](const kernels::PackedInt8Weights& p) { return p.vnni256; })
      .def(
          "run",
          [](const kernels::PackedInt8Weights& p, Int8Array a, py::array_t<int32_t> out) {
            if (a.ndim() != 2 || a.shape(1) != p.k || out.ndim() != 2 || out.shape(0) != a.shape(0) ||
                out.shape(1) != p.n || !(out.flags() & py::array::c_style))
              throw ConfigError("run(a, out): a must be (M, K) int8 and out a C-contiguous (M, N) int32 array");
            int32_t* c = out.mutable_data();
            py::gil_scoped_release release;
            kernels::int8_gemm(a.data(), static_cast<int>(a.shape(0)), static_cast<size_t>(p.k), p, c,
                               static_cast<size_t>(p.n));
          },
          py::arg("a"), py::arg("out"));
}

}  // namespace

void bind_testing(py::module_& m) {
  auto t = m.def_submodule("_testing", "Test and benchmark hooks into the C++ kernels; not a public API");
  bind_kernel_hooks(t);
}

}  // namespace ncasr
