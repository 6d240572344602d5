#include "features/fbank.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <string>

// Bit-identical output needs every float operation rounded on its own: no fused
// multiply-add, which compilers form by default where the target has it (aarch64,
// -march=native on x86). cpp/CMakeLists.txt builds this file with -ffp-contract=off.

namespace ncasr {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Kaldi's mel scale, evaluated in float as Kaldi does so filter edges land on the same
// FFT bins.
float mel_scale(float hz) { return 1127.0f * std::log(1.0f + hz / 700.0f); }

// Computed in double and stored as float, term by term as kaldi-native-fbank writes them:
// "hann" is its periodic Hann window (as torch.hann_window), "hanning" Kaldi's symmetric
// one, and blackman's coefficient is knf's float 0.42f.
std::vector<float> make_window(const std::string& type, int n) {
  std::vector<float> w(n);
  const double a = 2 * kPi / (type == "hann" ? n : n - 1);
  const double blackman = 0.42f;
  for (int i = 0; i < n; ++i) {
    const double c = std::cos(a * i);
    double v = 1.0;  // rectangular
    if (type == "povey")
      v = std::pow(0.5 - 0.5 * c, 0.85);
    else if (type == "hamming")
      v = 0.54 - 0.46 * c;
    else if (type == "hann" || type == "hanning")
      v = 0.5 - 0.5 * c;
    else if (type == "blackman")
      v = blackman - 0.5 * c + (0.5 - blackman) * std::cos(2 * a * i);
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

  plan_mel();
  plan_fft();
  frame_.assign(padded_, 0.f);
  power_.assign(half_ + 1, 0.f);
  zr_.assign(half_, 0.f);
  zi_.assign(half_, 0.f);
}

// Triangular filters equally spaced in mel over FFT bins 0 .. half_-1 (Kaldi MelBanks, all
// in float); mel_low + b * delta must not become a fused multiply-add.
void OnlineFbank::plan_mel() {
  const float bin_hz = opts_.sample_rate / padded_;
  const float mel_low = mel_scale(opts_.low_freq);
  const float mel_high = mel_scale(opts_.effective_high_freq());
  const float delta = (mel_high - mel_low) / (opts_.num_bins + 1);
  mel_begin_.push_back(0);
  for (int b = 0; b < opts_.num_bins; ++b) {
    const float left = mel_low + b * delta, center = mel_low + (b + 1) * delta, right = mel_low + (b + 2) * delta;
    int first = -1;
    for (int k = 0; k < half_; ++k) {
      const float mel = mel_scale(bin_hz * k);
      if (!(mel > left && mel < right)) continue;
      if (first < 0) first = k;
      // Bins inside the triangle are contiguous, so k == first + weights so far.
      mel_w_.push_back(mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center));
    }
    if (first < 0)
      throw std::invalid_argument("FbankOptions: mel bin " + std::to_string(b) +
                                  " covers no FFT bin; num_bins is too large for the frame length");
    mel_first_.push_back(first);
    mel_begin_.push_back(static_cast<int>(mel_w_.size()));
  }
}

// kaldi-native-fbank 1.23 runs kiss_fft's real FFT in float (built with reassociating
// optimisations, see fft_power). Its plan: radix 4 while 4 divides, then radix 2, the first
// factor outermost; twiddles w^j = exp(-2 pi i j / half_) and the split's
// exp(-i pi (k / half_ + 1/2)) computed in double as knf's build does, rounded to float.
void OnlineFbank::plan_fft() {
  const int n = half_;
  std::vector<int> radix;
  for (int rest = n; rest > 1; rest /= radix.back()) radix.push_back(rest % 4 == 0 ? 4 : 2);
  // Outermost stage s has span m = n / (radix[0] * .. * radix[s]) and reads twiddles with
  // stride radix[0] * .. * radix[s-1]; slot sum_s q_s * m_s starts as point sum_s q_s * stride_s.
  std::vector<int> span(radix.size()), stride(radix.size());
  for (size_t s = 0, m = n, st = 1; s < radix.size(); st *= radix[s], ++s) {
    m /= radix[s];
    span[s] = static_cast<int>(m);
    stride[s] = static_cast<int>(st);
  }
  fft_perm_.assign(n, 0);
  for (int slot = 0; slot < n; ++slot) {
    int rest = slot, point = 0;
    for (size_t s = 0; s < radix.size(); ++s) {
      point += rest / span[s] * stride[s];
      rest %= span[s];
    }
    fft_perm_[slot] = point;
  }
  const double step = (1.0 / n) * (-2 * kPi);
  fft_stages_.clear();
  fft_tw_.clear();
  for (size_t s = radix.size(); s-- > 0;) {
    const int p = radix[s], m = span[s];
    fft_stages_.push_back({p, m, fft_tw_.size()});
    for (int j = 1; j < p; ++j) {
      const size_t re = fft_tw_.size();
      fft_tw_.resize(re + 2 * m);
      for (int k = 0; k < m; ++k) {
        const double phase = static_cast<double>(j * k * stride[s]) * step;
        fft_tw_[re + k] = static_cast<float>(std::cos(phase));
        fft_tw_[re + m + k] = static_cast<float>(std::sin(phase));
      }
    }
  }
  split_re_.resize(n / 2);
  split_im_.resize(n / 2);
  for (int k = 1; k <= n / 2; ++k) {
    const double phase = (static_cast<double>(k) * (1.0 / n) + 0.5) * -kPi;
    split_re_[k - 1] = static_cast<float>(std::cos(phase));
    split_im_[k - 1] = static_cast<float>(std::sin(phase));
  }
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
    for (int64_t f = num_ready_; f < target; ++f) compute_frame(f, store_.data() + (f - store_first_) * dim_);
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

// Power spectrum of the padded_ real samples in frame_, bit-identical to kaldi-native-fbank
// 1.23: its Rfft is kiss_fftr in float, compiled with reassociation, so each sum below is
// written in the order of knf's machine code, e.g. f0 + (a - b) as (f0 + a) - b. The even
// and odd samples form half_ complex points; a decimation-in-time FFT of those is split
// into the real signal's spectrum, squared in float as Kaldi's ComputePowerSpectrum.
void OnlineFbank::fft_power() {
  const int n = half_;
  float* zr = zr_.data();
  float* zi = zi_.data();
  const float* x = frame_.data();
  const int* perm = fft_perm_.data();
  for (int i = 0; i < n; ++i) {
    zr[i] = x[2 * perm[i]];
    zi[i] = x[2 * perm[i] + 1];
  }
  for (const FftStage& st : fft_stages_) {
    const int m = st.m;
    const float* tw = fft_tw_.data() + st.tw;
    if (st.radix == 4) {
      const float *w1r = tw, *w1i = tw + m, *w2r = tw + 2 * m, *w2i = tw + 3 * m, *w3r = tw + 4 * m, *w3i = tw + 5 * m;
      for (int base = 0; base < n; base += 4 * m) {
        float* __restrict r0 = zr + base;
        float* __restrict i0 = zi + base;
        float* __restrict r1 = r0 + m;
        float* __restrict i1 = i0 + m;
        float* __restrict r2 = r1 + m;
        float* __restrict i2 = i1 + m;
        float* __restrict r3 = r2 + m;
        float* __restrict i3 = i2 + m;
        for (int k = 0; k < m; ++k) {
          const float s0r = r1[k] * w1r[k] - i1[k] * w1i[k];
          const float s0i = i1[k] * w1r[k] + r1[k] * w1i[k];
          const float a = r2[k] * w2r[k], b = i2[k] * w2i[k];
          const float s1i = i2[k] * w2r[k] + r2[k] * w2i[k];
          const float c = i3[k] * w3i[k], d = r3[k] * w3r[k];
          const float s2i = i3[k] * w3r[k] + r3[k] * w3i[k];
          const float f0r = (r0[k] + a) - b, s5r = (r0[k] + b) - a;
          const float f0i = i0[k] + s1i, s5i = i0[k] - s1i;
          const float s3r = (s0r - c) + d, s3i = s2i + s0i, s4r = (s0r - d) + c;
          r0[k] = f0r + s3r;
          i0[k] = f0i + s3i;
          r1[k] = (s5r + s0i) - s2i;
          i1[k] = s5i - s4r;
          r2[k] = f0r - s3r;
          i2[k] = f0i - s3i;
          r3[k] = (s5r + s2i) - s0i;
          i3[k] = s5i + s4r;
        }
      }
    } else {  // radix 2
      const float *w1r = tw, *w1i = tw + m;
      for (int base = 0; base < n; base += 2 * m) {
        float* __restrict r0 = zr + base;
        float* __restrict i0 = zi + base;
        float* __restrict r1 = r0 + m;
        float* __restrict i1 = i0 + m;
        for (int k = 0; k < m; ++k) {
          const float a = r1[k] * w1r[k], b = i1[k] * w1i[k];
          const float ti = i1[k] * w1r[k] + r1[k] * w1i[k];
          const float f0r = r0[k], f0i = i0[k];
          r1[k] = (f0r + b) - a;
          i1[k] = f0i - ti;
          r0[k] = (f0r + a) - b;
          i0[k] = f0i + ti;
        }
      }
    }
  }
  // X[k] and X[n-k] from Z[k] and Z[n-k]; at k = n/2 the second form is the one kept.
  float* p = power_.data();
  const float dc = zr[0] + zi[0], nyq = zr[0] - zi[0];
  p[0] = dc * dc;
  p[n] = nyq * nyq;
  for (int k = 1; k <= n / 2; ++k) {
    const float ar = zr[k], ai = zi[k], br = zr[n - k], bi = zi[n - k];
    const float sr = split_re_[k - 1], si = split_im_[k - 1];
    const float f1r = br + ar, f2r = ar - br, f1i = ai - bi, f2i = bi + ai;
    const float a = f2r * sr, b = f2i * si, ti = f2i * sr + f2r * si;
    const float xr = ((f1r + a) - b) * 0.5f, xi = (f1i + ti) * 0.5f;
    const float yr = ((f1r + b) - a) * 0.5f, yi = ((bi - ai) + ti) * 0.5f;
    p[k] = xr * xr + xi * xi;
    p[n - k] = yr * yr + yi * yi;
  }
}

const float* OnlineFbank::frame(int i) const {
  if (i < popped_ || i >= num_ready_)
    throw std::out_of_range("OnlineFbank: frame " + std::to_string(i) + " is not available (" +
                            std::to_string(popped_) + " popped, " + std::to_string(num_ready_) + " ready)");
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
