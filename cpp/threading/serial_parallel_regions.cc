// libgomp (GCC's OpenMP runtime) makes a futex system call at the end of every parallel
// region, even a region of one thread. ncnn opens one per layer call, so at num_threads=1 a
// graph of many small layers spends a visible share of its time in the kernel for threads it
// never started (measured: see docs/runtime-options.md).
// The link wraps GOMP_parallel (-Wl,--wrap, see CMakeLists.txt): a one-thread region that is
// not nested in another runs its body directly. Inside it omp_get_num_threads() is 1 and
// omp_get_thread_num() 0, as in a team of one; barriers and worksharing are orphaned
// constructs, which OpenMP defines for that case. Every other region goes to libgomp.
#include <omp.h>

extern "C" {

void __real_GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags);

void __wrap_GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags) {
  if (num_threads == 1 && omp_get_level() == 0) {
    fn(data);
    return;
  }
  __real_GOMP_parallel(fn, data, num_threads, flags);
}

// Lets a test check that this build runs one-thread regions without libgomp's team.
int ncasr_serial_parallel_regions_enabled() { return 1; }

}  // extern "C"
