#include "calibration/weight_scales.h"

#include <cmath>
#include <string>

#include "common/errors.h"
#include "kernels/calib_stats.h"

namespace ncasr {

std::vector<float> per_channel_scales(const float* w, size_t channels, size_t per_channel, float qmax) {
  if (!(qmax > 0.f) || !std::isfinite(qmax)) throw ConfigError("qmax must be a positive finite number");
  if (per_channel == 0 && channels > 0) throw ConfigError("weights have channels of zero length");
  std::vector<float> scales(channels);
  for (size_t c = 0; c < channels; ++c) {
    const kernels::AbsMaxResult r = kernels::abs_max(w + c * per_channel, per_channel);
    if (r.nonfinite)
      throw ConfigError("weight channel " + std::to_string(c) + " holds " + std::to_string(r.nonfinite) +
                        " NaN/inf values");
    const float s = r.absmax > 0.f ? qmax / r.absmax : 1.f;
    // A denormal absmax overflows qmax / absmax: such a channel is zero at int8 precision.
    scales[c] = std::isfinite(s) ? s : 1.f;
  }
  return scales;
}

int8_t quantize_value(float x, float scale) {
  const float v = std::round(x * scale);  // half away from zero
  if (std::isnan(v)) return 0;
  if (v < -127.f) return -127;
  if (v > 127.f) return 127;
  return static_cast<int8_t>(v);
}

void quantize_per_channel(const float* w, size_t channels, size_t per_channel, const float* scales, int8_t* out) {
  for (size_t c = 0; c < channels; ++c) {
    const float s = scales[c];
    if (!(s > 0.f) || !std::isfinite(s))
      throw ConfigError("scale of channel " + std::to_string(c) + " is not a positive finite number");
    for (size_t i = 0; i < per_channel; ++i) out[c * per_channel + i] = quantize_value(w[c * per_channel + i], s);
  }
}

void dequantize_per_channel(const int8_t* q, size_t channels, size_t per_channel, const float* scales, float* out) {
  for (size_t c = 0; c < channels; ++c) {
    const float s = scales[c];
    if (!(s > 0.f) || !std::isfinite(s))
      throw ConfigError("scale of channel " + std::to_string(c) + " is not a positive finite number");
    for (size_t i = 0; i < per_channel; ++i) out[c * per_channel + i] = q[c * per_channel + i] / s;
  }
}

}  // namespace ncasr
