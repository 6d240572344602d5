#pragma once
// What ncasr's LSTM layers (NcasrLSTMInt8, NcasrLSTMFp16) share with ncnn's LSTM: its params
// and the recurrent state a call starts from.
#include <layer.h>
#include <mat.h>
#include <paramdict.h>

#include <vector>

namespace ncasr {

struct LSTMShape {
  int num_output = 0, hidden = 0, input = 0;
};

// ncnn's LSTM params (0 num_output, 1 weight size, 2 direction, 3 hidden, 8 int8 flag) of a
// forward LSTM with int8 flag `int8_flag`; returns -100 after logging otherwise.
inline int lstm_load_param(const char* layer, const ncnn::ParamDict& pd, int int8_flag, LSTMShape* s) {
  s->num_output = pd.get(0, 0);
  const int weight_size = pd.get(1, 0);
  s->hidden = pd.get(3, s->num_output);
  if (s->num_output <= 0 || s->hidden <= 0 || pd.get(2, 0) != 0 || pd.get(8, 0) != int8_flag ||
      weight_size % (4 * s->hidden) != 0 || s->num_output > s->hidden) {
    NCNN_LOGE("%s: params outside what it runs (a forward %s LSTM)", layer, int8_flag ? "int8" : "float");
    return -100;
  }
  s->input = weight_size / (4 * s->hidden);
  return 0;
}

// The state a call starts from, as ncnn's LSTM takes it: with three inputs, copies of h0
// (num_output values) and c0 (hidden values), which the layer updates and hands out as its
// 2nd and 3rd outputs; with one input, zeros. Checks the input frames too.
// Returns 0, or -100 after logging what is wrong (`layer` names the type in the message).
inline int lstm_begin(const char* layer, const std::vector<ncnn::Mat>& bottoms, size_t num_tops, int input,
                      int num_output, int hidden, const ncnn::Option& opt, ncnn::Mat* h, ncnn::Mat* c) {
  const ncnn::Mat& x = bottoms[0];
  if (x.dims != 2 || x.w != input || x.elempack != 1 || x.elemsize != 4u) {
    NCNN_LOGE("%s: expects T rows of %d floats", layer, input);
    return -100;
  }
  ncnn::Allocator* alloc = num_tops == 3 ? opt.blob_allocator : opt.workspace_allocator;
  if (bottoms.size() == 3) {
    auto values = [](const ncnn::Mat& m) { return static_cast<long long>(m.w) * m.h * m.d * m.c; };
    if (values(bottoms[1]) != num_output || values(bottoms[2]) != hidden) {
      NCNN_LOGE("%s: states must hold %d and %d values", layer, num_output, hidden);
      return -100;
    }
    *h = bottoms[1].clone(alloc);
    *c = bottoms[2].clone(alloc);
  } else {
    h->create(num_output, 1, 4u, alloc);
    c->create(hidden, 1, 4u, alloc);
    if (h->empty() || c->empty()) return -100;
    h->fill(0.f);
    c->fill(0.f);
  }
  return h->empty() || c->empty() ? -100 : 0;
}

}  // namespace ncasr
