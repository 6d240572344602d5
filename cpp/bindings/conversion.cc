// Bindings for int8 conversion: the conversion options, and one call that plans (probe run,
// table checks, exclusions) and writes a whole int8 model folder; a list of per-net report
// dicts out (Python's QuantizeReport is built from them).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "calibration/activation_runner.h"
#include "common/errors.h"
#include "conversion/conversion_plan.h"
#include "conversion/int8_model_writer.h"

namespace py = pybind11;

namespace ncasr {
namespace {

py::dict net_dict(const NetConversion& c) {
  py::list layers;
  for (const auto& l : c.report.layers)
    layers.append(py::dict(py::arg("name") = l.name, py::arg("type") = l.type,
                           py::arg("outcome") = to_string(l.outcome), py::arg("int8_type") = l.int8_type,
                           py::arg("reason") = l.reason, py::arg("bytes_in") = l.bytes_in,
                           py::arg("bytes_out") = l.bytes_out));
  return py::dict(py::arg("net") = c.net, py::arg("file") = c.bin_file, py::arg("layers") = layers,
                  py::arg("bytes_in") = c.report.bytes_in, py::arg("bytes_out") = c.report.bytes_out,
                  py::arg("quantized") = c.report.quantized);
}

}  // namespace

void bind_conversion(py::module_& m) {
  m.attr("NCASR_ONLY_FILE") = kNcasrOnlyFile;
  py::list outcomes;
  for (auto o : {LayerOutcome::kInt8, LayerOutcome::kExcluded, LayerOutcome::kKeptFloat}) outcomes.append(to_string(o));
  m.attr("LAYER_OUTCOMES") = outcomes;

  py::class_<ConversionOptions>(m, "ConversionOptions", "The conversion part of ncasr.QuantizeOptions (see there).")
      .def(py::init([](const std::set<std::string>& exclude_layers, const std::set<std::string>& exclude_types,
                       bool fp16_storage, bool ncasr_int8_gemm, bool ncasr_int8_depthwise) {
             return ConversionOptions{exclude_layers, exclude_types, fp16_storage, ncasr_int8_gemm,
                                      ncasr_int8_depthwise};
           }),
           py::kw_only(), py::arg("exclude_layers") = std::set<std::string>(),
           py::arg("exclude_types") = std::set<std::string>(), py::arg("fp16_storage") = false,
           py::arg("ncasr_int8_gemm") = false, py::arg("ncasr_int8_depthwise") = false)
      .def_readwrite("exclude_layers", &ConversionOptions::exclude_layers)
      .def_readwrite("exclude_types", &ConversionOptions::exclude_types)
      .def_readwrite("fp16_storage", &ConversionOptions::fp16_storage)
      .def_readwrite("ncasr_int8_gemm", &ConversionOptions::ncasr_int8_gemm)
      .def_readwrite("ncasr_int8_depthwise", &ConversionOptions::ncasr_int8_depthwise);

  m.def("check_int8_out_dir", &check_int8_out_dir, py::arg("model_dir"), py::arg("out_dir"),
        py::arg("overwrite") = false,
        "ConfigError when out_dir is the model folder or inside it, or not empty without overwrite.");
  m.def(
      "write_int8_model",
      [](const std::string& model_dir, const std::string& out_dir, const ScaleTable* table,
         const ConversionOptions& options, bool overwrite) {
        std::vector<NetConversion> nets;
        {
          py::gil_scoped_release release;
          const ModelFiles files = ModelFiles::find(model_dir, "float");
          check_int8_out_dir(files.dir, out_dir, overwrite);
          const ActivationRunner runner(files);
          nets = write_int8_model(files, plan_conversion(runner, files, table, options), out_dir, table, overwrite);
        }
        py::list out;
        for (const auto& c : nets) out.append(net_dict(c));
        return out;
      },
      py::arg("model_dir"), py::arg("out_dir"), py::arg("table"), py::arg("options"), py::arg("overwrite") = false,
      "Plan and write the int8 copy of a float model folder; one report dict per net.");
}

}  // namespace ncasr
