#pragma once
// Symmetric per-output-channel weight quantization as ncnn stores it: q = clamp(round(w * s),
// -127, 127), s = 127 / absmax of the channel, w ~ q / s. Weights are row-major
// [channels][per_channel] (ncnn's layout for Convolution/InnerProduct/Gemm-A rows).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ncasr {

// 127 / absmax per channel (qmax / absmax in general). An all-zero channel gets 1.0, as
// ncnn's recurrent/MHA/Embed scales do: its weights quantize to 0 whatever the scale.
// NaN/inf weights are a ConfigError naming the channel.
std::vector<float> per_channel_scales(const float* w, size_t channels, size_t per_channel, float qmax = 127.f);

// Round half away from zero, clamp to [-127, 127].
int8_t quantize_value(float x, float scale);

void quantize_per_channel(const float* w, size_t channels, size_t per_channel, const float* scales, int8_t* out);
void dequantize_per_channel(const int8_t* q, size_t channels, size_t per_channel, const float* scales, float* out);

}  // namespace ncasr
