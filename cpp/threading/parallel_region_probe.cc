#include "threading/parallel_region_probe.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace ncasr {
namespace {

void run_region(int num_threads, ParallelRegionReport* r) {
  int threads = 0, level = 0, iterations = 0;
  long long sum = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(num_threads) reduction(+ : sum, iterations)
  {
#pragma omp single
    {
      threads = omp_get_num_threads();
      level = omp_get_level();
    }
#pragma omp for schedule(dynamic, 7)
    for (int i = 0; i < 1000; ++i) {
      sum += i;
      iterations += 1;
    }
#pragma omp barrier
  }
#else
  threads = 1;
  for (int i = 0; i < 1000; ++i) sum += i, iterations += 1;
#endif
  r->threads = threads;
  r->level = level;
  r->iterations = iterations;
  r->sum = sum;
}

}  // namespace

ParallelRegionReport probe_parallel_region(int num_threads, bool nested) {
  ParallelRegionReport r;
#ifdef NCASR_SERIAL_PARALLEL_REGIONS
  r.fast_path_built = true;
#endif
  if (!nested) {
    run_region(num_threads, &r);
    return r;
  }
#ifdef _OPENMP
#pragma omp parallel num_threads(2)
  {
#pragma omp master
    run_region(num_threads, &r);
  }
#else
  run_region(num_threads, &r);
#endif
  return r;
}

}  // namespace ncasr
