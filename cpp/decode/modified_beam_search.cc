#include "decode/modified_beam_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "decode/context_graph.h"
#include "model/transducer_model.h"

namespace ncasr {
namespace {

constexpr int kCtx = TransducerModel::kContextSize;

// In float, summed in index order: the rounding of the reference runtime, so near-ties
// between hypotheses break the same way.
void log_softmax(float* x, int n) {
  const float mx = *std::max_element(x, x + n);
  float sum = 0.f;
  for (int i = 0; i < n; ++i) sum += std::exp(x[i] - mx);
  const float offset = mx + std::log(sum);
  for (int i = 0; i < n; ++i) x[i] -= offset;
}

Hypothesis initial_hypothesis(const TransducerModel& model) {
  Hypothesis h;
  h.ys.assign(model.initial_context(), model.initial_context() + kCtx);
  return h;
}

}  // namespace

void modified_beam_search(const TransducerModel& model, const ncnn::Mat& encoder_out, int num_active_paths,
                          const ContextGraph* hotwords, DecoderState* s) {
  if (s->hyps.empty()) s->hyps.add(initial_hypothesis(model));
  for (int t = 0; t < encoder_out.h; ++t) {
    std::vector<Hypothesis> prev = s->hyps.top_k(num_active_paths);
    s->hyps.clear();
    const int k = static_cast<int>(prev.size());

    // Decoder outputs, one row per hypothesis (the Embed layer takes one context).
    ncnn::Mat decoder_out;
    if (t == 0 && k == 1 && prev[0].ys.size() == kCtx && !s->decoder_out.empty()) {
      decoder_out = s->decoder_out.clone();  // kept from before an endpoint reset
      decoder_out = decoder_out.reshape(decoder_out.w, 1);
    } else {
      for (int i = 0; i < k; ++i) {
        ncnn::Mat row = model.run_decoder(prev[i].ys.data() + prev[i].ys.size() - kCtx);
        if (i == 0) decoder_out.create(row.w, k);
        std::copy(static_cast<const float*>(row), static_cast<const float*>(row) + row.w, decoder_out.row(i));
      }
    }
    // One joiner call: the encoder row (h=1) broadcasts against the k decoder rows.
    ncnn::Mat frame(encoder_out.w, 1, const_cast<float*>(encoder_out.row(t)));
    ncnn::Mat logits = model.run_joiner(frame, decoder_out);
    if (logits.dims == 1) logits = logits.reshape(logits.w, 1);
    const int V = logits.w;
    for (int i = 0; i < k; ++i) {
      float* row = logits.row(i);
      log_softmax(row, V);
      const float prev_lp = static_cast<float>(prev[i].log_prob);
      for (int v = 0; v < V; ++v) row[v] += prev_lp;
    }
    // Global top-k over k x V.
    const float* all = logits;
    std::vector<int> idx(static_cast<size_t>(k) * V);
    std::iota(idx.begin(), idx.end(), 0);
    const int top = std::min<int>(num_active_paths, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + top, idx.end(),
                      [all](int a, int b) { return all[a] > all[b] || (all[a] == all[b] && a < b); });
    if (s->record_margins) {
      // Every order among the kept candidates, and the cut below them, was a decision.
      std::partial_sort(idx.begin() + top, idx.begin() + std::min<size_t>(top + 1, idx.size()), idx.end(),
                        [all](int a, int b) { return all[a] > all[b]; });
      float gap = INFINITY;
      for (int j = 0; j + 1 < std::min<int>(top + 1, static_cast<int>(idx.size())); ++j) {
        const float a = all[idx[j]], b = all[idx[j + 1]];
        gap = std::min(gap, std::fabs(a - b) / std::max({std::fabs(a), std::fabs(b), 1e-12f}));
      }
      s->margins.push_back(gap);
    }
    for (int j = 0; j < top; ++j) {
      const int hyp = idx[j] / V, token = idx[j] % V;
      Hypothesis h = prev[hyp];
      double bonus = 0.0;
      if (token != TransducerModel::kBlank && token != TransducerModel::kUnk) {
        h.ys.push_back(token);
        h.timestamps.push_back(s->frame_offset + t);
        h.num_trailing_blanks = 0;
        if (hotwords) bonus = hotwords->forward_one_step(&h.context_state, &h.context_score, token);
      } else {
        ++h.num_trailing_blanks;
      }
      h.log_prob = all[idx[j]] + bonus;
      s->hyps.add(std::move(h));
    }
  }
  s->frame_offset += encoder_out.h;
  const Hypothesis& best = s->hyps.best();
  s->tokens.assign(best.ys.begin() + kCtx, best.ys.end());
  s->timestamps = best.timestamps;
  s->num_trailing_blanks = best.num_trailing_blanks;
  s->decoder_out = model.run_decoder(best.ys.data() + best.ys.size() - kCtx);
}

}  // namespace ncasr
