#pragma once
// The product API in C++: one loaded model, many streams.
//   Recognizer r(files, config);
//   auto s = r.create_stream();
//   s->accept_waveform(16000, samples, n); s->input_finished();
//   r.decode(*s); RecognitionResult res = r.result(*s);
#include <memory>
#include <string>
#include <vector>

#include "decode/context_graph.h"
#include "model/transducer_model.h"
#include "recognizer/config.h"
#include "recognizer/stream.h"

namespace ncasr {

struct RecognitionResult {
  std::string text;
  std::vector<int> token_ids;
  std::vector<std::string> tokens;  // symbols as in tokens.txt
  std::vector<float> timestamps;    // seconds from stream start, one per token
  int segment = 0;                  // endpoint resets before this result
  bool is_final = false;            // input finished and every frame decoded
};

class Recognizer {
 public:
  Recognizer(const ModelFiles& files, const RecognizerConfig& config);

  // A recognizer over this one's loaded model with other decoding and endpoint settings
  // (features and runtime options stay): one model in memory, per-client choices. Streams
  // belong to the recognizer that created them.
  std::unique_ptr<Recognizer> with_settings(const DecodingConfig& decoding, const EndpointConfig& endpoint) const;

  std::unique_ptr<Stream> create_stream() const;
  bool is_ready(const Stream& s) const;
  // Decodes every chunk the stream has features for.
  void decode(Stream& s) const;
  // Decodes several streams, up to num_workers at a time on separate threads.
  void decode(const std::vector<Stream*>& streams, int num_workers) const;
  RecognitionResult result(const Stream& s) const;
  bool is_endpoint(const Stream& s) const;
  // Starts a new segment after an endpoint: clears the text, keeps encoder states.
  void reset(Stream& s) const;
  // Per-frame decision margins, when config.record_margins is set (for tests).
  std::vector<float> margins(const Stream& s) const;

  const TransducerModel& model() const { return *model_; }
  const RecognizerConfig& config() const { return config_; }

 private:
  Recognizer(std::shared_ptr<const TransducerModel> model, const RecognizerConfig& config);
  void build_hotwords();
  bool ready_locked(const Stream& s) const;
  void decode_locked(Stream& s) const;

  RecognizerConfig config_;
  std::shared_ptr<const TransducerModel> model_;
  std::unique_ptr<ContextGraph> hotwords_;
};

}  // namespace ncasr
