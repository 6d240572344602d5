// ncasr-decode: recognize WAV files with a model folder, no Python needed (for boards).
//   ncasr-decode [--method greedy_search|modified_beam_search] [--num-active-paths N]
//                [--num-threads N] [--max-chunks-per-call N] [--hotwords FILE]
//                [--tail-padding SECONDS] [--json] [--sherpa-ncnn] [--ncasr-int8-gemm]
//                [--int8-depthwise] [--fp32] MODEL_DIR WAV...
// --sherpa-ncnn runs the model as sherpa-ncnn does (RuntimeOptions::sherpa_ncnn(): ncnn's own
// layers everywhere, Zipformer's encoder in fp32) instead of ncasr's faster layers (the
// default, RuntimeOptions::fastest()); --ncnn-layers is its old name. The other flags apply
// on top of either: --ncasr-int8-gemm also runs an int8 model's Gemm layers on ncasr's kernels;
// --int8-depthwise runs the depthwise Conv1D layers in int8 (quantized at load);
// --fp32 keeps float weights as fp32 (default: fp16 storage, as ncnn); --max-chunks-per-call
// sets RuntimeOptions::max_chunks_per_call (1: one encoder chunk per call, as sherpa-ncnn).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audio/wav_file.h"
#include "common/build_info.h"
#include "common/errors.h"
#include "recognizer/recognizer.h"

namespace {

void usage() {
  std::fprintf(
      stderr,
      "usage: ncasr-decode [--method greedy_search|modified_beam_search]\n"
      "         [--num-active-paths N] [--num-threads N] [--max-chunks-per-call N] [--hotwords FILE]\n"
      "         [--tail-padding SECONDS] [--json] [--sherpa-ncnn] [--ncasr-int8-gemm] [--int8-depthwise] [--fp32]\n"
      "         MODEL_DIR WAV...\n");
}

std::string json_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      o += buf;
    } else {
      o += c;
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  ncasr::RecognizerConfig config;
  bool json = false;
  float tail_padding = 0.5f;
  std::vector<std::string> positional;
  try {
    // The preset first, wherever it stands, so that the other flags apply on top of it.
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]) == "--sherpa-ncnn" || std::string(argv[i]) == "--ncnn-layers")
        config.model.runtime = ncasr::RuntimeOptions::sherpa_ncnn();
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw ncasr::ConfigError(a + " needs a value");
        return argv[++i];
      };
      if (a == "--method")
        config.decoding.method = value();
      else if (a == "--num-active-paths")
        config.decoding.num_active_paths = std::stoi(value());
      else if (a == "--num-threads")
        config.model.runtime.num_threads = std::stoi(value());
      else if (a == "--max-chunks-per-call")
        config.model.runtime.max_chunks_per_call = std::stoi(value());
      else if (a == "--tail-padding")
        tail_padding = std::stof(value());
      else if (a == "--json")
        json = true;
      else if (a == "--sherpa-ncnn" || a == "--ncnn-layers")
        continue;  // the preset, applied above
      else if (a == "--ncasr-int8-gemm")
        config.model.runtime.int8_gemm_ncasr = true;
      else if (a == "--int8-depthwise")
        config.model.runtime.depthwise_conv1d_int8 = true;
      else if (a == "--fp32")
        config.model.runtime.use_fp16_storage = false;
      else if (a == "--hotwords") {
        std::string path = value();
        std::ifstream f(path);
        if (!f) throw ncasr::ConfigError(path + ": hotwords file not found");
        std::stringstream ss;
        ss << f.rdbuf();
        config.decoding.hotwords = ss.str();
      } else if (a == "-h" || a == "--help") {
        usage();
        return 0;
      } else if (!a.empty() && a[0] == '-') {
        throw ncasr::ConfigError("unknown option " + a);
      } else {
        positional.push_back(a);
      }
    }
    if (positional.size() < 2) {
      usage();
      return 2;
    }
    ncasr::Recognizer rec(ncasr::ModelFiles::find(positional[0], config.model.variant), config);
    if (!json) {
      auto b = ncasr::build_info();
      std::string simd;
      for (const auto& s : b.simd_active) simd += (simd.empty() ? "" : ",") + s;
      std::printf("ncnn %s, %s, SIMD: %s\n", b.ncnn_version.c_str(), b.arch.c_str(), simd.c_str());
    }
    for (size_t f = 1; f < positional.size(); ++f) {
      ncasr::WavData wav = ncasr::read_wav(positional[f]);
      const auto start = std::chrono::steady_clock::now();
      auto stream = rec.create_stream();
      stream->accept_waveform(wav.sample_rate, wav.samples.data(), wav.samples.size());
      std::vector<float> pad(static_cast<size_t>(tail_padding * wav.sample_rate), 0.f);
      stream->accept_waveform(wav.sample_rate, pad.data(), pad.size());
      stream->input_finished();
      rec.decode(*stream);
      ncasr::RecognitionResult r = rec.result(*stream);
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double duration = static_cast<double>(wav.samples.size()) / wav.sample_rate;
      if (json) {
        std::printf("{\"file\": \"%s\", \"text\": \"%s\", \"token_ids\": [", json_escape(positional[f]).c_str(),
                    json_escape(r.text).c_str());
        for (size_t i = 0; i < r.token_ids.size(); ++i) std::printf("%s%d", i ? ", " : "", r.token_ids[i]);
        std::printf("], \"timestamps\": [");
        for (size_t i = 0; i < r.timestamps.size(); ++i) std::printf("%s%.2f", i ? ", " : "", r.timestamps[i]);
        std::printf("], \"duration\": %.3f, \"rtf\": %.4f}\n", duration, elapsed / duration);
      } else {
        std::printf("%s: %s\n  RTF = %.3f/%.3f = %.4f\n", positional[f].c_str(), r.text.c_str(), elapsed, duration,
                    elapsed / duration);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ncasr-decode: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
