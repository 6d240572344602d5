// Bindings for Stream and Recognizer: argument conversion and GIL release only.
#include "recognizer/recognizer.h"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>

#include "common/errors.h"

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

  // One line per field of RuntimeOptions (model/runtime_options.h); nothing else names them.
  py::class_<RuntimeOptions>(m, "RuntimeOptions")
      .def(py::init<>())
      .def_static("fastest", &RuntimeOptions::fastest)
      .def_static("sherpa_ncnn", &RuntimeOptions::sherpa_ncnn)
      .def_readwrite("num_threads", &RuntimeOptions::num_threads)
      .def_readwrite("use_fp16_storage", &RuntimeOptions::use_fp16_storage)
      .def_readwrite("zipformer_encoder_fp16_weights", &RuntimeOptions::zipformer_encoder_fp16_weights)
      .def_readwrite("pointwise_conv1d_as_gemm", &RuntimeOptions::pointwise_conv1d_as_gemm)
      .def_readwrite("depthwise_conv1d_simd", &RuntimeOptions::depthwise_conv1d_simd)
      .def_readwrite("depthwise_conv1d_int8", &RuntimeOptions::depthwise_conv1d_int8)
      .def_readwrite("glu_simd", &RuntimeOptions::glu_simd)
      .def_readwrite("fuse_double_swish", &RuntimeOptions::fuse_double_swish)
      .def_readwrite("fuse_basic_norm", &RuntimeOptions::fuse_basic_norm)
      .def_readwrite("int8_gemm_ncasr", &RuntimeOptions::int8_gemm_ncasr)
      .def_readwrite("lstm_int8_ncasr", &RuntimeOptions::lstm_int8_ncasr)
      .def_readwrite("lstm_fp16_weights", &RuntimeOptions::lstm_fp16_weights)
      .def_readwrite("lstm_fp32_panels", &RuntimeOptions::lstm_fp32_panels)
      .def_readwrite("inner_product_panels", &RuntimeOptions::inner_product_panels)
      .def_readwrite("blob_pool", &RuntimeOptions::blob_pool)
      .def_readwrite("unstack_states", &RuntimeOptions::unstack_states)
      .def_readwrite("max_chunks_per_call", &RuntimeOptions::max_chunks_per_call);

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
      .def(
          "set_endpoint",
          [](RecognizerConfig& c, bool enabled, float r1, float r2, float r3) {
            c.endpoint.enabled = enabled;
            c.endpoint.rule1.min_trailing_silence = r1;
            c.endpoint.rule2.min_trailing_silence = r2;
            c.endpoint.rule3.min_utterance_length = r3;
          },
          py::arg("enabled"), py::arg("rule1_min_trailing_silence"), py::arg("rule2_min_trailing_silence"),
          py::arg("rule3_min_utterance_length"))
      .def_property("runtime",
                    py::cpp_function([](RecognizerConfig& c) -> RuntimeOptions& { return c.model.runtime; },
                                     py::return_value_policy::reference_internal),
                    [](RecognizerConfig& c, const RuntimeOptions& v) { c.model.runtime = v; })
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
      .def_property_readonly("is_input_finished", &Stream::is_input_finished)
      .def_property_readonly("encoder_calls", &Stream::encoder_calls);

  py::class_<Recognizer>(m, "Recognizer")
      .def(py::init([](const std::string& dir, const RecognizerConfig& config) {
             py::gil_scoped_release release;
             return std::make_unique<Recognizer>(ModelFiles::find(dir, config.model.variant), config);
           }),
           py::arg("model_dir"), py::arg("config"))
      .def(
          "with_settings",
          [](const Recognizer& r, const std::string& method, int num_active_paths, const std::string& hotwords,
             float hotwords_score, bool endpoint_enabled, float rule1, float rule2, float rule3) {
            DecodingConfig d;
            d.method = method;
            d.num_active_paths = num_active_paths;
            d.hotwords = hotwords;
            d.hotwords_score = hotwords_score;
            EndpointConfig e = r.config().endpoint;
            e.enabled = endpoint_enabled;
            e.rule1.min_trailing_silence = rule1;
            e.rule2.min_trailing_silence = rule2;
            e.rule3.min_utterance_length = rule3;
            py::gil_scoped_release release;
            return r.with_settings(d, e);
          },
          py::arg("method"), py::arg("num_active_paths"), py::arg("hotwords"), py::arg("hotwords_score"),
          py::arg("endpoint_enabled"), py::arg("rule1"), py::arg("rule2"), py::arg("rule3"),
          "A recognizer sharing this one's loaded model, with other decoding and endpoint settings.")
      .def("create_stream", [](const Recognizer& r) { return std::shared_ptr<Stream>(r.create_stream()); })
      .def("is_ready", &Recognizer::is_ready, py::arg("stream"), py::call_guard<py::gil_scoped_release>())
      .def("decode", py::overload_cast<Stream&>(&Recognizer::decode, py::const_), py::arg("stream"),
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
          },
          py::arg("stream"))
      .def("is_endpoint", &Recognizer::is_endpoint, py::arg("stream"), py::call_guard<py::gil_scoped_release>())
      .def("reset", &Recognizer::reset, py::arg("stream"), py::call_guard<py::gil_scoped_release>())
      .def("margins", &Recognizer::margins, py::arg("stream"), py::call_guard<py::gil_scoped_release>())
      .def(
          "encode",
          [](const Recognizer& r, py::array_t<float, py::array::c_style> feats, int chunks_per_call) {
            // Runs the encoder over (frames, dim) features in segment/offset chunks with
            // carried states, exactly as a stream does; returns one array per call. With
            // chunks_per_call > 1 (encoders that join chunks), each call takes up to that many.
            if (feats.ndim() != 2) throw ConfigError("features must be (frames, dim)");
            if (chunks_per_call < 1) throw ConfigError("chunks_per_call must be >= 1");
            const auto& spec = r.model().spec();
            if (chunks_per_call > 1 && !spec.joins_chunks)
              throw ConfigError(std::string("a ") + model_type_name(r.model().meta().type) +
                                " encoder runs one chunk per call (chunks_per_call must be 1)");
            const int n = static_cast<int>(feats.shape(0)), dim = static_cast<int>(feats.shape(1));
            std::vector<ncnn::Mat> outs;
            {
              py::gil_scoped_release release;
              std::vector<ncnn::Mat> states = r.model().initial_states();
              for (int start = 0; start + spec.segment <= n;) {
                const int chunks = std::min(chunks_per_call, (n - start - spec.segment) / spec.offset + 1);
                const int rows = spec.frames_for(chunks);
                ncnn::Mat chunk(dim, rows);
                std::memcpy(chunk.data, feats.data(start, 0), sizeof(float) * dim * rows);
                outs.push_back(r.model().run_encoder(chunk, &states).clone());
                start += chunks * spec.offset;
              }
            }
            py::list result;
            for (const auto& o : outs) {
              py::array_t<float> a({o.h, o.w});
              for (int y = 0; y < o.h; ++y) std::memcpy(a.mutable_data(y, 0), o.row(y), sizeof(float) * o.w);
              result.append(a);
            }
            return result;
          },
          py::arg("features"), py::arg("chunks_per_call") = 1)
      .def_property_readonly("model_type", [](const Recognizer& r) { return model_type_name(r.model().meta().type); })
      .def_property_readonly("segment", [](const Recognizer& r) { return r.model().spec().segment; })
      .def_property_readonly("offset", [](const Recognizer& r) { return r.model().spec().offset; })
      .def_property_readonly("vocab_size", [](const Recognizer& r) { return r.model().vocab_size(); })
      .def_property_readonly("encoder_overrides", [](const Recognizer& r) { return r.model().encoder_overrides(); })
      .def_property_readonly("encoder_state_count",
                             // Tensors a stream carries between encoder calls (more when states are per layer).
                             [](const Recognizer& r) { return r.model().initial_states().size(); })
      .def_property_readonly("encoder_states_per_layer",
                             [](const Recognizer& r) { return r.model().states_per_layer(); })
      .def_property_readonly("sample_rate", [](const Recognizer& r) { return r.config().features.sample_rate; });
}

}  // namespace ncasr
