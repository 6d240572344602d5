#include "model/encoder_spec.h"

namespace ncasr {
namespace {

ncnn::Mat zeros(ncnn::Mat m) {
  m.fill(0.f);
  return m;
}

}  // namespace

// LSTM: in1 = frame count, in2 = hx (L x encoder_dim), in3 = cx (L x rnn_hidden).
// Segment 9 / offset 4 are what icefall trains the streaming LSTM for.
EncoderSpec make_lstm_spec(const ModelMetaData& m) {
  EncoderSpec s;
  s.segment = 9;
  s.offset = 4;
  s.length_input = true;
  const int layers = m.get(1), dim = m.get(2), hidden = m.get(3);
  s.initial_states = {zeros(ncnn::Mat(dim, layers)), zeros(ncnn::Mat(hidden, layers))};
  return s;
}

// Conv-Emformer: 4 states per layer, layer-major: memory (memory_size x d_model),
// left key and value (left_context x d_model), conv cache (d_model x (kernel-1)).
EncoderSpec make_conv_emformer_spec(const ModelMetaData& m) {
  EncoderSpec s;
  const int layers = m.get(1), memory = m.get(2), kernel = m.get(3), left = m.get(4), chunk = m.get(5),
            right = m.get(6), d_model = m.get(7);
  s.segment = chunk + right + 2 * 4 + 3;  // subsampling needs 2*4+3 extra frames
  s.offset = chunk;
  for (int i = 0; i < layers; ++i) {
    s.initial_states.push_back(zeros(ncnn::Mat(d_model, memory)));
    s.initial_states.push_back(zeros(ncnn::Mat(d_model, left)));
    s.initial_states.push_back(zeros(ncnn::Mat(d_model, left)));
    s.initial_states.push_back(zeros(ncnn::Mat(kernel - 1, d_model)));
  }
  return s;
}

// Zipformer: 7 state groups, each a list over the S stacks:
// cached_len (L), cached_avg (L x D), cached_key (L, lc, A), cached_val and
// cached_val2 (L, lc, A/2), cached_conv1 and cached_conv2 (L, D, k-1).
EncoderSpec make_zipformer_spec(const ModelMetaData& m) {
  EncoderSpec s;
  const int chunk = m.get(1), left_chunks = m.get(2), pad = m.get(3);
  s.segment = chunk + pad;
  s.offset = chunk;
  const auto& layers = m.array(16);
  const auto& dims = m.array(17);
  const auto& att = m.array(18);
  const auto& ds = m.array(19);
  const auto& kernels = m.array(20);
  const size_t S = layers.size();
  const int left_context = chunk / 2 * left_chunks;
  std::vector<ncnn::Mat> groups[7];
  for (size_t i = 0; i < S; ++i) {
    const int L = layers[i], D = dims[i], A = att[i], k = kernels[i];
    const int lc = left_context / ds[i];
    groups[0].push_back(zeros(ncnn::Mat(L)));
    groups[1].push_back(zeros(ncnn::Mat(D, L)));
    groups[2].push_back(zeros(ncnn::Mat(A, lc, L)));
    groups[3].push_back(zeros(ncnn::Mat(A / 2, lc, L)));
    groups[4].push_back(zeros(ncnn::Mat(A / 2, lc, L)));
    groups[5].push_back(zeros(ncnn::Mat(k - 1, D, L)));
    groups[6].push_back(zeros(ncnn::Mat(k - 1, D, L)));
  }
  for (auto& g : groups) s.initial_states.insert(s.initial_states.end(), g.begin(), g.end());
  s.fix_states = [S](std::vector<ncnn::Mat>& st) {
    // The graph returns cached_len as (h=L, w=1) and cached_avg as (c=L, h=1, w=D).
    for (size_t i = 0; i < S; ++i) st[i] = st[i].reshape(st[i].h);
    for (size_t i = S; i < 2 * S; ++i) st[i] = st[i].reshape(st[i].w, st[i].c);
  };
  return s;
}

EncoderSpec make_encoder_spec(const ModelMetaData& m) {
  switch (m.type) {
    case ModelType::kLstm: return make_lstm_spec(m);
    case ModelType::kConvEmformer: return make_conv_emformer_spec(m);
    case ModelType::kZipformer: return make_zipformer_spec(m);
  }
  return {};
}

}  // namespace ncasr
