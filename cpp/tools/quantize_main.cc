// ncasr-quantize: calibrate and write an int8 model folder, no Python needed (for boards).
//   ncasr-quantize [--calibration WAV]... [--table TABLE] [--method kl|aciq|minmax|percentile]
//                  [--exclude LAYER]... [--exclude-type TYPE]... [--fp16-storage] [--ncasr-int8-gemm]
//                  [--ncasr-int8-depthwise] [--force]
//                  [--num-workers N] MODEL_DIR OUT_DIR
//   ncasr-quantize --calibrate-only -o TABLE [--method M] MODEL_DIR WAV...
// The same core as `ncasr quantize` / `ncasr calibrate`: calibration through the streaming
// pipeline, the conversion plan (probe run, table checks), one converted file per net.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "audio/wav_file.h"
#include "calibration/calibrator.h"
#include "common/errors.h"
#include "conversion/conversion_plan.h"
#include "conversion/int8_model_writer.h"
#include "model/layers/compat/custom_layers.h"

namespace fs = std::filesystem;

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: ncasr-quantize [--calibration WAV]... [--table TABLE] [--method M]\n"
               "         [--exclude LAYER]... [--exclude-type TYPE]... [--fp16-storage] [--ncasr-int8-gemm]\n"
               "         [--ncasr-int8-depthwise] [--force]\n"
               "         [--num-workers N] MODEL_DIR OUT_DIR\n"
               "       ncasr-quantize --calibrate-only -o TABLE [--method M] MODEL_DIR WAV...\n");
}

ncasr::ScaleTable calibrate_wavs(const ncasr::ActivationRunner& runner, const std::vector<std::string>& wavs,
                                 const std::string& method, int workers) {
  std::vector<ncasr::WavData> data;
  std::vector<ncasr::CalibrationAudio> audio;
  for (const auto& w : wavs) data.push_back(ncasr::read_wav(w));
  for (size_t i = 0; i < data.size(); ++i)
    audio.push_back({data[i].samples.data(), data[i].samples.size(), data[i].sample_rate, wavs[i]});
  ncasr::CalibrationOptions o;
  o.method = method;
  o.num_workers = workers;
  const auto r = ncasr::calibrate(runner, audio, o, [](size_t done, size_t total) {
    std::fprintf(stderr, "\rcalibrating %zu/%zu", done, total);
    if (done == total) std::fprintf(stderr, "\n");
  });
  for (const auto& k : r.zero_inputs) std::fprintf(stderr, "input always zero, kept float: %s\n", k.c_str());
  for (const auto& k : r.never_ran) std::fprintf(stderr, "never reached, kept float: %s\n", k.c_str());
  std::fprintf(stderr, "%zu activation scales from %zu files (%.1f s of audio)\n", r.table.size(), r.utterances,
               r.audio_seconds);
  return r.table;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional, wavs;
  ncasr::ConversionOptions options;
  std::string table_path, method = "kl", output;
  bool calibrate_only = false, force = false;
  int workers = 1;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw ncasr::ConfigError(a + " needs a value");
        return argv[++i];
      };
      if (a == "--calibration")
        wavs.push_back(value());
      else if (a == "--table")
        table_path = value();
      else if (a == "--method")
        method = value();
      else if (a == "--exclude")
        options.exclude_layers.insert(value());
      else if (a == "--exclude-type")
        options.exclude_types.insert(value());
      else if (a == "--fp16-storage")
        options.fp16_storage = true;
      else if (a == "--ncasr-int8-gemm")
        options.ncasr_int8_gemm = true;
      else if (a == "--ncasr-int8-depthwise")
        options.ncasr_int8_depthwise = true;
      else if (a == "--force")
        force = true;
      else if (a == "--num-workers")
        workers = std::atoi(value().c_str());
      else if (a == "--calibrate-only")
        calibrate_only = true;
      else if (a == "-o")
        output = value();
      else if (a == "-h" || a == "--help") {
        usage();
        return 0;
      } else if (!a.empty() && a[0] == '-')
        throw ncasr::ConfigError("unknown option " + a);
      else
        positional.push_back(a);
    }
    if (calibrate_only) {
      if (positional.size() < 2 || output.empty()) {
        usage();
        return 2;
      }
      const ncasr::ActivationRunner runner(ncasr::ModelFiles::find(positional[0], "float"));
      calibrate_wavs(runner, {positional.begin() + 1, positional.end()}, method, workers).save(output);
      std::printf("wrote %s\n", output.c_str());
      return 0;
    }
    if (positional.size() != 2 || (!wavs.empty() && !table_path.empty())) {
      usage();
      return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const ncasr::ModelFiles files = ncasr::ModelFiles::find(positional[0], "float");
    const std::string out = positional[1];
    ncasr::check_int8_out_dir(files.dir, out, force);
    const ncasr::ActivationRunner runner(files);
    ncasr::ScaleTable table;
    const bool have_table = !wavs.empty() || !table_path.empty();
    if (!wavs.empty()) table = calibrate_wavs(runner, wavs, method, workers);
    if (!table_path.empty()) table = ncasr::ScaleTable::load(table_path);
    const ncasr::ScaleTable* t = have_table ? &table : nullptr;
    const auto nets = ncasr::write_int8_model(files, ncasr::plan_conversion(runner, files, t, options), out, t, force);
    for (const auto& c : nets)
      std::printf("%s: %lld -> %lld bytes (%.0f%%), %d layers int8\n", c.net.c_str(), c.report.bytes_in,
                  c.report.bytes_out, 100.0 * c.report.bytes_out / c.report.bytes_in, c.report.quantized);
    std::printf("wrote %s in %.1f s\n", out.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ncasr-quantize: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
