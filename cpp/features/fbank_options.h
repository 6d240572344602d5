#pragma once
// Kaldi fbank settings. The defaults are what icefall models are trained with and what
// sherpa-ncnn computes: 16 kHz, 80 bins, 25 ms windows every 10 ms, povey window,
// pre-emphasis 0.97, DC removal, no dither, snip_edges false, mel range 20..7600 Hz.
#include <cmath>
#include <stdexcept>
#include <string>

namespace ncasr {

struct FbankOptions {
  float sample_rate = 16000.f;
  int num_bins = 80;
  float frame_shift_ms = 10.f;
  float frame_length_ms = 25.f;
  float dither = 0.f;  // only 0: features must be deterministic
  float preemph_coeff = 0.97f;
  bool remove_dc_offset = true;
  // povey, hamming, hann (periodic, as kaldi-native-fbank's), hanning (Kaldi's symmetric
  // one), rectangular, blackman
  std::string window = "povey";
  bool snip_edges = false;
  float low_freq = 20.f;
  float high_freq = -400.f;  // <= 0: offset from Nyquist
  bool round_to_power_of_two = true;
  bool use_energy = false;  // prepend log raw energy (Kaldi raw_energy=true semantics)
  bool use_log_fbank = true;
  bool use_power = true;  // false: magnitude spectrum
  float energy_floor = 0.f;

  // Sizes in samples, computed exactly as Kaldi does (double product, truncated).
  int frame_shift() const { return static_cast<int>(static_cast<double>(sample_rate) * 0.001 * frame_shift_ms); }
  int frame_length() const { return static_cast<int>(static_cast<double>(sample_rate) * 0.001 * frame_length_ms); }
  int padded_length() const {
    const int n = frame_length();
    if (!round_to_power_of_two) return n;
    int p = 1;
    while (p < n) p <<= 1;
    return p;
  }
  float effective_high_freq() const { return high_freq > 0.f ? high_freq : 0.5f * sample_rate + high_freq; }
  int dim() const { return num_bins + (use_energy ? 1 : 0); }

  // Throws std::invalid_argument naming the bad value. Written as !(x > 0) so NaN fails.
  void validate() const {
    auto bad = [](const std::string& what) { throw std::invalid_argument("FbankOptions: " + what); };
    if (!(sample_rate > 0) || !std::isfinite(sample_rate))
      bad("sample_rate must be > 0, got " + std::to_string(sample_rate));
    if (num_bins < 3) bad("num_bins must be >= 3, got " + std::to_string(num_bins));
    if (!(frame_shift_ms > 0) || frame_shift() < 1)
      bad("frame_shift_ms must be > 0 and cover at least one sample, got " + std::to_string(frame_shift_ms));
    if (!(frame_length_ms > 0) || frame_length() < 2)
      bad("frame_length_ms must be > 0 and cover at least two samples, got " + std::to_string(frame_length_ms));
    if (dither != 0.f) bad("dither must be 0 (random dither is not supported)");
    if (!(preemph_coeff >= 0 && preemph_coeff <= 1))
      bad("preemph_coeff must be in [0, 1], got " + std::to_string(preemph_coeff));
    if (window != "povey" && window != "hamming" && window != "hann" && window != "hanning" &&
        window != "rectangular" && window != "blackman")
      bad("unknown window '" + window + "' (povey, hamming, hann, hanning, rectangular, blackman)");
    const int n = padded_length();
    if ((n & (n - 1)) != 0)
      bad("round_to_power_of_two=false needs a frame length that is a power of two, got " +
          std::to_string(frame_length()) + " samples");
    const float nyquist = 0.5f * sample_rate, high = effective_high_freq();
    if (!(low_freq >= 0) || !(low_freq < nyquist))
      bad("low_freq must be in [0, Nyquist=" + std::to_string(nyquist) + "), got " + std::to_string(low_freq));
    if (!(high > low_freq) || !(high <= nyquist))
      bad("effective high_freq " + std::to_string(high) + " must be in (low_freq=" + std::to_string(low_freq) +
          ", Nyquist=" + std::to_string(nyquist) + "]");
    if (!(energy_floor >= 0)) bad("energy_floor must be >= 0");
  }
};

}  // namespace ncasr
