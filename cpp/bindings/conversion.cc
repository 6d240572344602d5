// Binding for the int8 converter: a conversion plan for a model folder (probe run, table,
// exclusions), then one call per net; a report dict out.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>

#include "calibration/activation_runner.h"
#include "common/errors.h"
#include "conversion/conversion_plan.h"
#include "conversion/int8_converter.h"

namespace py = pybind11;

namespace ncasr {
namespace {

struct ConversionPlan {
  std::map<std::string, ConvertOptions> nets;
};

py::dict report_dict(const ConvertReport& r) {
  py::list layers;
  for (const auto& l : r.layers)
    layers.append(py::dict(py::arg("name") = l.name, py::arg("type") = l.type,
                           py::arg("action") = l.action, py::arg("bytes_in") = l.bytes_in,
                           py::arg("bytes_out") = l.bytes_out, py::arg("blobs_in") = l.blobs_in));
  return py::dict(py::arg("layers") = layers, py::arg("bytes_in") = r.bytes_in,
                  py::arg("bytes_out") = r.bytes_out, py::arg("quantized") = r.quantized);
}

}  // namespace

void bind_conversion(py::module_& m) {
  m.attr("NCASR_ONLY_FILE") = kNcasrOnlyFile;
  m.def("ncasr_only_note", &ncasr_only_note, py::arg("layers"),
        "Text of the NCASR-ONLY.txt an int8 folder gets when it uses ncasr's own layers.");
  py::class_<ConversionPlan>(m, "ConversionPlan")
      .def(py::init([](const std::string& model_dir, const ScaleTable* table,
                       const std::set<std::string>& exclude_layers,
                       const std::set<std::string>& exclude_types, bool fp16_storage, bool ncasr_int8_gemm,
                       bool ncasr_int8_depthwise) {
             py::gil_scoped_release release;
             ActivationRunner runner(ModelFiles::find(model_dir, "float"));
             auto plan = std::make_unique<ConversionPlan>();
             plan->nets = plan_conversion(runner, table, exclude_layers, exclude_types, fp16_storage, ncasr_int8_gemm,
                                           ncasr_int8_depthwise);
             return plan;
           }),
           py::arg("model_dir"), py::arg("table") = nullptr,
           py::arg("exclude_layers") = std::set<std::string>(),
           py::arg("exclude_types") = std::set<std::string>(), py::arg("fp16_storage") = false,
           py::arg("ncasr_int8_gemm") = false, py::arg("ncasr_int8_depthwise") = false)
      .def(
          "convert",
          [](const ConversionPlan& plan, const std::string& net, const std::string& param_in,
             const std::string& bin_in, const std::string& param_out, const std::string& bin_out) {
            const auto it = plan.nets.find(net);
            if (it == plan.nets.end()) throw ConfigError("unknown net '" + net + "'");
            ConvertReport r;
            {
              py::gil_scoped_release release;
              r = convert_net_int8(param_in, bin_in, param_out, bin_out, it->second);
            }
            return report_dict(r);
          },
          py::arg("net"), py::arg("param_in"), py::arg("bin_in"), py::arg("param_out"), py::arg("bin_out"),
          "Write an int8 version of one net (encoder, decoder or joiner) with this plan's options.");
}

}  // namespace ncasr
