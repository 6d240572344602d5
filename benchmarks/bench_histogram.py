"""Calibration kernels: absmax and the 2048-bin |x| histogram, every kernel path this CPU
has, against NumPy (np.abs(x).max(), np.histogram of |x|) on the same data in the same run.

    python benchmarks/bench_histogram.py [--n 10000000] [--repeats 5]

Median of interleaved repeats; ns/element and GB/s of float32 input read.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from ncasr.quantization.statistics import abs_histogram, abs_max, kernel_paths


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--bins", type=int, default=2048)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal(args.n).astype(np.float32)
    x[rng.integers(0, args.n, args.n // 10)] = 0.0  # ReLU-like zeros, skipped by the histogram
    absmax = abs_max(x, "scalar").value

    cases = {}
    for p in kernel_paths():
        cases[("absmax", p)] = lambda p=p: abs_max(x, p)
        cases[("histogram", p)] = lambda p=p: abs_histogram(x, absmax, args.bins, p)
    cases[("absmax", "numpy")] = lambda: np.abs(x).max()
    cases[("histogram", "numpy")] = lambda: np.histogram(np.abs(x[x != 0]), bins=args.bins, range=(0, absmax))

    times = {k: [] for k in cases}
    for fn in cases.values():  # warm up
        fn()
    for _ in range(args.repeats):
        for k, fn in cases.items():
            times[k].append(timed(fn))
    med = {k: statistics.median(v) for k, v in times.items()}

    print(f"n = {args.n:,} float32, {args.bins} bins, median of {args.repeats}")
    print("| kernel | path | ms | ns/element | GB/s | speed-up vs scalar | speed-up vs NumPy |")
    print("|---|---|---|---|---|---|---|")
    for kernel in ("absmax", "histogram"):
        for (k, p), t in med.items():
            if k != kernel:
                continue
            ns = t / args.n * 1e9
            gbs = args.n * 4 / t / 1e9
            vs_scalar = med[(kernel, "scalar")] / t
            vs_numpy = med[(kernel, "numpy")] / t
            print(f"| {kernel} | {p} | {t * 1e3:.2f} | {ns:.3f} | {gbs:.2f} | {vs_scalar:.2f} | {vs_numpy:.2f} |")


if __name__ == "__main__":
    main()
