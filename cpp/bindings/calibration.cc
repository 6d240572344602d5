// Bindings for calibration (python/ncasr/calibration.py wraps these into the public API):
// the calibration runner (targets out, and a plain absmax observer: the first pass of
// ncnn2table's KL method, so the pipeline can be checked on its own), and the calibration
// statistics: SIMD kernels with path control, the histogram collector, thresholds,
// per-channel weight scales and the ncnn scale table. Hooks that run other kernels directly
// for tests and benchmarks are in testing.cc (ncasr._core._testing).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "calibration/activation_runner.h"
#include "calibration/calibrator.h"
#include "calibration/histogram_collector.h"
#include "calibration/scale_table.h"
#include "calibration/shape_probe.h"
#include "calibration/thresholds.h"
#include "calibration/weight_scales.h"
#include "common/errors.h"
#include "kernels/calib_stats.h"

namespace py = pybind11;

namespace ncasr {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
using HistArray = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>;

// ncasr.quantization.statistics.Threshold(threshold, scale, bin), a NamedTuple.
py::object threshold_tuple(const Threshold& t) {
  return py::module_::import("ncasr.quantization.statistics").attr("Threshold")(t.threshold, t.scale, t.bin);
}

std::string fspath(const py::object& p) { return py::str(py::module_::import("os").attr("fspath")(p)); }

// A row as Python sees it: activation rows are one float, weight rows a list.
py::object row_value(const ScaleTable& t, const std::string& key) {
  const std::vector<float>& v = t.get(key);
  if (!ScaleTable::is_weight_key(key)) return py::float_(v[0]);
  return py::cast(v);
}

std::vector<float> row_from(const py::handle& value) {
  if (py::isinstance<py::float_>(value) || py::isinstance<py::int_>(value)) return {value.cast<float>()};
  FloatArray a = FloatArray::ensure(value);
  if (!a) throw ConfigError("scale table values must be a number or a sequence of numbers");
  return std::vector<float>(a.data(), a.data() + a.size());
}

void bind_kernels(py::module_& m) {
  m.def(
      "kernel_paths",
      [] {
        std::vector<std::string> out;
        for (auto p : kernels::supported_kernel_paths()) out.emplace_back(kernels::kernel_path_name(p));
        return out;
      },
      "Kernel paths this build and CPU can run, scalar first.");
  m.def(
      "kernel_path", [] { return std::string(kernels::kernel_path_name(kernels::active_kernel_path())); },
      "The path dispatched kernels run now.");
  m.def("set_kernel_path", &kernels::set_kernel_path, py::arg("name"),
        "Force a path (scalar, avx2, avx512, neon) or 'auto'.");
  m.def(
      "abs_max",
      [](FloatArray x, const std::string& path) {
        const kernels::KernelPath p = kernels::kernel_path_or_active(path);
        kernels::AbsMaxResult r;
        {
          py::gil_scoped_release release;
          r = kernels::abs_max(x.data(), static_cast<size_t>(x.size()), p);
        }
        return py::make_tuple(r.absmax, r.nonfinite, kernels::kernel_path_name(r.path));
      },
      py::arg("x"), py::arg("path") = "");
  m.def(
      "abs_histogram",
      [](FloatArray x, float range, int bins, const std::string& path) {
        if (!(range > 0.f) || !std::isfinite(range))
          throw ConfigError("histogram range must be a positive finite number, got " + std::to_string(range));
        const kernels::KernelPath p = kernels::kernel_path_or_active(path);
        if (bins < 1) throw ConfigError("histogram bins must be >= 1");
        py::array_t<uint64_t> hist(bins);
        std::fill(hist.mutable_data(), hist.mutable_data() + bins, 0);
        const float scale = static_cast<float>(bins) / range;  // once, as the collector does
        kernels::HistogramResult r;
        uint64_t* out = hist.mutable_data();
        {
          py::gil_scoped_release release;
          r = kernels::abs_histogram(x.data(), static_cast<size_t>(x.size()), scale, out, bins, p);
        }
        return py::make_tuple(hist, r.zeros, r.nonfinite, kernels::kernel_path_name(r.path));
      },
      py::arg("x"), py::arg("range"), py::arg("bins") = 2048, py::arg("path") = "");
}

void bind_thresholds(py::module_& m) {
  m.def(
      "kl_threshold",
      [](HistArray h, float range, int target_bins) {
        if (h.ndim() != 1) throw ConfigError("histogram must be 1-D");
        Threshold t;
        {
          py::gil_scoped_release release;
          t = kl_threshold(h.data(), static_cast<int>(h.size()), range, target_bins);
        }
        return threshold_tuple(t);
      },
      py::arg("histogram"), py::arg("range"), py::arg("target_bins") = 128);
  m.def(
      "aciq_threshold", [](float absmax, uint64_t n) { return threshold_tuple(aciq_threshold(absmax, n)); },
      py::arg("absmax"), py::arg("n"));
  m.def("minmax_threshold", [](float absmax) { return threshold_tuple(minmax_threshold(absmax)); }, py::arg("absmax"));
  m.def(
      "percentile_threshold",
      [](HistArray h, double range, double percent, float absmax) {
        if (h.ndim() != 1) throw ConfigError("histogram must be 1-D");
        return threshold_tuple(percentile_threshold(h.data(), static_cast<int>(h.size()), range, percent, absmax));
      },
      py::arg("histogram"), py::arg("range"), py::arg("percent") = 99.99, py::arg("absmax") = 0.f);
}

void bind_weights(py::module_& m) {
  auto shape_of = [](const py::array& w) {
    if (w.ndim() < 1 || w.shape(0) == 0) throw ConfigError("weights need at least one output channel");
    const size_t channels = static_cast<size_t>(w.shape(0));
    return std::make_pair(channels, static_cast<size_t>(w.size()) / channels);
  };
  auto check_scales = [](const FloatArray& s, size_t channels) {
    if (static_cast<size_t>(s.size()) != channels)
      throw ConfigError("need one scale per output channel (" + std::to_string(channels) + "), got " +
                        std::to_string(s.size()));
  };
  m.def(
      "per_channel_scales",
      [shape_of](FloatArray w, float qmax) {
        const auto [channels, per] = shape_of(w);
        return py::array_t<float>(py::cast(per_channel_scales(w.data(), channels, per, qmax)));
      },
      py::arg("weights"), py::arg("qmax") = 127.f);
  m.def(
      "quantize_per_channel",
      [shape_of, check_scales](FloatArray w, FloatArray scales) {
        const auto [channels, per] = shape_of(w);
        check_scales(scales, channels);
        py::array_t<int8_t> q(std::vector<py::ssize_t>(w.shape(), w.shape() + w.ndim()));
        quantize_per_channel(w.data(), channels, per, scales.data(), q.mutable_data());
        return q;
      },
      py::arg("weights"), py::arg("scales"));
  m.def(
      "dequantize_per_channel",
      [shape_of, check_scales](py::array_t<int8_t, py::array::c_style | py::array::forcecast> q, FloatArray scales) {
        const auto [channels, per] = shape_of(q);
        check_scales(scales, channels);
        py::array_t<float> w(std::vector<py::ssize_t>(q.shape(), q.shape() + q.ndim()));
        dequantize_per_channel(q.data(), channels, per, scales.data(), w.mutable_data());
        return w;
      },
      py::arg("q"), py::arg("scales"));
}

void bind_collector(py::module_& m) {
  py::class_<HistogramCollector>(m, "HistogramCollector")
      .def(py::init([](const std::string& mode, int bins) {
             return std::make_unique<HistogramCollector>(parse_collect_mode(mode), bins);
           }),
           py::arg("mode") = "two_pass", py::arg("bins") = 2048)
      .def_property_readonly("mode", [](const HistogramCollector& c) { return collect_mode_name(c.mode()); })
      .def_property_readonly("bins", &HistogramCollector::bins)
      .def_property_readonly("pass_number", &HistogramCollector::pass)
      .def(
          "observe",
          [](HistogramCollector& c, const std::string& key, FloatArray x) {
            py::gil_scoped_release release;
            c.observe(key, x.data(), static_cast<size_t>(x.size()));
          },
          py::arg("key"), py::arg("x"))
      .def("finish_absmax_pass", &HistogramCollector::finish_absmax_pass)
      .def("fork", &HistogramCollector::fork)
      .def(
          "merge",
          [](HistogramCollector& c, const HistogramCollector& other) {
            py::gil_scoped_release release;
            c.merge(other);
          },
          py::arg("other"))
      .def("keys", &HistogramCollector::keys)
      .def(py::pickle(
          [](const HistogramCollector& c) {
            // (mode, bins, absmax pass done, [(key, absmax, elements, zeros, nonfinite, observations,
            //   max_observation, range, histogram bytes, hist_observations)])
            py::list entries;
            for (const auto& key : c.keys()) {
              const TensorStats s = c.stats(key);
              entries.append(py::make_tuple(
                  key, s.absmax, s.elements, s.zeros, s.nonfinite, s.observations, s.max_observation, s.range,
                  py::bytes(reinterpret_cast<const char*>(s.histogram.data()), s.histogram.size() * sizeof(uint64_t)),
                  s.hist_observations));
            }
            const bool absmax_done = c.mode() == CollectMode::kTwoPass && c.pass() == 2;
            return py::make_tuple(collect_mode_name(c.mode()), c.bins(), absmax_done, entries);
          },
          [](const py::tuple& state) {
            if (state.size() != 4) throw ConfigError("HistogramCollector state must be a 4-tuple");
            std::vector<std::pair<std::string, TensorStats>> entries;
            for (const auto& item : state[3].cast<py::list>()) {
              const auto e = item.cast<py::tuple>();
              if (e.size() != 10) throw ConfigError("HistogramCollector state: an entry must be a 10-tuple");
              TensorStats s;
              s.absmax = e[1].cast<float>();
              s.elements = e[2].cast<uint64_t>();
              s.zeros = e[3].cast<uint64_t>();
              s.nonfinite = e[4].cast<uint64_t>();
              s.observations = e[5].cast<uint64_t>();
              s.max_observation = e[6].cast<uint64_t>();
              s.range = e[7].cast<double>();
              const std::string h = e[8].cast<std::string>();
              if (h.size() % sizeof(uint64_t) != 0) throw ConfigError("HistogramCollector state: bad histogram bytes");
              s.histogram.resize(h.size() / sizeof(uint64_t));
              std::copy(h.begin(), h.end(), reinterpret_cast<char*>(s.histogram.data()));
              s.hist_observations = e[9].cast<uint64_t>();
              entries.emplace_back(e[0].cast<std::string>(), std::move(s));
            }
            return HistogramCollector::restore(parse_collect_mode(state[0].cast<std::string>()), state[1].cast<int>(),
                                               state[2].cast<bool>(), entries);
          }))
      .def("__contains__", &HistogramCollector::contains)
      .def("__len__", [](const HistogramCollector& c) { return c.keys().size(); })
      .def(
          "stats",
          [](const HistogramCollector& c, const std::string& key) {
            const TensorStats s = c.stats(key);
            py::dict d;
            d["absmax"] = s.absmax;
            d["elements"] = s.elements;
            d["zeros"] = s.zeros;
            d["nonfinite"] = s.nonfinite;
            d["observations"] = s.observations;
            d["max_observation"] = s.max_observation;
            d["range"] = s.range;
            d["histogram"] = py::array_t<uint64_t>(static_cast<py::ssize_t>(s.histogram.size()), s.histogram.data());
            d["hist_observations"] = s.hist_observations;
            return d;
          },
          py::arg("key"))
      .def(
          "threshold",
          [](const HistogramCollector& c, const std::string& key, const std::string& method, double percent) {
            ThresholdOptions o;
            o.percent = percent;
            const ThresholdMethod mt = parse_threshold_method(method);
            Threshold t;
            {
              py::gil_scoped_release release;
              t = compute_threshold(key, c.stats(key), mt, o);
            }
            return threshold_tuple(t);
          },
          py::arg("key"), py::arg("method") = "kl", py::arg("percent") = 99.99);
}

void bind_scale_table(py::module_& m) {
  py::class_<ScaleTable>(m, "ScaleTable")
      .def(py::init<>())
      .def_static(
          "load", [](const py::object& path) { return ScaleTable::load(fspath(path)); }, py::arg("path"))
      .def_static("parse", &ScaleTable::parse, py::arg("text"), py::arg("source") = "<string>")
      .def_static("is_weight_key", &ScaleTable::is_weight_key, py::arg("key"))
      .def(
          "save", [](const ScaleTable& t, const py::object& path) { t.save(fspath(path)); }, py::arg("path"))
      .def("to_string", &ScaleTable::to_string)
      .def("__len__", &ScaleTable::size)
      .def("__contains__", &ScaleTable::contains)
      .def("__iter__", [](const ScaleTable& t) { return py::iter(py::cast(t.keys())); })
      .def("keys", [](const ScaleTable& t) { return t.keys(); })
      .def("__getitem__",
           [](const ScaleTable& t, const std::string& key) {
             if (!t.contains(key)) throw py::key_error(key);
             return row_value(t, key);
           })
      .def("__setitem__", [](ScaleTable& t, const std::string& key, const py::handle& v) { t.set(key, row_from(v)); })
      .def("__delitem__",
           [](ScaleTable& t, const std::string& key) {
             if (!t.erase(key)) throw py::key_error(key);
           })
      .def("items",
           [](const ScaleTable& t) {
             py::list out;
             for (const auto& k : t.keys()) out.append(py::make_tuple(k, row_value(t, k)));
             return out;
           })
      .def_property_readonly(
          "weight_scales",
          [](const ScaleTable& t) {
            py::dict d;
            for (const auto& k : t.keys())
              if (ScaleTable::is_weight_key(k)) d[py::str(k)] = py::cast(t.get(k));
            return d;
          },
          "{'<layer>_param_<i>': [per-channel scales]}")
      .def_property_readonly(
          "activation_scales",
          [](const ScaleTable& t) {
            py::dict d;
            for (const auto& k : t.keys())
              if (!ScaleTable::is_weight_key(k)) d[py::str(k)] = t.get(k)[0];
            return d;
          },
          "{'<layer>': input scale}")
      .def("__eq__",
           [](const ScaleTable& a, const ScaleTable& b) {
             if (a.keys() != b.keys()) return false;
             for (const auto& k : a.keys())
               if (a.get(k) != b.get(k)) return false;
             return true;
           })
      .def("__repr__", [](const ScaleTable& t) {
        size_t w = 0;
        for (const auto& k : t.keys()) w += ScaleTable::is_weight_key(k);
        return "ScaleTable(" + std::to_string(w) + " weight rows, " + std::to_string(t.size() - w) +
               " activation rows)";
      });
}

void bind_runner(py::module_& m) {
  py::class_<ActivationRunner>(m, "ActivationRunner")
      .def(py::init([](const std::string& dir, int num_threads) {
             py::gil_scoped_release release;
             return std::make_unique<ActivationRunner>(ModelFiles::find(dir, "float"), num_threads);
           }),
           py::arg("model_dir"), py::arg("num_threads") = 1)
      .def_property_readonly("targets",
                             [](const ActivationRunner& r) {
                               py::list out;
                               for (const auto& t : r.targets())
                                 out.append(py::dict(py::arg("net") = t.net, py::arg("layer") = t.layer,
                                                     py::arg("type") = t.type, py::arg("blob") = t.blob));
                               return out;
                             })
      .def(
          "absmax",
          [](const ActivationRunner& r, py::array_t<float, py::array::c_style | py::array::forcecast> x, int rate) {
            std::vector<float> absmax(r.targets().size(), 0.f);
            std::vector<long long> count(r.targets().size(), 0);
            {
              py::gil_scoped_release release;
              r.run(x.data(), static_cast<size_t>(x.size()), rate, [&](size_t t, const ncnn::Mat& m) {
                for (int q = 0; q < m.c; ++q) {
                  const float* p = m.channel(q);
                  const size_t n = static_cast<size_t>(m.w) * m.h * m.d * m.elempack;
                  for (size_t i = 0; i < n; ++i) absmax[t] = std::max(absmax[t], std::fabs(p[i]));
                }
                ++count[t];
              });
            }
            return py::make_tuple(absmax, count);
          },
          py::arg("samples"), py::arg("sample_rate"),
          "Per target: the largest |input| seen on this utterance, and how many times it ran.")
      .def(
          "collect",
          [](const ActivationRunner& r, HistogramCollector& collector,
             py::array_t<float, py::array::c_style | py::array::forcecast> x, int rate, float tail_padding) {
            std::vector<std::string> keys;
            for (const auto& t : r.targets()) keys.push_back(calibration_key(t));
            py::gil_scoped_release release;
            return r.run(
                x.data(), static_cast<size_t>(x.size()), rate,
                [&](size_t t, const ncnn::Mat& m) { collector.observe(keys[t], m); }, tail_padding);
          },
          py::arg("collector"), py::arg("samples"), py::arg("sample_rate"), py::arg("tail_padding") = 0.5f,
          "Run one utterance and observe every target's input into `collector` under '<net>/<layer>' "
          "(what ncasr.calibrate does per utterance); returns the encoder chunks run.")
      .def(
          "row_input_widths",
          [](const ActivationRunner& r) {
            py::gil_scoped_release release;
            return probe_row_widths(r);
          },
          "'<net>/<layer>' -> row width of every target whose input is a (T, C) matrix, "
          "found with a fixed synthetic signal.");

  using Audio = py::array_t<float, py::array::c_style | py::array::forcecast>;
  m.def(
      "calibrate",
      [](const std::string& dir, const std::vector<std::tuple<Audio, int, std::string>>& utterances,
         const std::string& method, const std::string& collect, int bins, double percent, int num_workers,
         int num_threads, float tail_padding, py::object progress) {
        CalibrationOptions o;
        o.method = method;
        o.collect = collect;
        o.bins = bins;
        o.percent = percent;
        o.num_workers = num_workers;
        o.tail_padding = tail_padding;
        std::vector<CalibrationAudio> audio;
        for (const auto& [x, rate, name] : utterances) {
          if (x.ndim() != 1) throw AudioError(name + ": calibration audio must be 1-D (mono)");
          audio.push_back({x.data(), static_cast<size_t>(x.size()), rate, name});
        }
        CalibrationProgress report;
        if (!progress.is_none())
          report = [&progress](size_t done, size_t total) {
            py::gil_scoped_acquire gil;
            progress(done, total);
          };
        CalibrationResult r;
        {
          py::gil_scoped_release release;
          ActivationRunner runner(ModelFiles::find(dir, "float"), num_threads);
          r = calibrate(runner, audio, o, report);
        }
        return py::dict(py::arg("table") = r.table, py::arg("zero_inputs") = r.zero_inputs,
                        py::arg("never_ran") = r.never_ran, py::arg("utterances") = r.utterances,
                        py::arg("encoder_chunks") = r.encoder_chunks, py::arg("audio_seconds") = r.audio_seconds);
      },
      py::arg("model_dir"), py::arg("utterances"), py::arg("method") = "kl", py::arg("collect") = "two_pass",
      py::arg("bins") = 2048, py::arg("percent") = 99.99, py::arg("num_workers") = 1, py::arg("num_threads") = 1,
      py::arg("tail_padding") = 0.5f, py::arg("progress") = py::none(),
      "Scale table of every int8-candidate layer input (keys '<net>/<layer>') from utterances "
      "[(samples, sample_rate, name)] run through the streaming pipeline.");
  m.def("table_for_net", &table_for_net, py::arg("table"), py::arg("net"),
        "The rows of one net with the '<net>/' prefix removed.");
}

}  // namespace

void bind_calibration(py::module_& m) {
  py::list methods;
  for (auto t : {ThresholdMethod::kKl, ThresholdMethod::kAciq, ThresholdMethod::kMinMax, ThresholdMethod::kPercentile})
    methods.append(threshold_method_name(t));
  m.attr("CALIBRATION_METHODS") = methods;
  // ScaleTable first: a signature names its Python class only if it is bound by then (the
  // generated stub, python/ncasr/_core/__init__.pyi, would otherwise show the C++ type).
  bind_scale_table(m);
  bind_collector(m);  // before the runner, whose collect() takes one
  bind_runner(m);
  bind_kernels(m);
  bind_thresholds(m);
  bind_weights(m);
}

}  // namespace ncasr
