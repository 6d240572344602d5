#pragma once
// Runs calibration audio through the real streaming pipeline - fbank, encoder chunks with
// carried states, and greedy decoding feeding the decoder and joiner as at inference - and
// hands the input of every layer that may run in int8 to an observer. Statistics (absmax,
// histograms) live in the observer; the nets are shared and read-only, so several threads
// may run files through one runner, each with its own observer.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/transducer_model.h"

namespace ncasr {

struct CalibrationTarget {
  std::string net;    // "encoder", "decoder" or "joiner"
  std::string layer;  // layer name (the scale table key)
  std::string type;   // layer type
  std::string blob;   // the input blob whose values are observed
};

// Layer types whose input activations need calibrated scales.
const std::set<std::string>& default_calibration_types();

class ActivationRunner {
 public:
  using Observer = std::function<void(size_t target, const ncnn::Mat& input)>;

  ActivationRunner(const ModelFiles& files, int num_threads = 1,
                   const std::set<std::string>& types = default_calibration_types());

  const std::vector<CalibrationTarget>& targets() const { return targets_; }

  // One utterance (mono float in [-1, 1]); tail_padding seconds of silence flush it.
  // Returns the number of encoder chunks run.
  int run(const float* samples, size_t n, int sample_rate, const Observer& observe, float tail_padding = 0.5f) const;

 private:
  std::unique_ptr<TransducerModel> model_;
  std::vector<CalibrationTarget> targets_;
  BlobProbe encoder_probe_, decoder_probe_, joiner_probe_;      // blob lists only
  std::vector<size_t> encoder_ids_, decoder_ids_, joiner_ids_;  // probe position -> target
};

}  // namespace ncasr
