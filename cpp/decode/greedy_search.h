#pragma once
#include <mat.h>

#include "decode/decoder_state.h"

namespace ncasr {

class TransducerModel;

// Greedy search over one chunk of encoder output (h=frames): at most one symbol per
// frame; blank (0) and <unk> (2) emit nothing. Reuses the cached decoder output and
// runs the decoder only after a new token.
void greedy_search(const TransducerModel& model, const ncnn::Mat& encoder_out, DecoderState* state);

}  // namespace ncasr
