#pragma once
// One audio stream: its samples, features, encoder states and decoding state. A
// Recognizer (which owns the model) advances it; streams are independent, so many can
// share one Recognizer, each from its own thread.
#include <memory>
#include <mutex>
#include <vector>

#include "decode/decoder_state.h"
#include "features/fbank.h"
#include "features/resampler.h"

namespace ncasr {

class Stream {
 public:
  Stream(const FbankOptions& features, std::vector<ncnn::Mat> initial_states);

  // samples: mono float in [-1, 1] at sample_rate. Throws AudioError for NaN/Inf, a rate
  // change, an unsupported rate, or audio after input_finished().
  void accept_waveform(int sample_rate, const float* samples, size_t n);
  void input_finished();
  bool is_input_finished() const;
  // Encoder calls so far: fewer than chunks where several chunks shared a call.
  int encoder_calls() const;

 private:
  friend class Recognizer;
  mutable std::mutex mutex_;
  FbankOptions feature_options_;
  OnlineFbank fbank_;
  std::unique_ptr<LinearResampler> resampler_;
  int input_rate_ = 0;
  bool finished_ = false;
  std::vector<float> resampled_;

  std::vector<ncnn::Mat> states_;
  DecoderState decoder_;
  int num_processed_ = 0;  // feature frames consumed (advanced by offset per chunk)
  int segment_start_ = 0;  // feature frame where the current segment (after reset) began
  int segment_index_ = 0;  // how many endpoint resets so far
  int encoder_calls_ = 0;
  ncnn::Mat features_;  // reused buffer for one encoder call's frames
};

}  // namespace ncasr
