"""ncasr's int8 GEMM kernel on the streaming shapes of transducer encoders, every path this
CPU has, against fp32 sgemm (NumPy's BLAS) on the same shapes in the same run, 1 thread.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/bench_int8_gemm.py [--repeat 200]

Prints a table (ms per call, GOP/s with 2 ops per multiply-add) and the int8/fp32 ratio.
The int8 time includes the per-call activation preparation (widening / +128), not the
weight packing, which a layer does once at load.
"""

from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402 (after the thread variables are set)

from ncasr import _core  # noqa: E402 (after the thread variables are set)

# (M frames, K in, N out): Zipformer 384/768/1536 feed-forward and attention projections,
# LSTM gates (512 -> 2048), Conv-Emformer 512/2048.
SHAPES = [(16, 384, 384), (16, 384, 1536), (16, 1536, 384), (32, 512, 2048), (64, 512, 2048), (8, 512, 2048)]


def best_of(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    paths = [p for p in _core.kernel_paths()]
    print(
        "| M | K | N | fp32 sgemm ms | "
        + " | ".join(f"int8 {p} ms" for p in paths)
        + " | best int8 GOP/s | fp32 GOP/s | fp32/int8 time |"
    )
    print("|---" * (4 + len(paths) + 3) + "|")
    for m, k, n in SHAPES:
        a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
        w = rng.integers(-128, 128, size=(n, k), dtype=np.int8)
        af, wt = a.astype(np.float32), np.ascontiguousarray(w.astype(np.float32).T)
        cf = np.empty((m, n), np.float32)
        fp32 = best_of(lambda af=af, wt=wt, cf=cf: np.matmul(af, wt, out=cf), args.repeat)[1]
        ours = {}
        for p in paths:
            g = _core._testing.PackedInt8Gemm(w, p)
            out = np.empty((m, n), np.int32)
            ours[p] = best_of(lambda g=g, a=a, out=out: g.run(a, out), args.repeat)[1]
        best = min(ours.values())
        ops = 2.0 * m * n * k
        print(
            f"| {m} | {k} | {n} | {fp32 * 1e3:.3f} | "
            + " | ".join(f"{ours[p] * 1e3:.3f}" for p in paths)
            + f" | {ops / best / 1e9:.1f} | {ops / fp32 / 1e9:.1f} | {fp32 / best:.2f} |"
        )


if __name__ == "__main__":
    main()
