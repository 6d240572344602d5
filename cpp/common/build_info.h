#pragma once
// Versions and the SIMD paths this build can use on this CPU.
#include <string>
#include <vector>

namespace ncasr {

struct BuildInfo {
  std::string ncnn_version;
  std::string ncnn_origin;  // how the build obtained ncnn
  std::string compiler;
  std::string arch;
  int cpu_count = 1;
  // ISA extensions that ncnn was compiled for AND this CPU supports, e.g. "avx512_vnni".
  std::vector<std::string> simd_active;
  // ISA extensions this CPU supports (whether or not a kernel uses them).
  std::vector<std::string> cpu_features;
};

BuildInfo build_info();

}  // namespace ncasr
