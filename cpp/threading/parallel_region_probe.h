#pragma once
// Runs one OpenMP parallel region the way ncnn's layers open them, and reports what the
// body saw: lets tests check the one-thread fast path (serial_parallel_regions.cc) and that
// loops, reductions and barriers inside a region still cover all the work.

namespace ncasr {

struct ParallelRegionReport {
  int threads = 0;               // omp_get_num_threads() inside the region
  int level = 0;                 // omp_get_level() inside: 0 when the body ran without a team
  int iterations = 0;            // iterations of a dynamically scheduled 1000-iteration loop
  long long sum = 0;             // their sum (499500 when every iteration ran once)
  bool fast_path_built = false;  // this build wraps GOMP_parallel
};

// nested: open the region from inside an outer two-thread region.
ParallelRegionReport probe_parallel_region(int num_threads, bool nested);

}  // namespace ncasr
