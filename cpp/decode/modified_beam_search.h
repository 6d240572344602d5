#pragma once
#include <mat.h>

#include "decode/decoder_state.h"

namespace ncasr {

class TransducerModel;
class ContextGraph;

// Modified beam search (at most one symbol per frame) over one chunk of encoder output.
// Keeps num_active_paths hypotheses, ranked by length-normalised log probability; equal
// token sequences merge by log-add. After the chunk, state->tokens/timestamps hold the
// best hypothesis and decoder_out its decoder output (kept across an endpoint reset).
void modified_beam_search(const TransducerModel& model, const ncnn::Mat& encoder_out, int num_active_paths,
                          const ContextGraph* hotwords, DecoderState* state);

}  // namespace ncasr
