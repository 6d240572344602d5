// Bindings for the fbank extractor and resampler (used by tests, tools and calibration).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>

#include "common/errors.h"
#include "features/fbank.h"
#include "features/resampler.h"

namespace py = pybind11;

namespace ncasr {

void bind_features(py::module_& m) {
  py::class_<OnlineFbank>(m, "OnlineFbank")
      .def(py::init([](const FbankOptions& o) {
             try {
               return std::make_unique<OnlineFbank>(o);
             } catch (const std::invalid_argument& e) {
               throw ConfigError(std::string("features: ") + e.what());
             }
           }),
           py::arg("options"))
      .def(
          "accept_waveform",
          [](OnlineFbank& f, py::array_t<float, py::array::c_style | py::array::forcecast> x) {
            const float* p = x.data();
            size_t n = static_cast<size_t>(x.size());
            py::gil_scoped_release release;
            f.accept_waveform(p, n);
          },
          py::arg("samples"))
      .def("input_finished", &OnlineFbank::input_finished)
      .def_property_readonly("num_frames_ready", &OnlineFbank::num_frames_ready)
      .def_property_readonly("dim", &OnlineFbank::dim)
      .def("pop", &OnlineFbank::pop, py::arg("before"))
      .def(
          "frames",
          [](const OnlineFbank& f, int start, int count) {
            py::array_t<float> a({count, f.dim()});
            for (int i = 0; i < count; ++i)
              std::memcpy(a.mutable_data(i, 0), f.frame(start + i), sizeof(float) * f.dim());
            return a;
          },
          py::arg("start"), py::arg("count"));

  py::class_<LinearResampler>(m, "LinearResampler")
      .def(py::init<int, int>(), py::arg("input_rate"), py::arg("output_rate"))
      .def(
          "resample",
          [](LinearResampler& r, py::array_t<float, py::array::c_style | py::array::forcecast> x, bool flush) {
            std::vector<float> out;
            r.resample(x.data(), static_cast<size_t>(x.size()), flush, &out);
            return py::array_t<float>(out.size(), out.data());
          },
          py::arg("samples"), py::arg("flush") = false);
}

}  // namespace ncasr
