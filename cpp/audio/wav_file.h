#pragma once
// Reads RIFF/WAVE files (PCM 8/16/24/32-bit, IEEE float 32/64) for the command-line
// tools, which must run on a board without Python or libsndfile.
#include <string>
#include <vector>

namespace ncasr {

struct WavData {
  int sample_rate = 0;
  int channels = 0;
  std::vector<float> samples;  // mono in [-1, 1] (channels averaged when mix_to_mono)
};

// Throws AudioError naming the file for anything it cannot read; multi-channel files
// need mix_to_mono.
WavData read_wav(const std::string& path, bool mix_to_mono = false);

}  // namespace ncasr
