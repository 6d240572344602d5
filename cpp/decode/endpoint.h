#pragma once
// Kaldi-style endpoint rules: an endpoint is detected when any rule fires.
namespace ncasr {

struct EndpointRule {
  bool must_contain_nonsilence = false;
  float min_trailing_silence = 0.f;  // seconds
  float min_utterance_length = 0.f;  // seconds
};

struct EndpointConfig {
  bool enabled = true;
  // rule 1: long silence, even with nothing said; rule 2: shorter silence after speech;
  // rule 3: utterance too long.
  EndpointRule rule1{false, 2.4f, 0.f};
  EndpointRule rule2{true, 1.2f, 0.f};
  EndpointRule rule3{false, 0.f, 20.f};

  void validate() const;  // throws ConfigError
};

// utterance_length and trailing_silence in seconds since the last reset.
bool endpoint_detected(const EndpointConfig& config, float utterance_length, float trailing_silence);

}  // namespace ncasr
