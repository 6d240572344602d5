#pragma once
// Recognizer settings with sherpa-ncnn's defaults; validate() throws ConfigError.
#include <string>

#include "decode/endpoint.h"
#include "features/fbank_options.h"
#include "model/transducer_model.h"

namespace ncasr {

struct DecodingConfig {
  std::string method = "greedy_search";  // or "modified_beam_search"
  int num_active_paths = 4;
  std::string hotwords;         // contents of a hotwords file ("" for none)
  float hotwords_score = 1.5f;  // default score for lines without ":score"
  void validate() const;
};

struct RecognizerConfig {
  FbankOptions features;
  DecodingConfig decoding;
  EndpointConfig endpoint;
  ModelOptions model;
  bool record_margins = false;  // diagnostics for tests: see DecoderState::margins
  void validate() const;
};

}  // namespace ncasr
