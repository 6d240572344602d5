// ncasr._core: the compiled core. Each bind_* lives in its own file, named after the Python
// module it serves; module.cc only assembles them.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/errors.h"
#include "common/build_info.h"
#include "threading/parallel_region_probe.h"

namespace py = pybind11;

namespace ncasr {
void bind_model(py::module_& m);
void bind_recognizer(py::module_& m);
void bind_decode(py::module_& m);
void bind_features(py::module_& m);
void bind_conversion(py::module_& m);
void bind_calibration(py::module_& m);
void bind_testing(py::module_& m);
}  // namespace ncasr

PYBIND11_MODULE(_core, m) {
  m.doc() = "ncasr core: ncnn models, features, decoding and quantization";
  m.attr("__version__") = NCASR_VERSION;
  ncasr::register_error_translator();
  m.def("build_info", [] {
    ncasr::BuildInfo b = ncasr::build_info();
    py::dict d;
    d["ncnn_version"] = b.ncnn_version;
    d["ncnn_origin"] = b.ncnn_origin;
    d["compiler"] = b.compiler;
    d["arch"] = b.arch;
    d["cpu_count"] = b.cpu_count;
    d["simd_active"] = b.simd_active;
    d["cpu_features"] = b.cpu_features;
    return d;
  });
  m.def(
      "probe_parallel_region",
      [](int num_threads, bool nested) {
        const ncasr::ParallelRegionReport r = ncasr::probe_parallel_region(num_threads, nested);
        py::dict d;
        d["threads"] = r.threads;
        d["level"] = r.level;
        d["iterations"] = r.iterations;
        d["sum"] = r.sum;
        d["fast_path_built"] = r.fast_path_built;
        return d;
      },
      py::arg("num_threads"), py::arg("nested") = false,
      "Runs one OpenMP parallel region as ncnn's layers do and reports what its body saw.");
  ncasr::bind_model(m);
  ncasr::bind_recognizer(m);
  ncasr::bind_decode(m);
  ncasr::bind_features(m);
  ncasr::bind_calibration(m);  // before conversion: write_int8_model takes a ScaleTable
  ncasr::bind_conversion(m);
  ncasr::bind_testing(m);
}
