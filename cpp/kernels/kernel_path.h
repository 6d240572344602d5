#pragma once
// Which SIMD implementation a kernel runs: picked once from the CPU's features, or forced
// (tests run every path this CPU has against its scalar twin; benchmarks compare them).
#include <string>
#include <vector>

namespace ncasr {
namespace kernels {

enum class KernelPath { kScalar = 0, kAvx2 = 1, kAvx512 = 2, kNeon = 3 };

const char* kernel_path_name(KernelPath path);

// ConfigError for a name that is not one of scalar, avx2, avx512, neon.
KernelPath parse_kernel_path(const std::string& name);

// Compiled into this build and supported by this CPU.
bool kernel_path_supported(KernelPath path);

// Every supported path, scalar first, fastest last.
std::vector<KernelPath> supported_kernel_paths();

// The path dispatched kernels run now: the forced one, else the fastest supported.
KernelPath active_kernel_path();

// The named path, or the active one for "auto" (or "").
KernelPath kernel_path_or_active(const std::string& name);

// "auto" (or "") restores automatic selection; a path this CPU lacks is a ConfigError.
// Process-wide, so meant for tests and benchmarks, not for per-call choices.
void set_kernel_path(const std::string& name);

// ConfigError unless `path` is supported; used by the kernels' explicit-path overloads.
void require_kernel_path(KernelPath path);

}  // namespace kernels
}  // namespace ncasr
