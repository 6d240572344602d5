#include "recognizer/recognizer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <thread>

#include "common/errors.h"
#include "decode/greedy_search.h"
#include "decode/modified_beam_search.h"

namespace ncasr {

Recognizer::Recognizer(const ModelFiles& files, const RecognizerConfig& config) : config_(config) {
  config_.validate();
  model_ = std::make_shared<const TransducerModel>(files, config_.model);
  build_hotwords();
}

Recognizer::Recognizer(std::shared_ptr<const TransducerModel> model, const RecognizerConfig& config)
    : config_(config), model_(std::move(model)) {
  config_.validate();
  build_hotwords();
}

void Recognizer::build_hotwords() {
  if (!config_.decoding.hotwords.empty()) {
    auto hw =
        ContextGraph::parse(config_.decoding.hotwords, model_->tokens(), config_.decoding.hotwords_score, "hotwords");
    hotwords_ = std::make_unique<ContextGraph>(hw);
  }
}

std::unique_ptr<Recognizer> Recognizer::with_settings(const DecodingConfig& decoding,
                                                      const EndpointConfig& endpoint) const {
  RecognizerConfig config = config_;
  config.decoding = decoding;
  config.endpoint = endpoint;
  return std::unique_ptr<Recognizer>(new Recognizer(model_, config));
}

std::unique_ptr<Stream> Recognizer::create_stream() const {
  auto s = std::make_unique<Stream>(config_.features, model_->initial_states());
  s->decoder_.record_margins = config_.record_margins;
  return s;
}

std::vector<float> Recognizer::margins(const Stream& s) const {
  std::lock_guard<std::mutex> lock(s.mutex_);
  return s.decoder_.margins;
}

bool Recognizer::ready_locked(const Stream& s) const {
  // Strictly more frames than one segment past the processed ones, as sherpa-ncnn waits.
  return s.fbank_.num_frames_ready() > s.num_processed_ + model_->spec().segment;
}

bool Recognizer::is_ready(const Stream& s) const {
  std::lock_guard<std::mutex> lock(s.mutex_);
  return ready_locked(s);
}

void Recognizer::decode_locked(Stream& s) const {
  const EncoderSpec& spec = model_->spec();
  const int dim = s.fbank_.dim();
  const int max_chunks = spec.joins_chunks ? config_.model.runtime.max_chunks_per_call : 1;
  while (ready_locked(s)) {
    // As many ready chunks as one call may take: chunk k is ready when its last frame is,
    // with the one frame to spare that ready_locked asks for.
    const int spare = s.fbank_.num_frames_ready() - s.num_processed_ - spec.segment - 1;
    const int chunks = std::max(1, std::min(max_chunks, spare / spec.offset + 1));
    const int rows = spec.frames_for(chunks);
    if (s.features_.w != dim || s.features_.h != rows) s.features_.create(dim, rows);
    for (int i = 0; i < rows; ++i)
      std::memcpy(s.features_.row(i), s.fbank_.frame(s.num_processed_ + i), dim * sizeof(float));
    ncnn::Mat enc = model_->run_encoder(s.features_, &s.states_);
    ++s.encoder_calls_;
    if (config_.decoding.method == "greedy_search")
      greedy_search(*model_, enc, &s.decoder_);
    else
      modified_beam_search(*model_, enc, config_.decoding.num_active_paths, hotwords_.get(), &s.decoder_);
    s.num_processed_ += chunks * spec.offset;
    s.fbank_.pop(s.num_processed_);
  }
}

void Recognizer::decode(Stream& s) const {
  std::lock_guard<std::mutex> lock(s.mutex_);
  decode_locked(s);
}

void Recognizer::decode(const std::vector<Stream*>& streams, int num_workers) const {
  num_workers = std::max(1, std::min<int>(num_workers, static_cast<int>(streams.size())));
  if (num_workers == 1) {
    for (Stream* s : streams) decode(*s);
    return;
  }
  std::atomic<size_t> next{0};
  std::vector<std::exception_ptr> errors(streams.size());
  std::vector<std::thread> workers;
  for (int w = 0; w < num_workers; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < streams.size(); i = next++) {
        try {
          decode(*streams[i]);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
    });
  }
  for (auto& t : workers) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

RecognitionResult Recognizer::result(const Stream& s) const {
  std::lock_guard<std::mutex> lock(s.mutex_);
  RecognitionResult r;
  r.segment = s.segment_index_;
  r.is_final = s.finished_ && !ready_locked(s);
  std::vector<int> tokens = s.decoder_.tokens;
  std::vector<int> frames = s.decoder_.timestamps;
  if (hotwords_ && r.is_final && !s.decoder_.hyps.empty()) {
    // At the end, a partial hotword match gives back its pending bonus before ranking.
    Hypothesis best;
    double best_score = 0;
    bool found = false;
    for (const auto& h : s.decoder_.hyps.top_k(static_cast<int>(s.decoder_.hyps.size()))) {
      const double sc = (h.log_prob + hotwords_->finalize(h.context_score)) / h.ys.size();
      if (!found || sc > best_score) {
        best = h;
        best_score = sc;
        found = true;
      }
    }
    tokens.assign(best.ys.begin() + TransducerModel::kContextSize, best.ys.end());
    frames = best.timestamps;
  }
  const float frame_seconds = model_->subsampling_factor() * config_.features.frame_shift_ms / 1000.f;
  for (size_t i = 0; i < tokens.size(); ++i) {
    r.token_ids.push_back(tokens[i]);
    r.tokens.push_back(model_->tokens().symbol(tokens[i]));
    r.text += model_->tokens().text(tokens[i]);
    r.timestamps.push_back(frames[i] * frame_seconds);
  }
  return r;
}

bool Recognizer::is_endpoint(const Stream& s) const {
  std::lock_guard<std::mutex> lock(s.mutex_);
  const float shift = config_.features.frame_shift_ms / 1000.f;
  const float length = (s.num_processed_ - s.segment_start_) * shift;
  const float trailing = s.decoder_.num_trailing_blanks * model_->subsampling_factor() * shift;
  return endpoint_detected(config_.endpoint, length, trailing);
}

void Recognizer::reset(Stream& s) const {
  std::lock_guard<std::mutex> lock(s.mutex_);
  s.decoder_.tokens.clear();
  s.decoder_.timestamps.clear();
  s.decoder_.num_trailing_blanks = 0;
  s.decoder_.hyps.clear();  // beam search restarts from blanks, reusing decoder_out
  s.segment_start_ = s.num_processed_;
  ++s.segment_index_;
}

}  // namespace ncasr
