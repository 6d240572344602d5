#include "audio/wav_file.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/errors.h"

namespace ncasr {
namespace {

uint32_t u32(const unsigned char* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
uint16_t u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

float sample_at(const unsigned char* p, int format, int bits) {
  if (format == 3) {
    if (bits == 32) {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    double d;
    std::memcpy(&d, p, 8);
    return static_cast<float>(d);
  }
  switch (bits) {
    case 8: return (static_cast<int>(p[0]) - 128) / 128.f;
    case 16: return static_cast<int16_t>(u16(p)) / 32768.f;
    case 24: {
      int32_t v = (p[0] | p[1] << 8 | p[2] << 16) << 8;
      return (v >> 8) / 8388608.f;
    }
    default: return static_cast<int32_t>(u32(p)) / 2147483648.f;
  }
}

}  // namespace

WavData read_wav(const std::string& path, bool mix_to_mono) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw AudioError(path + ": audio file not found or unreadable");
  std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) || std::memcmp(b.data() + 8, "WAVE", 4))
    throw AudioError(path + ": not a RIFF/WAVE file");
  int format = 0, channels = 0, rate = 0, bits = 0;
  const unsigned char* data = nullptr;
  size_t data_size = 0;
  for (size_t pos = 12; pos + 8 <= b.size();) {
    const uint32_t size = u32(&b[pos + 4]);
    const unsigned char* body = &b[pos + 8];
    const size_t avail = b.size() - pos - 8;
    if (!std::memcmp(&b[pos], "fmt ", 4) && size >= 16 && avail >= 16) {
      format = u16(body);
      channels = u16(body + 2);
      rate = static_cast<int>(u32(body + 4));
      bits = u16(body + 14);
      if (format == 0xFFFE && size >= 40) format = u16(body + 24);  // WAVE_FORMAT_EXTENSIBLE
    } else if (!std::memcmp(&b[pos], "data", 4)) {
      data = body;
      data_size = std::min<size_t>(size, avail);  // tolerate a truncated last chunk
      break;
    }
    pos += 8 + size + (size & 1);
  }
  if (!format) throw AudioError(path + ": no fmt chunk");
  if (!data) throw AudioError(path + ": no data chunk");
  const bool pcm = format == 1 && (bits == 8 || bits == 16 || bits == 24 || bits == 32);
  const bool flt = format == 3 && (bits == 32 || bits == 64);
  if ((!pcm && !flt) || channels < 1 || rate <= 0)
    throw AudioError(path + ": unsupported WAV encoding (format " + std::to_string(format) + ", " +
                     std::to_string(bits) + " bits)");
  if (channels > 1 && !mix_to_mono)
    throw AudioError(path + ": has " + std::to_string(channels) + " channels; mix them to mono first");
  const size_t frame = static_cast<size_t>(channels) * bits / 8;
  WavData w;
  w.sample_rate = rate;
  w.channels = channels;
  const size_t n = data_size / frame;
  w.samples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    float sum = 0;
    for (int c = 0; c < channels; ++c) sum += sample_at(data + i * frame + c * bits / 8, format, bits);
    w.samples[i] = sum / channels;
  }
  return w;
}

}  // namespace ncasr
