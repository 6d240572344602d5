#pragma once
// How one architecture's streaming encoder is fed: frames per call (segment), frames to
// advance (offset), its zero initial states, and the reshapes its output states need
// before they are fed back. Values come from the model's metadata.
#include <mat.h>

#include <functional>
#include <vector>

#include "model/meta_data.h"

namespace ncasr {

struct ParamFile;

struct EncoderSpec {
  int segment = 0;            // feature frames per encoder call
  int offset = 0;             // feature frames the stream advances per call
  bool length_input = false;  // LSTM takes the frame count as in1
  // Zipformer2: the first state is the additive key mask fed as in1, (h=1,
  // w=left_context_frames + chunk_size). The net returns no new value for it: it is carried
  // to fix_states, which advances it by one chunk (so outputs out1.. are the other states).
  bool key_mask_input = false;
  // Chunks are independent but for the carried states (no padding across chunk edges, no
  // cache of past frames beyond the states): k consecutive chunks may run as one call on
  // frames_for(k) frames and return k times the frames, the same as k calls.
  bool joins_chunks = false;
  int frames_for(int chunks) const { return segment + (chunks - 1) * offset; }
  std::vector<ncnn::Mat> initial_states;
  // Reshapes the extracted out1..outN so they can be fed back as in1..inN (may be empty).
  std::function<void(std::vector<ncnn::Mat>&)> fix_states;
};

// Whether this architecture's encoder can run consecutive chunks as one call
// (EncoderSpec::joins_chunks): the LSTM, whose front end pads nothing across chunk edges.
bool encoder_joins_chunks(ModelType type);

EncoderSpec make_lstm_spec(const ModelMetaData& m);
EncoderSpec make_conv_emformer_spec(const ModelMetaData& m);
EncoderSpec make_zipformer_spec(const ModelMetaData& m);
EncoderSpec make_zipformer2_spec(const ModelMetaData& m);
EncoderSpec make_encoder_spec(const ModelMetaData& m);

// An ncnn Input layer may declare its blob's shape (0=w 1=h 2=c). Where the encoder's state
// inputs do, they must match the spec's (the metadata's) shapes: a graph exported for other
// sizes would otherwise run on wrong-sized states, or crash. Throws ModelError(pf.path, ...).
void check_state_input_shapes(const EncoderSpec& spec, const ParamFile& pf);

}  // namespace ncasr
