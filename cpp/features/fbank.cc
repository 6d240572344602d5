#include "features/fbank.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>

namespace ncasr {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Kaldi's mel scale, evaluated in float as Kaldi does so filter edges land on the same
// FFT bins.
float mel_scale(float hz) { return 1127.0f * std::log(1.0f + hz / 700.0f); }

// Computed in double and stored as float, as Kaldi does.
std::vector<float> make_window(const std::string& type, int n) {
  std::vector<float> w(n);
  const double a = 2 * kPi / (n - 1);
  for (int i = 0; i < n; ++i) {
    const double c = std::cos(a * i);
    double v = 1.0;  // rectangular
    if (type == "povey") v = std::pow(0.5 - 0.5 * c, 0.85);
    else if (type == "hamming") v = 0.54 - 0.46 * c;
    else if (type == "hann" || type == "hanning") v = 0.5 - 0.5 * c;
    else if (type == "blackman") v = 0.42 - 0.5 * c + 0.08 * std::cos(2 * a * i);
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
  half_ = padded_ / 2;
  dim_ = opts_.dim();
  if (opts_.energy_floor > 0) log_energy_floor_ = std::log(opts_.energy_floor);
  window_ = make_window(opts_.window, length_);

  // Triangular filters equally spaced in mel over FFT bins 0 .. half_-1 (Kaldi MelBanks,
  // all in float).
  const float bin_hz = opts_.sample_rate / padded_;
  const float mel_low = mel_scale(opts_.low_freq);
  const float mel_high = mel_scale(opts_.effective_high_freq());
  const float delta = (mel_high - mel_low) / (opts_.num_bins + 1);
  mel_begin_.push_back(0);
  for (int b = 0; b < opts_.num_bins; ++b) {
    const float left = mel_low + b * delta, center = mel_low + (b + 1) * delta,
                right = mel_low + (b + 2) * delta;
    int first = -1;
    for (int k = 0; k < half_; ++k) {
      const float mel = mel_scale(bin_hz * k);
      if (!(mel > left && mel < right)) continue;
      if (first < 0) first = k;
      // Bins inside the triangle are contiguous, so k == first + weights so far.
      mel_w_.push_back(mel <= center ? (mel - left) / (center - left)
                                     : (right - mel) / (right - center));
    }
    if (first < 0)
      throw std::invalid_argument("FbankOptions: mel bin " + std::to_string(b) +
                                  " covers no FFT bin; num_bins is too large for the frame length");
    mel_first_.push_back(first);
    mel_begin_.push_back(static_cast<int>(mel_w_.size()));
  }

  // Complex FFT of half_ points: bit-reversal table and per-stage twiddles.
  int bits = 0;
  while ((1 << bits) < half_) ++bits;
  bitrev_.resize(half_);
  for (int i = 0; i < half_; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitrev_[i] = r;
  }
  tw_re_.assign(std::max(half_, 1), 0.0);
  tw_im_.assign(std::max(half_, 1), 0.0);
  for (int h = 1; h < half_; h <<= 1) {
    for (int j = 0; j < h; ++j) {
      tw_re_[h + j] = std::cos(kPi * j / h);
      tw_im_[h + j] = -std::sin(kPi * j / h);
    }
  }
  split_re_.resize(half_);
  split_im_.resize(half_);
  for (int k = 0; k < half_; ++k) {
    split_re_[k] = std::cos(2 * kPi * k / padded_);
    split_im_[k] = -std::sin(2 * kPi * k / padded_);
  }

  frame_.assign(padded_, 0.f);
  power_.assign(half_ + 1, 0.f);
  zr_.assign(half_, 0.0);
  zi_.assign(half_, 0.0);
}

int64_t OnlineFbank::first_sample(int64_t frame) const {
  if (opts_.snip_edges) return frame * shift_;
  return frame * shift_ + shift_ / 2 - length_ / 2;  // window centred on the shift midpoint
}

int64_t OnlineFbank::frames_available(int64_t n, bool flush) const {
  if (opts_.snip_edges) return n < length_ ? 0 : 1 + (n - length_) / shift_;
  int64_t count = (n + shift_ / 2) / shift_;
  if (flush) return count;
  // Online: only frames whose whole window has arrived.
  while (count > 0 && first_sample(count - 1) + length_ > n) --count;
  return count;
}

void OnlineFbank::accept_waveform(const float* samples, size_t n) {
  if (finished_) throw std::logic_error("OnlineFbank: accept_waveform after input_finished");
  if (n == 0) return;
  samples_.insert(samples_.end(), samples, samples + n);
  num_samples_ += static_cast<int64_t>(n);
  compute_new_frames();
}

void OnlineFbank::input_finished() {
  if (finished_) return;
  finished_ = true;
  compute_new_frames();
}

void OnlineFbank::compute_new_frames() {
  const int64_t target = frames_available(num_samples_, finished_);
  if (target > num_ready_) {
    store_.resize(static_cast<size_t>((target - store_first_) * dim_));
    for (int64_t f = num_ready_; f < target; ++f)
      compute_frame(f, store_.data() + (f - store_first_) * dim_);
    num_ready_ = target;
  }
  // Keep only what later frames read: from the next frame's first sample on. The end
  // reflection of a frame never reads before its own start, because its midpoint lies
  // inside the signal.
  int64_t keep_from = finished_ ? num_samples_ : first_sample(num_ready_);
  keep_from = std::max<int64_t>(0, std::min(keep_from, num_samples_));
  if (keep_from > samples_offset_) {
    samples_.erase(samples_.begin(), samples_.begin() + (keep_from - samples_offset_));
    samples_offset_ = keep_from;
  }
}

void OnlineFbank::compute_frame(int64_t index, float* out) {
  float* w = frame_.data();
  const int64_t start = first_sample(index);
  if (start >= samples_offset_ && start + length_ <= num_samples_) {
    std::copy_n(samples_.data() + (start - samples_offset_), length_, w);
  } else {
    // Kaldi's reflection at the signal edges (repeated for very short signals).
    const int64_t n = num_samples_;
    for (int s = 0; s < length_; ++s) {
      int64_t j = start + s;
      while (j < 0 || j >= n) j = j < 0 ? -j - 1 : 2 * n - 1 - j;
      if (j < samples_offset_) throw std::logic_error("OnlineFbank: sample already dropped");
      w[s] = samples_[j - samples_offset_];
    }
  }

  // Sums run in order in float, as Kaldi's, so results match it bit for bit.
  if (opts_.remove_dc_offset) {
    float sum = 0.f;
    for (int i = 0; i < length_; ++i) sum += w[i];
    const float mean = sum / length_;
    for (int i = 0; i < length_; ++i) w[i] -= mean;
  }
  float log_energy = 0.f;
  if (opts_.use_energy) {
    float e = 0.f;
    for (int i = 0; i < length_; ++i) e += w[i] * w[i];
    log_energy = std::log(std::max(e, FLT_EPSILON));
    if (opts_.energy_floor > 0 && log_energy < log_energy_floor_) log_energy = log_energy_floor_;
  }
  if (opts_.preemph_coeff != 0.f) {
    const float c = opts_.preemph_coeff;
    for (int i = length_ - 1; i > 0; --i) w[i] -= c * w[i - 1];
    w[0] -= c * w[0];
  }
  const float* win = window_.data();
  for (int i = 0; i < length_; ++i) w[i] *= win[i];
  std::fill(w + length_, w + padded_, 0.f);

  fft_power();
  if (!opts_.use_power)
    for (int k = 0; k <= half_; ++k) power_[k] = std::sqrt(power_[k]);

  float* mel = out + (opts_.use_energy ? 1 : 0);
  for (int b = 0; b < opts_.num_bins; ++b) {
    const float* wt = mel_w_.data() + mel_begin_[b];
    const float* p = power_.data() + mel_first_[b];
    const int len = mel_begin_[b + 1] - mel_begin_[b];
    float e = 0.f;
    for (int k = 0; k < len; ++k) e += wt[k] * p[k];
    mel[b] = opts_.use_log_fbank ? std::log(std::max(e, FLT_EPSILON)) : e;
  }
  if (opts_.use_energy) out[0] = log_energy;
}

// Power spectrum of the padded_ real samples in frame_. The even/odd samples form a
// complex signal whose half_-point FFT is split into the real signal's spectrum. The FFT
// runs in double and each bin is rounded to float before squaring: kaldi-native-fbank
// does the same, and a float FFT would lose low-energy bins to rounding.
void OnlineFbank::fft_power() {
  const int m = half_;
  double* zr = zr_.data();
  double* zi = zi_.data();
  const float* x = frame_.data();
  for (int i = 0; i < m; ++i) {
    zr[bitrev_[i]] = x[2 * i];
    zi[bitrev_[i]] = x[2 * i + 1];
  }
  for (int h = 1; h < m; h <<= 1) {
    const double* wr = tw_re_.data() + h;
    const double* wi = tw_im_.data() + h;
    for (int base = 0; base < m; base += 2 * h) {
      double* ar = zr + base;
      double* ai = zi + base;
      double* br = zr + base + h;
      double* bi = zi + base + h;
      for (int j = 0; j < h; ++j) {  // contiguous: auto-vectorises
        const double tr = br[j] * wr[j] - bi[j] * wi[j];
        const double ti = br[j] * wi[j] + bi[j] * wr[j];
        br[j] = ar[j] - tr;
        bi[j] = ai[j] - ti;
        ar[j] += tr;
        ai[j] += ti;
      }
    }
  }
  // X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[m-k]) / 2, O = (Z[k] - conj Z[m-k]) / 2i.
  float* p = power_.data();
  for (int k = 0; k < m; ++k) {
    const int c = k == 0 ? 0 : m - k;
    const double er = 0.5 * (zr[k] + zr[c]), ei = 0.5 * (zi[k] - zi[c]);
    const double orr = 0.5 * (zi[k] + zi[c]), oi = -0.5 * (zr[k] - zr[c]);
    const float re = static_cast<float>(er + split_re_[k] * orr - split_im_[k] * oi);
    const float im = static_cast<float>(ei + split_re_[k] * oi + split_im_[k] * orr);
    p[k] = re * re + im * im;
  }
  const float nyq = static_cast<float>(zr[0] - zi[0]);
  p[m] = nyq * nyq;
}

const float* OnlineFbank::frame(int i) const {
  if (i < popped_ || i >= num_ready_)
    throw std::out_of_range("OnlineFbank: frame " + std::to_string(i) + " is not available (" +
                            std::to_string(popped_) + " popped, " + std::to_string(num_ready_) +
                            " ready)");
  return store_.data() + (i - store_first_) * dim_;
}

void OnlineFbank::pop(int n) {
  if (n > num_ready_)
    throw std::out_of_range("OnlineFbank: cannot pop " + std::to_string(n) + " frames, only " +
                            std::to_string(num_ready_) + " ready");
  if (n <= popped_) return;
  popped_ = n;
  // Compact once the freed rows outnumber the live ones: amortised O(1) per frame, and
  // the vector keeps its capacity so steady streaming does not allocate.
  const int64_t freed = popped_ - store_first_, live = num_ready_ - popped_;
  if (freed >= live) {
    store_.erase(store_.begin(), store_.begin() + freed * dim_);
    store_first_ = popped_;
  }
}

}  // namespace ncasr
