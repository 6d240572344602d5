// Binding for the calibration runner: targets out, and a plain absmax observer (the first
// pass of ncnn2table's KL method) so the pipeline can be checked on its own.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "calibrate/activation_runner.h"
#include "calibrate/calibrator.h"
#include "calibrate/shape_probe.h"
#include "common/errors.h"

namespace py = pybind11;

namespace ncasr {

void bind_calibrate(py::module_& m) {
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
          [](const ActivationRunner& r, py::array_t<float, py::array::c_style | py::array::forcecast> x,
             int rate) {
            std::vector<float> absmax(r.targets().size(), 0.f);
            std::vector<long long> count(r.targets().size(), 0);
            {
              py::gil_scoped_release release;
              r.run(x.data(), static_cast<size_t>(x.size()), rate,
                    [&](size_t t, const ncnn::Mat& m) {
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
         const std::string& method, const std::string& collect, int bins, double percent,
         int num_workers, int num_threads, float tail_padding, py::object progress) {
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
                        py::arg("encoder_chunks") = r.encoder_chunks,
                        py::arg("audio_seconds") = r.audio_seconds);
      },
      py::arg("model_dir"), py::arg("utterances"), py::arg("method") = "kl",
      py::arg("collect") = "two_pass", py::arg("bins") = 2048, py::arg("percent") = 99.99,
      py::arg("num_workers") = 1, py::arg("num_threads") = 1, py::arg("tail_padding") = 0.5f,
      py::arg("progress") = py::none(),
      "Scale table of every int8-candidate layer input (keys '<net>/<layer>') from utterances "
      "[(samples, sample_rate, name)] run through the streaming pipeline.");
  m.def("table_for_net", &table_for_net, py::arg("table"), py::arg("net"),
        "The rows of one net with the '<net>/' prefix removed.");
}

}  // namespace ncasr
