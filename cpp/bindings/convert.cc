// Binding for the int8 converter: arguments in, a report dict out.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "convert/int8_converter.h"

namespace py = pybind11;

namespace ncasr {

void bind_convert(py::module_& m) {
  m.def(
      "convert_net_int8",
      [](const std::string& param_in, const std::string& bin_in, const std::string& param_out,
         const std::string& bin_out, const std::set<std::string>& exclude_layers,
         const std::set<std::string>& exclude_types, const std::map<std::string, int>& row_input_widths,
         const std::map<std::string, float>& input_scales, bool fp16_storage) {
        ConvertReport r;
        {
          py::gil_scoped_release release;
          r = convert_net_int8(param_in, bin_in, param_out, bin_out,
                               {exclude_layers, exclude_types, row_input_widths, input_scales, fp16_storage});
        }
        py::list layers;
        for (const auto& l : r.layers)
          layers.append(py::dict(py::arg("name") = l.name, py::arg("type") = l.type,
                                 py::arg("action") = l.action, py::arg("bytes_in") = l.bytes_in,
                                 py::arg("bytes_out") = l.bytes_out, py::arg("blobs_in") = l.blobs_in));
        return py::dict(py::arg("layers") = layers, py::arg("bytes_in") = r.bytes_in,
                        py::arg("bytes_out") = r.bytes_out, py::arg("quantized") = r.quantized);
      },
      py::arg("param_in"), py::arg("bin_in"), py::arg("param_out"), py::arg("bin_out"),
      py::arg("exclude_layers") = std::set<std::string>(),
      py::arg("exclude_types") = std::set<std::string>(),
      py::arg("row_input_widths") = std::map<std::string, int>(),
      py::arg("input_scales") = std::map<std::string, float>(), py::arg("fp16_storage") = false);
}

}  // namespace ncasr
