#include "common/build_info.h"

#include <cpu.h>
#include <platform.h>

namespace ncasr {

BuildInfo build_info() {
  BuildInfo b;
  b.ncnn_version = NCNN_VERSION_STRING;
#ifdef NCASR_NCNN_ORIGIN
  b.ncnn_origin = NCASR_NCNN_ORIGIN;
#endif
#if defined(__clang__)
  b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  b.compiler = "gcc " __VERSION__;
#endif
  b.cpu_count = ncnn::get_cpu_count();
  auto add = [&](const char* name, bool compiled, int supported) {
    if (supported) b.cpu_features.emplace_back(name);
    if (supported && compiled) b.simd_active.emplace_back(name);
  };
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
  b.arch = "x86_64";
  add("sse2", true, 1);
  add("avx", NCNN_AVX, ncnn::cpu_support_x86_avx());
  add("fma", NCNN_FMA, ncnn::cpu_support_x86_fma());
  add("f16c", NCNN_F16C, ncnn::cpu_support_x86_f16c());
  add("avx2", NCNN_AVX2, ncnn::cpu_support_x86_avx2());
  add("avx_vnni", NCNN_AVXVNNI, ncnn::cpu_support_x86_avx_vnni());
  add("avx512", NCNN_AVX512, ncnn::cpu_support_x86_avx512());
  add("avx512_vnni", NCNN_AVX512VNNI, ncnn::cpu_support_x86_avx512_vnni());
  add("avx512_bf16", NCNN_AVX512BF16, ncnn::cpu_support_x86_avx512_bf16());
  add("avx512_fp16", NCNN_AVX512FP16, ncnn::cpu_support_x86_avx512_fp16());
#elif defined(__aarch64__)
  b.arch = "aarch64";
  add("neon", true, 1);
  add("asimdhp", NCNN_ARM82, ncnn::cpu_support_arm_asimdhp());
  add("asimddp", NCNN_ARM82DOT, ncnn::cpu_support_arm_asimddp());
  add("i8mm", NCNN_ARM84I8MM, ncnn::cpu_support_arm_i8mm());
#else
  b.arch = "other";
#endif
  return b;
}

}  // namespace ncasr
