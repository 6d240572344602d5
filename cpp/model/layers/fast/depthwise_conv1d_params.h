#pragma once
// The ConvolutionDepthWise1D params ncasr's depthwise layers run (float and int8): one
// filter per channel, stride 1, dilation 1, no fused activation, static weights.
#include <paramdict.h>

namespace ncasr {

struct DepthwiseConv1DParams {
  int num_output = 0, kernel_w = 0, pad_left = 0, pad_right = 0, bias_term = 0;
  float pad_value = 0.f;

  // Reads the params; false when the layer is outside that form.
  bool load(const ncnn::ParamDict& pd) {
    num_output = pd.get(0, 0);
    kernel_w = pd.get(1, 0);
    pad_left = pd.get(4, 0);
    pad_right = pd.get(15, pad_left);
    pad_value = pd.get(18, 0.f);
    bias_term = pd.get(5, 0);
    return num_output > 0 && kernel_w > 0 && pd.get(2, 1) == 1 && pd.get(3, 1) == 1 && pad_left >= 0 &&
           pad_right >= 0 && pd.get(7, 1) == num_output && pd.get(6, 0) == num_output * kernel_w && pd.get(9, 0) == 0 &&
           pd.get(19, 0) == 0;
  }
};

}  // namespace ncasr
