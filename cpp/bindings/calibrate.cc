// Binding for the calibration runner: targets out, and a plain absmax observer (the first
// pass of ncnn2table's KL method) so the pipeline can be checked on its own.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>

#include "calibrate/activation_runner.h"

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
          "Per target: the largest |input| seen on this utterance, and how many times it ran.");
}

}  // namespace ncasr
