#pragma once
// What decoding remembers about one stream between chunks.
#include <mat.h>

#include <vector>

#include "decode/hypothesis.h"

namespace ncasr {

struct DecoderState {
  std::vector<int> tokens;      // emitted token ids since the last reset (no leading blanks)
  std::vector<int> timestamps;  // encoder frame of each token, counted from stream start
  int num_trailing_blanks = 0;  // encoder frames since the last emitted token
  int frame_offset = 0;         // encoder frames decoded since stream start
  ncnn::Mat decoder_out;        // cached decoder output for the current context
  Hypotheses hyps;              // modified beam search only
  // Diagnostics (off unless record_margins): per encoder frame, the smallest relative gap
  // between two scores whose order decided the output, e.g. the two best logits.
  bool record_margins = false;
  std::vector<float> margins;
};

}  // namespace ncasr
