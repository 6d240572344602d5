#include "features/fbank.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ncasr {
namespace {

double mel_scale(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

std::vector<float> make_window(const std::string& type, int n) {
  std::vector<float> w(n);
  const double a = 2 * M_PI / (n - 1);
  for (int i = 0; i < n; ++i) {
    double v = 1.0;
    if (type == "povey") v = std::pow(0.5 - 0.5 * std::cos(a * i), 0.85);
    else if (type == "hamming") v = 0.54 - 0.46 * std::cos(a * i);
    else if (type == "hann") v = 0.5 - 0.5 * std::cos(a * i);
    else if (type == "blackman") v = 0.42 - 0.5 * std::cos(a * i) + 0.08 * std::cos(2 * a * i);
    w[i] = static_cast<float>(v);
  }
  return w;
}

}  // namespace

OnlineFbank::OnlineFbank(const FbankOptions& opts) : opts_(opts) {
  opts_.validate();
  shift_ = opts_.frame_shift();
  length_ = opts_.frame_length();
  padded_ = opts_.padded_length();
  window_ = make_window(opts_.window, length_);

  // Triangular filters, equally spaced on the mel scale (Kaldi MelBanks); the Nyquist
  // bin is not used.
  const int num_fft_bins = padded_ / 2;
  const double bin_hz = opts_.sample_rate / padded_;
  const double mel_low = mel_scale(opts_.low_freq), mel_high = mel_scale(opts_.effective_high_freq());
  const double delta = (mel_high - mel_low) / (opts_.num_bins + 1);
  mel_.resize(opts_.num_bins);
  for (int b = 0; b < opts_.num_bins; ++b) {
    const double left = mel_low + b * delta, center = left + delta, right = center + delta;
    for (int i = 0; i < num_fft_bins; ++i) {
      const double m = mel_scale(bin_hz * i);
      if (m > left && m < right) {
        const double w = m <= center ? (m - left) / (center - left) : (right - m) / (right - center);
        mel_[b].emplace_back(i, static_cast<float>(w));
      }
    }
  }
  // Radix-2 FFT tables.
  int bits = 0;
  while ((1 << bits) < padded_) ++bits;
  bitrev_.resize(padded_);
  for (int i = 0; i < padded_; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitrev_[i] = r;
  }
  cos_.resize(padded_ / 2);
  sin_.resize(padded_ / 2);
  for (int k = 0; k < padded_ / 2; ++k) {
    cos_[k] = std::cos(-2 * M_PI * k / padded_);
    sin_[k] = std::sin(-2 * M_PI * k / padded_);
  }
  buf_.resize(length_);
  re_.resize(padded_);
  im_.resize(padded_);
}

long long OnlineFbank::first_sample_of_frame(long long i) const {
  return i * shift_ + shift_ / 2 - length_ / 2;
}

void OnlineFbank::accept_waveform(const float* samples, size_t n) {
  if (finished_) throw std::logic_error("accept_waveform after input_finished");
  samples_.insert(samples_.end(), samples, samples + n);
  num_samples_ += static_cast<long long>(n);
  compute_ready_frames();
}

void OnlineFbank::input_finished() {
  if (finished_) return;
  finished_ = true;
  compute_ready_frames();
}

void OnlineFbank::compute_ready_frames() {
  // snip_edges=false: (N + shift/2) / shift frames in all; before the end of input only
  // those whose window lies inside the samples received so far.
  long long total = (num_samples_ + shift_ / 2) / shift_;
  if (!finished_) {
    while (total > 0 && first_sample_of_frame(total - 1) + length_ > num_samples_) --total;
  }
  for (long long f = num_frames_ready(); f < total; ++f) {
    frames_.emplace_back();
    compute_frame(f, &frames_.back());
  }
  // Keep only samples a future frame (or its reflection) can still read.
  const long long keep_from =
      std::max<long long>(0, first_sample_of_frame(num_frames_ready()) - length_);
  if (keep_from > samples_offset_) {
    const long long drop = std::min<long long>(keep_from - samples_offset_,
                                               static_cast<long long>(samples_.size()));
    samples_.erase(samples_.begin(), samples_.begin() + drop);
    samples_offset_ += drop;
  }
}

void OnlineFbank::compute_frame(long long index, std::vector<float>* out) {
  const long long start = first_sample_of_frame(index);
  const long long N = num_samples_;
  for (int j = 0; j < length_; ++j) {
    long long s = start + j;
    while (s < 0 || s >= N) s = s < 0 ? -s - 1 : 2 * N - 1 - s;  // Kaldi's reflection
    buf_[j] = samples_[static_cast<size_t>(s - samples_offset_)];
  }
  if (opts_.remove_dc_offset) {
    double sum = 0;
    for (int j = 0; j < length_; ++j) sum += buf_[j];
    const float mean = static_cast<float>(sum / length_);
    for (int j = 0; j < length_; ++j) buf_[j] -= mean;
  }
  if (opts_.preemph_coeff != 0.f) {
    for (int j = length_ - 1; j > 0; --j) buf_[j] -= opts_.preemph_coeff * buf_[j - 1];
    buf_[0] -= opts_.preemph_coeff * buf_[0];
  }
  for (int j = 0; j < padded_; ++j) {
    re_[bitrev_[j]] = j < length_ ? static_cast<double>(buf_[j] * window_[j]) : 0.0;
    im_[j] = 0.0;
  }
  for (int size = 2; size <= padded_; size <<= 1) {
    const int half = size / 2, step = padded_ / size;
    for (int i = 0; i < padded_; i += size) {
      for (int k = 0; k < half; ++k) {
        const double wr = cos_[k * step], wi = sin_[k * step];
        double& ar = re_[i + k];
        double& ai = im_[i + k];
        double& br = re_[i + k + half];
        double& bi = im_[i + k + half];
        const double tr = br * wr - bi * wi, ti = br * wi + bi * wr;
        br = ar - tr;
        bi = ai - ti;
        ar += tr;
        ai += ti;
      }
    }
  }
  out->resize(opts_.num_bins);
  for (int b = 0; b < opts_.num_bins; ++b) {
    double e = 0;
    for (const auto& [i, w] : mel_[b]) e += w * (re_[i] * re_[i] + im_[i] * im_[i]);
    (*out)[b] = std::log(std::max(static_cast<float>(e), FLT_EPSILON));
  }
}

const float* OnlineFbank::frame(int i) const {
  if (i < first_frame_ || i >= num_frames_ready())
    throw std::out_of_range("fbank frame " + std::to_string(i) + " is not available (ready: " +
                            std::to_string(first_frame_) + ".." +
                            std::to_string(num_frames_ready() - 1) + ")");
  return frames_[i - first_frame_].data();
}

void OnlineFbank::pop(int n) {
  while (first_frame_ < n && !frames_.empty()) {
    frames_.pop_front();
    ++first_frame_;
  }
}

}  // namespace ncasr
