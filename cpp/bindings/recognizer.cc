// Bindings for Stream and Recognizer: argument conversion and GIL release only.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "common/errors.h"
#include "recognizer/recognizer.h"

namespace py = pybind11;

namespace ncasr {

void bind_recognizer(py::module_& m) {
  py::class_<FbankOptions>(m, "FbankOptions")
      .def(py::init<>())
      .def_readwrite("sample_rate", &FbankOptions::sample_rate)
      .def_readwrite("num_bins", &FbankOptions::num_bins)
      .def_readwrite("frame_shift_ms", &FbankOptions::frame_shift_ms)
      .def_readwrite("frame_length_ms", &FbankOptions::frame_length_ms)
      .def_readwrite("low_freq", &FbankOptions::low_freq)
      .def_readwrite("high_freq", &FbankOptions::high_freq);

  py::class_<RecognizerConfig>(m, "RecognizerConfig")
      .def(py::init<>())
      .def_readwrite("features", &RecognizerConfig::features)
      .def_property(
          "method", [](const RecognizerConfig& c) { return c.decoding.method; },
          [](RecognizerConfig& c, const std::string& v) { c.decoding.method = v; })
      .def_property(
          "num_active_paths", [](const RecognizerConfig& c) { return c.decoding.num_active_paths; },
          [](RecognizerConfig& c, int v) { c.decoding.num_active_paths = v; })
      .def_property(
          "hotwords", [](const RecognizerConfig& c) { return c.decoding.hotwords; },
          [](RecognizerConfig& c, const std::string& v) { c.decoding.hotwords = v; })
      .def_property(
          "hotwords_score", [](const RecognizerConfig& c) { return c.decoding.hotwords_score; },
          [](RecognizerConfig& c, float v) { c.decoding.hotwords_score = v; })
      .def("set_endpoint",
           [](RecognizerConfig& c, bool enabled, float r1, float r2, float r3) {
             c.endpoint.enabled = enabled;
             c.endpoint.rule1.min_trailing_silence = r1;
             c.endpoint.rule2.min_trailing_silence = r2;
             c.endpoint.rule3.min_utterance_length = r3;
           })
      .def_property(
          "num_threads", [](const RecognizerConfig& c) { return c.model.num_threads; },
          [](RecognizerConfig& c, int v) { c.model.num_threads = v; })
      .def_property(
          "use_fp16_storage", [](const RecognizerConfig& c) { return c.model.use_fp16_storage; },
          [](RecognizerConfig& c, bool v) { c.model.use_fp16_storage = v; })
      .def_property(
          "zipformer_encoder_fp16_weights",
          [](const RecognizerConfig& c) { return c.model.zipformer_encoder_fp16_weights; },
          [](RecognizerConfig& c, bool v) { c.model.zipformer_encoder_fp16_weights = v; })
      .def_property(
          "pointwise_conv1d_as_gemm",
          [](const RecognizerConfig& c) { return c.model.pointwise_conv1d_as_gemm; },
          [](RecognizerConfig& c, bool v) { c.model.pointwise_conv1d_as_gemm = v; })
      .def_property(
          "depthwise_conv1d_simd",
          [](const RecognizerConfig& c) { return c.model.depthwise_conv1d_simd; },
          [](RecognizerConfig& c, bool v) { c.model.depthwise_conv1d_simd = v; })
      .def_property(
          "depthwise_conv1d_int8",
          [](const RecognizerConfig& c) { return c.model.depthwise_conv1d_int8; },
          [](RecognizerConfig& c, bool v) { c.model.depthwise_conv1d_int8 = v; })
      .def_property(
          "int8_gemm_ncasr", [](const RecognizerConfig& c) { return c.model.int8_gemm_ncasr; },
          [](RecognizerConfig& c, bool v) { c.model.int8_gemm_ncasr = v; })
      .def_property(
          "lstm_int8_ncasr", [](const RecognizerConfig& c) { return c.model.lstm_int8_ncasr; },
          [](RecognizerConfig& c, bool v) { c.model.lstm_int8_ncasr = v; })
      .def_property(
          "lstm_fp16_weights", [](const RecognizerConfig& c) { return c.model.lstm_fp16_weights; },
          [](RecognizerConfig& c, bool v) { c.model.lstm_fp16_weights = v; })
      .def_property(
          "glu_simd", [](const RecognizerConfig& c) { return c.model.glu_simd; },
          [](RecognizerConfig& c, bool v) { c.model.glu_simd = v; })
      .def_property(
          "fuse_double_swish", [](const RecognizerConfig& c) { return c.model.fuse_double_swish; },
          [](RecognizerConfig& c, bool v) { c.model.fuse_double_swish = v; })
      .def_property(
          "fuse_basic_norm", [](const RecognizerConfig& c) { return c.model.fuse_basic_norm; },
          [](RecognizerConfig& c, bool v) { c.model.fuse_basic_norm = v; })
      .def_property(
          "lstm_fp32_panels", [](const RecognizerConfig& c) { return c.model.lstm_fp32_panels; },
          [](RecognizerConfig& c, bool v) { c.model.lstm_fp32_panels = v; })
      .def_property(
          "inner_product_panels", [](const RecognizerConfig& c) { return c.model.inner_product_panels; },
          [](RecognizerConfig& c, bool v) { c.model.inner_product_panels = v; })
      .def_property(
          "unstack_states", [](const RecognizerConfig& c) { return c.model.unstack_states; },
          [](RecognizerConfig& c, bool v) { c.model.unstack_states = v; })
      .def_property(
          "blob_pool", [](const RecognizerConfig& c) { return c.model.blob_pool; },
          [](RecognizerConfig& c, bool v) { c.model.blob_pool = v; })
      .def_property(
          "variant", [](const RecognizerConfig& c) { return c.model.variant; },
          [](RecognizerConfig& c, const std::string& v) { c.model.variant = v; })
      .def_readwrite("record_margins", &RecognizerConfig::record_margins)
      .def("validate", &RecognizerConfig::validate);

  py::class_<Stream, std::shared_ptr<Stream>>(m, "Stream")
      .def(
          "accept_waveform",
          [](Stream& s, int sample_rate, py::array_t<float, py::array::c_style> samples) {
            if (samples.ndim() != 1) throw AudioError("samples must be a 1-D array");
            const float* p = samples.data();
            size_t n = static_cast<size_t>(samples.shape(0));
            py::gil_scoped_release release;
            s.accept_waveform(sample_rate, p, n);
          },
          py::arg("sample_rate"), py::arg("samples"))
      .def("input_finished", &Stream::input_finished, py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("is_input_finished", &Stream::is_input_finished);

  py::class_<Recognizer>(m, "Recognizer")
      .def(py::init([](const std::string& dir, const RecognizerConfig& config) {
             py::gil_scoped_release release;
             return std::make_unique<Recognizer>(ModelFiles::find(dir, config.model.variant), config);
           }),
           py::arg("model_dir"), py::arg("config"))
      .def("create_stream",
           [](const Recognizer& r) { return std::shared_ptr<Stream>(r.create_stream()); })
      .def("is_ready", &Recognizer::is_ready, py::call_guard<py::gil_scoped_release>())
      .def("decode", py::overload_cast<Stream&>(&Recognizer::decode, py::const_),
           py::call_guard<py::gil_scoped_release>())
      .def(
          "decode_many",
          [](const Recognizer& r, const std::vector<std::shared_ptr<Stream>>& streams, int workers) {
            std::vector<Stream*> raw;
            for (const auto& s : streams) raw.push_back(s.get());
            py::gil_scoped_release release;
            r.decode(raw, workers);
          },
          py::arg("streams"), py::arg("num_workers"))
      .def(
          "result",
          [](const Recognizer& r, const Stream& s) {
            RecognitionResult res;
            {
              py::gil_scoped_release release;
              res = r.result(s);
            }
            py::dict d;
            d["text"] = res.text;
            d["token_ids"] = res.token_ids;
            d["tokens"] = res.tokens;
            d["timestamps"] = res.timestamps;
            d["segment"] = res.segment;
            d["is_final"] = res.is_final;
            return d;
          })
      .def("is_endpoint", &Recognizer::is_endpoint, py::call_guard<py::gil_scoped_release>())
      .def("reset", &Recognizer::reset, py::call_guard<py::gil_scoped_release>())
      .def("margins", &Recognizer::margins, py::call_guard<py::gil_scoped_release>())
      .def(
          "encode",
          [](const Recognizer& r, py::array_t<float, py::array::c_style> feats) {
            // Runs the encoder over (frames, dim) features in segment/offset chunks with
            // carried states, exactly as a stream does; returns one array per chunk.
            if (feats.ndim() != 2) throw ConfigError("features must be (frames, dim)");
            const auto& spec = r.model().spec();
            const int n = static_cast<int>(feats.shape(0)), dim = static_cast<int>(feats.shape(1));
            std::vector<ncnn::Mat> outs;
            {
              py::gil_scoped_release release;
              std::vector<ncnn::Mat> states = r.model().initial_states();
              for (int start = 0; start + spec.segment <= n; start += spec.offset) {
                ncnn::Mat chunk(dim, spec.segment);
                std::memcpy(chunk.data, feats.data(start, 0), sizeof(float) * dim * spec.segment);
                outs.push_back(r.model().run_encoder(chunk, &states).clone());
              }
            }
            py::list result;
            for (const auto& o : outs) {
              py::array_t<float> a({o.h, o.w});
              for (int y = 0; y < o.h; ++y)
                std::memcpy(a.mutable_data(y, 0), o.row(y), sizeof(float) * o.w);
              result.append(a);
            }
            return result;
          },
          py::arg("features"))
      .def_property_readonly("model_type",
                             [](const Recognizer& r) { return model_type_name(r.model().meta().type); })
      .def_property_readonly("segment", [](const Recognizer& r) { return r.model().spec().segment; })
      .def_property_readonly("offset", [](const Recognizer& r) { return r.model().spec().offset; })
      .def_property_readonly("vocab_size", [](const Recognizer& r) { return r.model().vocab_size(); })
      .def_property_readonly("encoder_overrides",
                             [](const Recognizer& r) { return r.model().encoder_overrides(); })
      .def_property_readonly(
          "encoder_state_count",
          // Tensors a stream carries between encoder calls (more when states are per layer).
          [](const Recognizer& r) { return r.model().initial_states().size(); })
      .def_property_readonly("encoder_states_per_layer",
                             [](const Recognizer& r) { return r.model().states_per_layer(); })
      .def_property_readonly("sample_rate",
                             [](const Recognizer& r) { return r.config().features.sample_rate; });
}

}  // namespace ncasr
