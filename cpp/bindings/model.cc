// Bindings for model inspection: plain dicts out, no logic here.
#include <net.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "common/errors.h"
#include "model/inspect.h"
#include "model/meta_data.h"
#include "model/meta_data_writer.h"
#include "model/random_weights.h"
#include "model/weight_map.h"
#include "runtime/net_loader.h"

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
      [](const std::string& encoder_param) {
        ModelMetaData meta;
        {
          py::gil_scoped_release release;  // Python objects are built below, with the GIL
          meta = ModelMetaData::read(encoder_param);
        }
        return meta_to_dict(meta);
      },
      py::arg("encoder_param"), "Metadata of an encoder .param (validated) as a dict.");
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
        d["disambiguation_symbols"] = info.disambiguation_symbols;
        return d;
      },
      py::arg("model_dir"), py::arg("variant") = "",
      "Loads every net of a model folder and returns its type, metadata and statistics.");
  m.def(
      "run_net",
      [](const std::string& param, const std::string& bin, const py::dict& inputs,
         const std::vector<std::string>& outputs, bool fp16, int num_threads, const std::vector<std::string>& overrides,
         int repeats) {
        // Runs one net on named inputs and returns named blobs: a probe for tests and
        // tools that need intermediate values. Arrays are read in ncnn's (c, h, w) order.
        // With repeats > 0 the whole run (inputs in, outputs out) is repeated that many more
        // times and "seconds" lists each repeat's wall time: per-layer benchmarks.
        ncnn::Net net;
        net.opt.use_vulkan_compute = false;
        net.opt.num_threads = num_threads;
        net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = net.opt.use_fp16_packed = fp16;
        NetLoadOptions lo;
        for (const auto& o : overrides) {
          if (o == "pointwise_conv1d")
            lo.layers.pointwise_conv1d_as_gemm = true;
          else if (o == "depthwise_conv1d")
            lo.layers.depthwise_conv1d_simd = true;
          else if (o == "depthwise_conv1d_int8")
            lo.layers.depthwise_conv1d_int8 = true;
          else if (o == "int8_gemm")
            lo.layers.int8_gemm_ncasr = true;
          else if (o == "lstm_int8")
            lo.layers.lstm_int8_ncasr = true;
          else if (o == "lstm_fp16")
            lo.layers.lstm_fp16_weights = true;
          else if (o == "lstm_fp32")
            lo.layers.lstm_fp32_panels = true;
          else if (o == "inner_product")
            lo.layers.inner_product_panels = true;
          else if (o == "glu")
            lo.layers.glu_simd = true;
          else if (o == "double_swish")
            lo.layers.fuse_double_swish = true;
          else if (o == "basic_norm")
            lo.layers.fuse_basic_norm = true;
          else
            throw ConfigError("run_net: unknown override '" + o +
                              "' (pointwise_conv1d, depthwise_conv1d, depthwise_conv1d_int8, int8_gemm, lstm_int8, "
                              "lstm_fp16, lstm_fp32, inner_product, glu, "
                              "double_swish, basic_norm)");
        }
        const NetLoadResult loaded = load_net(net, param, bin, lo);
        std::vector<std::pair<std::string, ncnn::Mat>> in_mats;
        for (auto item : inputs) {
          auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(item.second);
          if (!a || a.ndim() < 1 || a.ndim() > 3)
            throw ConfigError("run_net: inputs must be 1-3 dimensional float arrays");
          ncnn::Mat m;
          const int d0 = static_cast<int>(a.shape(0));
          const int d1 = a.ndim() > 1 ? static_cast<int>(a.shape(1)) : 1;
          const int d2 = a.ndim() > 2 ? static_cast<int>(a.shape(2)) : 1;
          if (a.ndim() == 1)
            m.create(d0);
          else if (a.ndim() == 2)
            m.create(d1, d0);
          else
            m.create(d2, d1, d0);
          const float* src = a.data();
          const int plane = a.ndim() == 3 ? d1 * d2 : static_cast<int>(a.size());
          for (int q = 0; q < (a.ndim() == 3 ? d0 : 1); ++q)
            std::memcpy(m.channel(q), src + q * plane, sizeof(float) * plane);
          in_mats.emplace_back(py::str(item.first).cast<std::string>(), m);
        }
        std::vector<ncnn::Mat> results(outputs.size());
        std::vector<double> seconds;
        {
          py::gil_scoped_release release;
          for (int r = 0; r <= std::max(0, repeats); ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            ncnn::Extractor ex = net.create_extractor();
            for (const auto& [name, mat] : in_mats)
              if (ex.input(name.c_str(), mat) != 0)
                throw ConfigError("run_net: the net has no input blob '" + name + "'");
            for (size_t i = 0; i < outputs.size(); ++i)
              if (ex.extract(outputs[i].c_str(), results[i]) != 0)
                throw Error("cannot extract blob '" + outputs[i] + "'");
            if (r > 0) seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
          }
        }
        py::dict out;
        for (size_t i = 0; i < outputs.size(); ++i) {
          const ncnn::Mat& m = results[i];
          std::vector<py::ssize_t> shape;
          if (m.dims == 3)
            shape = {m.c, m.h, m.w};
          else if (m.dims == 2)
            shape = {m.h, m.w};
          else
            shape = {m.w};
          py::array_t<float> a(shape);
          const int plane = m.w * (m.dims >= 2 ? m.h : 1);
          for (int q = 0; q < (m.dims == 3 ? m.c : 1); ++q)
            std::memcpy(a.mutable_data() + q * plane, m.channel(q), sizeof(float) * plane);
          out[py::str(outputs[i])] = a;
        }
        if (repeats > 0) out["seconds"] = seconds;
        if (!loaded.overrides.empty()) out["overrides"] = loaded.overrides;
        return out;
      },
      py::arg("param"), py::arg("bin"), py::arg("inputs"), py::arg("outputs"), py::arg("fp16") = false,
      py::arg("num_threads") = 1, py::arg("overrides") = std::vector<std::string>{}, py::arg("repeats") = 0);
  m.def(
      "write_meta_data",
      [](const std::string& param, const std::map<int, int>& ints, const std::map<int, std::vector<int>>& arrays,
         const std::map<int, float>& floats,
         const std::string& out) { write_meta_data(param, MetaDataValues{ints, arrays, floats}, out); },
      py::arg("param"), py::arg("ints"), py::arg("arrays"), py::arg("floats"), py::arg("out"),
      py::call_guard<py::gil_scoped_release>());
  m.def(
      "meta_key_ids", [](const std::string& type) { return ModelMetaData::key_ids(model_type_from_name(type)); },
      py::arg("model_type"));
  m.def(
      "weight_map",
      [](const std::string& param, const std::string& bin) {
        WeightMap map;
        {
          py::gil_scoped_release release;
          map = map_weights(param, bin);
        }
        py::list layers;
        for (const auto& l : map.layers) {
          py::list blobs;
          for (const auto& b : l.blobs)
            blobs.append(py::dict(py::arg("offset") = b.offset, py::arg("bytes") = b.bytes,
                                  py::arg("elements") = b.elements, py::arg("storage") = blob_storage_name(b.storage)));
          layers.append(py::dict(py::arg("index") = l.index, py::arg("type") = l.type, py::arg("name") = l.name,
                                 py::arg("blobs") = blobs));
        }
        return py::dict(py::arg("layers") = layers, py::arg("read_bytes") = map.read_bytes,
                        py::arg("file_bytes") = map.file_bytes);
      },
      py::arg("param"), py::arg("bin"),
      "Per-layer map of the .bin: offset, size, element count and storage of every blob.");
  m.def("write_random_weights", &write_random_weights, py::arg("param"), py::arg("bin"), py::arg("seed") = 0,
        py::arg("scale") = 0.05f, py::call_guard<py::gil_scoped_release>(),
        "Writes random fp32 weights for a .param (for timing full-size graphs).");
}

}  // namespace ncasr
