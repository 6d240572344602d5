// ncasr-quantize: calibrate and write an int8 model folder, no Python needed (for boards).
//   ncasr-quantize [--calibration WAV]... [--table TABLE] [--method kl|aciq|minmax|percentile]
//                  [--exclude LAYER]... [--exclude-type TYPE]... [--fp16-storage] [--ncasr-int8-gemm]
//                  [--ncasr-int8-depthwise]
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
#include "model/layers/compat/custom_layers.h"

namespace fs = std::filesystem;

namespace {

void usage() {
  std::fprintf(stderr,
               "usage: ncasr-quantize [--calibration WAV]... [--table TABLE] [--method M]\n"
               "         [--exclude LAYER]... [--exclude-type TYPE]... [--fp16-storage] [--ncasr-int8-gemm]\n"
               "         [--ncasr-int8-depthwise]\n"
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
  std::fprintf(stderr, "%zu activation scales from %zu files (%.1f s of audio)\n", r.table.size(),
               r.utterances, r.audio_seconds);
  return r.table;
}

// "encoder_jit_trace-pnnx.ncnn.param" -> "encoder_jit_trace-pnnx.ncnn.int8.param"
std::string int8_name(const std::string& param) {
  std::string stem = fs::path(param).filename().string();
  stem = stem.substr(0, stem.size() - 6);
  const size_t at = stem.rfind(".ncnn");
  return at == std::string::npos ? stem + ".int8" : stem.substr(0, at) + ".ncnn.int8" + stem.substr(at + 5);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional, wavs;
  std::set<std::string> exclude_layers, exclude_types;
  std::string table_path, method = "kl", output;
  bool fp16 = false, calibrate_only = false, ncasr_gemm = false, ncasr_depthwise = false;
  int workers = 1;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw ncasr::ConfigError(a + " needs a value");
        return argv[++i];
      };
      if (a == "--calibration") wavs.push_back(value());
      else if (a == "--table") table_path = value();
      else if (a == "--method") method = value();
      else if (a == "--exclude") exclude_layers.insert(value());
      else if (a == "--exclude-type") exclude_types.insert(value());
      else if (a == "--fp16-storage") fp16 = true;
      else if (a == "--ncasr-int8-gemm") ncasr_gemm = true;
      else if (a == "--ncasr-int8-depthwise") ncasr_depthwise = true;
      else if (a == "--num-workers") workers = std::atoi(value().c_str());
      else if (a == "--calibrate-only") calibrate_only = true;
      else if (a == "-o") output = value();
      else if (a == "-h" || a == "--help") { usage(); return 0; }
      else if (!a.empty() && a[0] == '-') throw ncasr::ConfigError("unknown option " + a);
      else positional.push_back(a);
    }
    if (calibrate_only) {
      if (positional.size() < 2 || output.empty()) { usage(); return 2; }
      const ncasr::ActivationRunner runner(ncasr::ModelFiles::find(positional[0], "float"));
      calibrate_wavs(runner, {positional.begin() + 1, positional.end()}, method, workers).save(output);
      std::printf("wrote %s\n", output.c_str());
      return 0;
    }
    if (positional.size() != 2 || (!wavs.empty() && !table_path.empty())) { usage(); return 2; }
    const auto t0 = std::chrono::steady_clock::now();
    const ncasr::ModelFiles files = ncasr::ModelFiles::find(positional[0], "float");
    const fs::path out = positional[1];
    std::error_code ec;
    if (fs::exists(out, ec) && !fs::is_empty(out, ec))
      throw ncasr::ConfigError(out.string() + ": output folder is not empty");
    if (fs::equivalent(files.dir, out, ec)) throw ncasr::ConfigError("the output folder must not be the model folder");
    const ncasr::ActivationRunner runner(files);
    ncasr::ScaleTable table;
    const bool have_table = !wavs.empty() || !table_path.empty();
    if (!wavs.empty()) table = calibrate_wavs(runner, wavs, method, workers);
    if (!table_path.empty()) table = ncasr::ScaleTable::load(table_path);
    const auto plan = ncasr::plan_conversion(runner, have_table ? &table : nullptr, exclude_layers,
                                             exclude_types, fp16, ncasr_gemm,
                                             ncasr_depthwise);
    // Written beside OUT_DIR, renamed into place when complete.
    const fs::path work = out.string() + ".partial";
    fs::remove_all(work, ec);
    fs::create_directories(work);
    const std::pair<const char*, const ncasr::NetFiles*> nets[] = {
        {"encoder", &files.encoder}, {"decoder", &files.decoder}, {"joiner", &files.joiner}};
    std::vector<std::string> ncasr_only;
    for (const auto& [net, nf] : nets) {
      if (nf->bin.empty()) throw ncasr::ModelError(nf->param, "has no .bin next to it");
      const std::string name = int8_name(nf->param);
      const auto r = ncasr::convert_net_int8(nf->param, nf->bin, (work / (name + ".param")).string(),
                                             (work / (name + ".bin")).string(), plan.at(net));
      for (const auto& l : r.layers)
        if (l.action.rfind("int8 as Ncasr", 0) == 0)
          ncasr_only.push_back(std::string(net) + "/" + l.name + " (" + l.action.substr(8) + ")");
      std::printf("%s: %lld -> %lld bytes (%.0f%%), %d layers int8\n", net, r.bytes_in, r.bytes_out,
                  100.0 * r.bytes_out / r.bytes_in, r.quantized);
    }
    if (!files.tokens.empty()) fs::copy_file(files.tokens, work / "tokens.txt");
    if (have_table) table.save((work / "calibration.table").string());
    if (!ncasr_only.empty()) {
      std::ofstream note(work / ncasr::kNcasrOnlyFile);
      note << ncasr::ncasr_only_note(ncasr_only);
    }
    fs::remove_all(out, ec);
    fs::rename(work, out);
    std::printf("wrote %s in %.1f s\n", out.string().c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ncasr-quantize: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
