// Test CLI for cpp/features, built by tests/features/test_fbank_reference.py.
//   fbank_harness fbank IN.f32 OUT.f32 CHUNK [pop] [key=value ...]
//       feed raw float32 samples in pieces of CHUNK (0: all at once), input_finished,
//       write frames (row-major float32); with "pop", take and pop frames while
//       streaming. Prints "frames N dim D us_per_frame T".
//   fbank_harness resample IN_RATE OUT_RATE IN.f32 OUT.f32 CHUNK
//   fbank_harness bench SECONDS      time per frame, 1600-sample pieces with pop
//   fbank_harness api                error handling and pop; prints "api ok"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "features/fbank.h"
#include "features/resampler.h"

using ncasr::FbankOptions;
using ncasr::LinearResampler;
using ncasr::OnlineFbank;

namespace {

std::vector<float> read_f32(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::vector<float> v(static_cast<size_t>(f.tellg()) / sizeof(float));
  f.seekg(0);
  f.read(reinterpret_cast<char*>(v.data()), v.size() * sizeof(float));
  return v;
}

void write_f32(const std::string& path, const std::vector<float>& v) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  if (!f) throw std::runtime_error("cannot write " + path);
}

void set_option(FbankOptions* o, const std::string& kv) {
  const size_t eq = kv.find('=');
  if (eq == std::string::npos) throw std::runtime_error("expected key=value, got " + kv);
  const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
  const float f = std::strtof(v.c_str(), nullptr);
  const bool b = v == "1" || v == "true";
  if (k == "window") o->window = v;
  else if (k == "sample_rate") o->sample_rate = f;
  else if (k == "num_bins") o->num_bins = std::atoi(v.c_str());
  else if (k == "frame_shift_ms") o->frame_shift_ms = f;
  else if (k == "frame_length_ms") o->frame_length_ms = f;
  else if (k == "preemph_coeff") o->preemph_coeff = f;
  else if (k == "low_freq") o->low_freq = f;
  else if (k == "high_freq") o->high_freq = f;
  else if (k == "energy_floor") o->energy_floor = f;
  else if (k == "dither") o->dither = f;
  else if (k == "snip_edges") o->snip_edges = b;
  else if (k == "remove_dc_offset") o->remove_dc_offset = b;
  else if (k == "use_energy") o->use_energy = b;
  else if (k == "use_log_fbank") o->use_log_fbank = b;
  else if (k == "use_power") o->use_power = b;
  else if (k == "round_to_power_of_two") o->round_to_power_of_two = b;
  else throw std::runtime_error("unknown option " + k);
}

// Feeds x in pieces; returns all frames. With pop, frames are copied out and popped as
// soon as they are ready, as a recognizer does.
std::vector<float> run_fbank(const FbankOptions& o, const std::vector<float>& x, size_t chunk,
                             bool pop, double* seconds, int* num_frames) {
  auto t0 = std::chrono::steady_clock::now();
  OnlineFbank fb(o);
  std::vector<float> frames;
  int taken = 0;
  auto take = [&] {
    for (; taken < fb.num_frames_ready(); ++taken)
      frames.insert(frames.end(), fb.frame(taken), fb.frame(taken) + fb.dim());
    fb.pop(taken);
  };
  if (chunk == 0) chunk = x.size() ? x.size() : 1;
  for (size_t i = 0; i < x.size(); i += chunk) {
    fb.accept_waveform(x.data() + i, std::min(chunk, x.size() - i));
    if (pop) take();
  }
  fb.input_finished();
  take();
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *num_frames = taken;
  return frames;
}

template <class E, class F>
void expect_throw(const char* what, F f) {
  try {
    f();
  } catch (const E&) {
    return;
  }
  throw std::runtime_error(std::string("expected an exception: ") + what);
}

