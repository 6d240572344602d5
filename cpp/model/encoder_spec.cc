#include "model/encoder_spec.h"

#include <string>
#include <vector>

#include "common/errors.h"
#include "model/param_file.h"

namespace ncasr {
namespace {

std::string v_or(const ParamLayer& l, const char* key) {
  const std::string v = l.param(key);
  return v.empty() ? "-" : v;
}

ncnn::Mat zeros(ncnn::Mat m) {
  m.fill(0.f);
  return m;
}

}  // namespace

// The LSTM's subsampling convolutions pad nothing in time and every later layer works
// frame by frame or carries its state; Zipformer's and Conv-Emformer's attention caches and
// Zipformer2's key mask are built for one chunk per call.
bool encoder_joins_chunks(ModelType type) { return type == ModelType::kLstm; }

// LSTM: in1 = frame count, in2 = hx (L x encoder_dim), in3 = cx (L x rnn_hidden).
// Segment 9 / offset 4 are what icefall trains the streaming LSTM for.
EncoderSpec make_lstm_spec(const ModelMetaData& m) {
  EncoderSpec s;
  s.segment = 9;
  s.offset = 4;
  s.length_input = true;
  s.joins_chunks = encoder_joins_chunks(ModelType::kLstm);
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

// Zipformer2 (docs/zipformer2.md): in1 the key mask, then 6 states per layer (layers counted
// across stacks): cached_key (L, H*qd), cached_nonlin_attn (L, 3D/4), cached_val1 and
// cached_val2 (L, H*vd), cached_conv1 and cached_conv2 (D, K/2); then embed_states. L is the
// stack's left_context_len.
EncoderSpec make_zipformer2_spec(const ModelMetaData& m) {
  EncoderSpec s;
  const int chunk_len = m.get(1), chunk = m.get(2), pad = m.get(3), left = m.get(4);
  s.segment = chunk_len + pad;
  s.offset = chunk_len;
  s.key_mask_input = true;
  const float mask_value = m.get_float(24);
  // Of the left-context slots, those the stream has not yet filled are masked: all of them
  // before the first call, chunk fewer after each (a shift by chunk).
  ncnn::Mat mask(left + chunk, 1);
  for (int i = 0; i < mask.w; ++i) mask[i] = i < left ? mask_value : 0.f;
  s.initial_states.push_back(mask);
  const auto& layers = m.array(16);
  const auto& dims = m.array(17);
  const auto& heads = m.array(18);
  const auto& kernels = m.array(20);
  const auto& qd = m.array(21);
  const auto& vd = m.array(22);
  const auto& lc = m.array(23);
  for (size_t st = 0; st < layers.size(); ++st) {
    for (int l = 0; l < layers[st]; ++l) {
      const int L = lc[st], D = dims[st], H = heads[st], half = kernels[st] / 2;
      s.initial_states.push_back(zeros(ncnn::Mat(H * qd[st], L)));
      s.initial_states.push_back(zeros(ncnn::Mat(3 * D / 4, L)));
      s.initial_states.push_back(zeros(ncnn::Mat(H * vd[st], L)));
      s.initial_states.push_back(zeros(ncnn::Mat(H * vd[st], L)));
      s.initial_states.push_back(zeros(ncnn::Mat(half, D)));
      s.initial_states.push_back(zeros(ncnn::Mat(half, D)));
    }
  }
  s.initial_states.push_back(zeros(ncnn::Mat(m.get(9), m.get(8), m.get(7))));
  std::vector<ncnn::Mat> shapes = s.initial_states;
  s.fix_states = [shapes, chunk](std::vector<ncnn::Mat>& st) {
    const ncnn::Mat& old = st[0];
    ncnn::Mat mask(old.w, 1);
    for (int i = 0; i < old.w; ++i) mask[i] = i + chunk < old.w ? old[i + chunk] : 0.f;
    st[0] = mask;
    // The graph may return a state with other axes than its input (same elements).
    for (size_t i = 1; i < st.size(); ++i) {
      const ncnn::Mat& want = shapes[i];
      ncnn::Mat& got = st[i];
      if (got.dims == want.dims && got.w == want.w && got.h == want.h && got.c == want.c) continue;
      if (static_cast<size_t>(got.w) * got.h * got.d * got.c != static_cast<size_t>(want.w) * want.h * want.c)
        throw Error("encoder state out" + std::to_string(i) + " has another size than its input in" +
                    std::to_string(i + 1));
      got = want.dims == 3 ? got.reshape(want.w, want.h, want.c) : got.reshape(want.w, want.h);
    }
  };
  return s;
}

EncoderSpec make_encoder_spec(const ModelMetaData& m) {
  switch (m.type) {
    case ModelType::kLstm: return make_lstm_spec(m);
    case ModelType::kConvEmformer: return make_conv_emformer_spec(m);
    case ModelType::kZipformer: return make_zipformer_spec(m);
    case ModelType::kZipformer2: return make_zipformer2_spec(m);
  }
  return {};
}

}  // namespace ncasr

namespace ncasr {

void check_state_input_shapes(const EncoderSpec& spec, const ParamFile& pf) {
  const size_t first = spec.length_input ? 2 : 1;
  // Zipformer2 graphs come from ncasr's exporter, which declares every state's shape: ncnn
  // layers do not check their inputs' shapes, and one state of another width can crash the
  // process (a division by zero in Gemm), so an undeclared one is refused.
  const bool required = spec.key_mask_input;
  std::vector<bool> declared_inputs(spec.initial_states.size(), false);
  for (const ParamLayer& l : pf.layers) {
    if (l.type != "Input" || l.tops.size() != 1 || l.tops[0].rfind("in", 0) != 0) continue;
    size_t k = 0;
    try {
      k = std::stoul(l.tops[0].substr(2));
    } catch (const std::exception&) {
      continue;
    }
    if (k < first || k - first >= spec.initial_states.size()) continue;
    const ncnn::Mat& want = spec.initial_states[k - first];
    declared_inputs[k - first] = !l.param("0").empty();
    const int axes[3][2] = {{0, want.w}, {1, want.dims >= 2 ? want.h : 1}, {2, want.dims >= 3 ? want.c : 1}};
    for (const auto& [key, size] : axes) {
      const std::string v = l.param(std::to_string(key));
      int declared = 0;
      try {
        declared = v.empty() ? 0 : std::stoi(v);
      } catch (const std::exception&) {
        throw ModelError(pf.path, "line " + std::to_string(l.line) + ": Input " + l.tops[0] + " has a bad shape");
      }
      if (declared > 0 && declared != size)
        throw ModelError(pf.path, "line " + std::to_string(l.line) + ": the graph declares state input " + l.tops[0] +
                                      " as (w=" + v_or(l, "0") + ", h=" + v_or(l, "1") + ", c=" + v_or(l, "2") +
                                      "), but the metadata gives (w=" + std::to_string(want.w) +
                                      ", h=" + std::to_string(want.h) + ", c=" + std::to_string(want.c) + ")");
    }
  }
  if (!required) return;
  for (size_t i = 0; i < declared_inputs.size(); ++i)
    if (!declared_inputs[i])
      throw ModelError(pf.path, "the Input layer of state in" + std::to_string(first + i) +
                                    " declares no shape (0=w 1=h 2=c); export the folder again with `ncasr export "
                                    "zipformer2`, which writes them");
}

}  // namespace ncasr
