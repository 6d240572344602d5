// Bindings for decoding pieces that tests and tools use on their own: endpoint rules and
// the hotword graph.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <tuple>

#include "decode/context_graph.h"
#include "decode/endpoint.h"
#include "model/tokens.h"

namespace py = pybind11;

namespace ncasr {

void bind_decode(py::module_& m) {
  m.def(
      "endpoint_detected",
      [](float utterance_length, float trailing_silence, float rule1, float rule2, float rule3) {
        EndpointConfig c;
        c.rule1.min_trailing_silence = rule1;
        c.rule2.min_trailing_silence = rule2;
        c.rule3.min_utterance_length = rule3;
        c.validate();
        return endpoint_detected(c, utterance_length, trailing_silence);
      },
      py::arg("utterance_length"), py::arg("trailing_silence"), py::arg("rule1") = 2.4f, py::arg("rule2") = 1.2f,
      py::arg("rule3") = 20.f);

  py::class_<ContextGraph>(m, "ContextGraph")
      .def(py::init([](const std::vector<std::pair<std::vector<int>, float>>& words) {
             std::vector<Hotword> hw;
             for (const auto& [tokens, score] : words) hw.push_back({tokens, score});
             return std::make_unique<ContextGraph>(hw);
           }),
           py::arg("hotwords"))
      .def_static(
          "parse",
          [](const std::string& text, const std::string& tokens_path, float default_score) {
            SymbolTable t = SymbolTable::load(tokens_path);
            std::vector<std::pair<std::vector<int>, float>> out;
            for (const auto& h : ContextGraph::parse(text, t, default_score, "hotwords"))
              out.emplace_back(h.tokens, h.score);
            return out;
          },
          py::arg("text"), py::arg("tokens_path"), py::arg("default_score") = 1.5f)
      .def(
          "forward",
          [](const ContextGraph& g, int state, double pending, int token) {
            double delta = g.forward_one_step(&state, &pending, token);
            return std::make_tuple(delta, state, pending);
          },
          py::arg("state"), py::arg("pending"), py::arg("token"),
          "One token: returns (score delta, next state, pending bonus).")
      .def("finalize", &ContextGraph::finalize, py::arg("pending"))
      .def_property_readonly("num_nodes", &ContextGraph::num_nodes);
}

}  // namespace ncasr
