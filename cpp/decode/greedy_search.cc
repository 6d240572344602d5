#include "decode/greedy_search.h"

#include <algorithm>
#include <cmath>

#include "model/transducer_model.h"

namespace ncasr {

namespace {
float top2_gap(const float* p, int n) {
  float a = -INFINITY, b = -INFINITY;
  for (int i = 0; i < n; ++i) {
    if (p[i] > a) {
      b = a;
      a = p[i];
    } else if (p[i] > b) {
      b = p[i];
    }
  }
  return (a - b) / std::max({std::fabs(a), std::fabs(b), 1e-12f});
}

ncnn::Mat decode_context(const TransducerModel& model, const std::vector<int>& tokens) {
  int ctx[TransducerModel::kContextSize];
  const int n = static_cast<int>(tokens.size());
  for (int i = 0; i < TransducerModel::kContextSize; ++i) {
    int k = n - TransducerModel::kContextSize + i;
    ctx[i] = k >= 0 ? tokens[k] : model.initial_context()[TransducerModel::kContextSize + k];
  }
  return model.run_decoder(ctx);
}
}  // namespace

void greedy_search(const TransducerModel& model, const ncnn::Mat& encoder_out, DecoderState* s) {
  if (s->decoder_out.empty()) s->decoder_out = decode_context(model, s->tokens);
  for (int t = 0; t < encoder_out.h; ++t) {
    ncnn::Mat frame(encoder_out.w, const_cast<float*>(encoder_out.row(t)));
    ncnn::Mat logits = model.run_joiner(frame, s->decoder_out);
    const float* p = logits;
    const int token = static_cast<int>(std::max_element(p, p + logits.w) - p);
    if (s->record_margins) s->margins.push_back(top2_gap(p, logits.w));
    if (token != TransducerModel::kBlank && token != TransducerModel::kUnk) {
      s->tokens.push_back(token);
      s->timestamps.push_back(s->frame_offset + t);
      s->num_trailing_blanks = 0;
      s->decoder_out = decode_context(model, s->tokens);
    } else {
      ++s->num_trailing_blanks;
    }
  }
  s->frame_offset += encoder_out.h;
}

}  // namespace ncasr
