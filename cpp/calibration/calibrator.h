#pragma once
// Activation calibration end to end: utterances through the ActivationRunner (the real
// streaming pipeline), every int8-candidate layer's input into a HistogramCollector,
// thresholds into a ScaleTable. Utterances run on several worker threads, each with its own
// collector merged at the end of a pass, so the table does not depend on the worker count.
//
// Table keys are "<net>/<layer>" (e.g. "encoder/linear_3"): one table covers the three nets.
// ScaleTable rows for one net, under ncnn's bare layer names, come from table_for_net().
#include <functional>
#include <string>
#include <vector>

#include "calibration/activation_runner.h"
#include "calibration/histogram_collector.h"
#include "calibration/scale_table.h"
#include "calibration/thresholds.h"

namespace ncasr {

struct CalibrationOptions {
  std::string method = "kl";         // kl | aciq | minmax | percentile
  std::string collect = "two_pass";  // two_pass (ncnn2table) | online (one pass)
  int bins = 2048;
  double percent = 99.99;  // percentile method
  int num_workers = 1;     // utterances decoded in parallel
  float tail_padding = 0.5f;
};

struct CalibrationAudio {
  const float* samples = nullptr;  // mono, [-1, 1]
  size_t n = 0;
  int sample_rate = 16000;
  std::string name;  // for messages
};

struct CalibrationResult {
  ScaleTable table;
  std::vector<std::string> zero_inputs;  // targets whose input was all zeros: keep them float
  std::vector<std::string> never_ran;    // targets the audio never reached
  size_t utterances = 0;
  size_t encoder_chunks = 0;  // over the last pass
  double audio_seconds = 0.0;
};

// done counts utterance runs over all passes; total = utterances * passes.
using CalibrationProgress = std::function<void(size_t done, size_t total)>;

std::string calibration_key(const CalibrationTarget& t);

// AudioError when `audio` is empty, an utterance is empty, silent-only or non-finite;
// ConfigError for bad options. Progress is called from worker threads, one call at a time.
CalibrationResult calibrate(const ActivationRunner& runner, const std::vector<CalibrationAudio>& audio,
                            const CalibrationOptions& options, const CalibrationProgress& progress = {});

// The rows of `net` with the "<net>/" prefix removed (ncnn2int8's view of one param file).
ScaleTable table_for_net(const ScaleTable& table, const std::string& net);

}  // namespace ncasr
