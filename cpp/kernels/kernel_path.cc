#include "kernels/kernel_path.h"

#include <cpu.h>

#include <atomic>

#include "common/errors.h"

namespace ncasr {
namespace kernels {
namespace {

// -1: automatic; otherwise a KernelPath value.
std::atomic<int> g_forced{-1};

KernelPath best_path() {
  static const KernelPath best = [] {
    const std::vector<KernelPath> paths = supported_kernel_paths();
    return paths.back();
  }();
  return best;
}

}  // namespace

const char* kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::kScalar: return "scalar";
    case KernelPath::kAvx2: return "avx2";
    case KernelPath::kAvx512: return "avx512";
    case KernelPath::kNeon: return "neon";
  }
  return "unknown";
}

KernelPath parse_kernel_path(const std::string& name) {
  for (KernelPath p : {KernelPath::kScalar, KernelPath::kAvx2, KernelPath::kAvx512, KernelPath::kNeon})
    if (name == kernel_path_name(p)) return p;
  throw ConfigError("unknown kernel path '" + name + "' (expected auto, scalar, avx2, avx512 or neon)");
}

bool kernel_path_supported(KernelPath path) {
  switch (path) {
    case KernelPath::kScalar: return true;
#if defined(NCASR_HAVE_X86_KERNELS)
    case KernelPath::kAvx2: return ncnn::cpu_support_x86_avx2() != 0;
    case KernelPath::kAvx512: return ncnn::cpu_support_x86_avx512() != 0;
#endif
#if defined(NCASR_HAVE_NEON_KERNELS)
    case KernelPath::kNeon: return true;  // NEON is baseline on aarch64
#endif
    default: return false;
  }
}

std::vector<KernelPath> supported_kernel_paths() {
  std::vector<KernelPath> out;
  for (KernelPath p : {KernelPath::kScalar, KernelPath::kNeon, KernelPath::kAvx2, KernelPath::kAvx512})
    if (kernel_path_supported(p)) out.push_back(p);
  return out;
}

KernelPath kernel_path_or_active(const std::string& name) {
  return name.empty() || name == "auto" ? active_kernel_path() : parse_kernel_path(name);
}

KernelPath active_kernel_path() {
  const int forced = g_forced.load(std::memory_order_relaxed);
  return forced < 0 ? best_path() : static_cast<KernelPath>(forced);
}

void require_kernel_path(KernelPath path) {
  if (kernel_path_supported(path)) return;
  std::string have;
  for (KernelPath p : supported_kernel_paths()) have += std::string(have.empty() ? "" : ", ") + kernel_path_name(p);
  throw ConfigError(std::string("kernel path '") + kernel_path_name(path) +
                    "' is not available on this CPU/build (available: " + have + ")");
}

void set_kernel_path(const std::string& name) {
  if (name.empty() || name == "auto") {
    g_forced.store(-1);
    return;
  }
  const KernelPath p = parse_kernel_path(name);
  require_kernel_path(p);
  g_forced.store(static_cast<int>(p));
}

}  // namespace kernels
}  // namespace ncasr
