// Bindings for model inspection: plain dicts out, no logic here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "model/inspect.h"
#include "model/meta_data.h"

namespace py = pybind11;

namespace ncasr {
namespace {

py::dict meta_to_dict(const ModelMetaData& m) {
  py::dict raw;
  for (const auto& [k, v] : m.ints) raw[py::int_(k)] = v;
  for (const auto& [k, v] : m.arrays) raw[py::int_(k)] = v;
  for (const auto& [k, v] : m.floats) raw[py::int_(k)] = v;
  py::dict named;
  for (const auto& [k, v] : m.named()) named[py::str(k)] = v;
  py::dict d;
  d["model_type"] = model_type_name(m.type);
  d["raw"] = raw;
  d["named"] = named;
  return d;
}

py::dict net_to_dict(const NetInfo& n) {
  py::dict d;
  d["param"] = n.param_path;
  d["bin"] = n.bin_path.empty() ? py::object(py::none()) : py::object(py::str(n.bin_path));
  d["layer_count"] = n.layer_count;
  d["blob_count"] = n.blob_count;
  d["layer_types"] = n.layer_types;
  d["weight_bytes"] = n.weight_bytes < 0 ? py::object(py::none()) : py::object(py::int_(n.weight_bytes));
  return d;
}

}  // namespace

void bind_model(py::module_& m) {
  m.def(
      "read_meta_data",
      [](const std::string& encoder_param) { return meta_to_dict(ModelMetaData::read(encoder_param)); },
      py::arg("encoder_param"), py::call_guard<py::gil_scoped_release>(),
      "Metadata of an encoder .param (validated) as a dict.");
  m.def(
      "inspect_model",
      [](const std::string& dir, const std::string& variant) {
        ModelInfo info;
        {
          py::gil_scoped_release release;
          info = inspect_model(dir, variant);
        }
        py::dict d;
        d["dir"] = info.files.dir;
        d["model_type"] = model_type_name(info.meta.type);
        d["meta_data"] = meta_to_dict(info.meta);
        d["encoder"] = net_to_dict(info.encoder);
        d["decoder"] = net_to_dict(info.decoder);
        d["joiner"] = net_to_dict(info.joiner);
        d["tokens"] = info.files.tokens.empty() ? py::object(py::none()) : py::object(py::str(info.files.tokens));
        d["vocab_size"] = info.vocab_size < 0 ? py::object(py::none()) : py::object(py::int_(info.vocab_size));
        return d;
      },
      py::arg("model_dir"), py::arg("variant") = "",
      "Loads every net of a model folder and returns its type, metadata and statistics.");
}

}  // namespace ncasr