int api() {
  FbankOptions bad;
  bad.sample_rate = 0;
  expect_throw<std::invalid_argument>("sample_rate 0", [&] { bad.validate(); });
  for (auto edit : std::vector<void (*)(FbankOptions*)>{
           [](FbankOptions* o) { o->num_bins = 0; },
           [](FbankOptions* o) { o->frame_shift_ms = 0; },
           [](FbankOptions* o) { o->frame_length_ms = -1; },
           [](FbankOptions* o) { o->window = "triangle"; },
           [](FbankOptions* o) { o->low_freq = 7700; },
           [](FbankOptions* o) { o->high_freq = 9000; },
           [](FbankOptions* o) { o->dither = 1; },
           [](FbankOptions* o) { o->num_bins = 1000; }}) {  // empty mel bins
    FbankOptions o;
    edit(&o);
    expect_throw<std::invalid_argument>("bad option", [&] { OnlineFbank fb(o); });
  }
  FbankOptions o;
  o.validate();
  OnlineFbank fb(o);
  if (fb.dim() != 80) throw std::runtime_error("dim");
  std::vector<float> x(16000);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * std::sin(0.05f * i);
  fb.accept_waveform(x.data(), 279);
  if (fb.num_frames_ready() != 0) throw std::runtime_error("frame 0 needs 280 samples");
  fb.accept_waveform(x.data() + 279, 1);
  if (fb.num_frames_ready() != 1) throw std::runtime_error("frame 0 ready at 280 samples");
  expect_throw<std::out_of_range>("frame not ready", [&] { fb.frame(1); });
  fb.accept_waveform(x.data() + 280, x.size() - 280);
  const int ready = fb.num_frames_ready();  // 99: the last one needs the end reflection
  if (ready != 99 || fb.is_last_frame(ready - 1)) throw std::runtime_error("online frames");
  fb.pop(50);
  expect_throw<std::out_of_range>("popped frame", [&] { fb.frame(49); });
  expect_throw<std::out_of_range>("pop past ready", [&] { fb.pop(ready + 1); });
  fb.frame(50);
  fb.input_finished();
  fb.input_finished();  // idempotent
  if (fb.num_frames_ready() != 100 || !fb.is_last_frame(99)) throw std::runtime_error("final");
  expect_throw<std::logic_error>("audio after finish", [&] { fb.accept_waveform(x.data(), 1); });
  expect_throw<std::invalid_argument>("resampler rate", [] { LinearResampler r(0, 16000); });
  std::cout << "api ok\n";
  return 0;
}

int bench(double seconds) {
  std::vector<float> x(static_cast<size_t>(seconds * 16000));
  uint32_t s = 1;
  for (float& v : x) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / 16777216.f * 2 - 1;
  }
  double best = 1e9;
  int frames = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double t;
    run_fbank(FbankOptions(), x, 1600, true, &t, &frames);
    best = std::min(best, t);
  }
  std::printf("frames %d us_per_frame %.3f\n", frames, best * 1e6 / frames);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "api") return api();
    if (mode == "bench" && argc == 3) return bench(std::atof(argv[2]));
    if (mode == "fbank" && argc >= 5) {
      FbankOptions o;
      bool pop = false;
      for (int i = 5; i < argc; ++i) {
        if (std::strcmp(argv[i], "pop") == 0) pop = true;
        else set_option(&o, argv[i]);
      }
      const std::vector<float> x = read_f32(argv[2]);
      double t;
      int n;
      const std::vector<float> frames = run_fbank(o, x, std::strtoul(argv[4], nullptr, 10), pop, &t, &n);
      write_f32(argv[3], frames);
      std::printf("frames %d dim %d us_per_frame %.3f\n", n, o.dim(), n ? t * 1e6 / n : 0.0);
      return 0;
    }
    if (mode == "resample" && argc == 7) {
      LinearResampler r(std::atoi(argv[2]), std::atoi(argv[3]));
      const std::vector<float> x = read_f32(argv[4]);
      size_t chunk = std::strtoul(argv[6], nullptr, 10);
      if (chunk == 0) chunk = x.size() ? x.size() : 1;
      std::vector<float> y;
      for (size_t i = 0; i < x.size(); i += chunk) r.resample(x.data() + i, std::min(chunk, x.size() - i), false, &y);
      r.resample(nullptr, 0, true, &y);
      write_f32(argv[5], y);
      std::printf("outputs %zu\n", y.size());
      return 0;
    }
    std::fprintf(stderr, "usage: see the comment at the top of fbank_harness.cc\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
