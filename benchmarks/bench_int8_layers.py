"""Per-layer int8 benchmark, 1 thread: a Linear (Gemm, rows) and a pointwise conv (Gemm,
columns) on the streaming shapes of the full-size encoders, as ncnn fp32, ncnn int8 and
ncasr's NcasrInt8Gemm, in the same run, against this core's measured int8 peak; then the
kernel-31 depthwise Conv1D as ncnn's fp32 layer (ncnn has no int8 one), ncasr's fp32 SIMD
layer and ncasr's int8 layer (NcasrDepthwiseConv1DInt8).

    python benchmarks/bench_int8_layers.py [--repeat 60] [--json OUT]

Two settings per shape:
  hot   one layer run again and again: its weights stay in cache (the kernel's ceiling);
  chain 40 such layers with distinct weights in one net (15 MB of int8): weights come from
        L3 or memory, as inside a real encoder.
Time per layer includes everything the layer does per call (quantize, multiply, dequantize,
ncnn's packing conversions); GOP/s counts 2 ops per multiply-add. Depthwise rows also give
the kernel alone (packed input, no ncnn around it): a one-layer net's time is mostly ncnn's
handling of its input and output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from ncasr import _core

# The one-layer net writers are a test helper (tests/helpers/), kept out of the wheel.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers.layer_nets import write_depthwise_net, write_gemm_chain, write_gemm_net

FORMS = ("fp32", "ncnn-int8", "ncasr-int8")
# (T frames, K in, N out): Zipformer stacks run 16, 8, 4 and 2 frames per chunk through
# 384 -> 1024 -> 384 feed-forward layers; Conv-Emformer and LSTM 512 <-> 2048.
SHAPES = [
    (2, 384, 1024),
    (4, 384, 1024),
    (8, 384, 1024),
    (16, 384, 1024),
    (8, 1024, 384),
    (16, 512, 2048),
    (32, 512, 2048),
]
CHAIN = 40
# Depthwise (channels, output frames per chunk), kernel 31 with 30 cached frames on the left:
# Zipformer's stacks (384 channels; 16, 8, 4, 2 frames), Conv-Emformer (512; 8 and 10).
DW_SHAPES = [(384, 16), (384, 8), (384, 4), (384, 2), (512, 8), (512, 10)]
DW_KERNEL = 31
DW_FORMS = {"ncnn fp32": [], "ncasr fp32": ["depthwise_conv1d"], "ncasr int8": ["depthwise_conv1d_int8"]}


def median_ms(param, binf, x, out, repeat):
    r = _core.run_net(param, binf, {"in0": x}, [out], repeats=repeat)
    return 1e3 * float(np.median(r["seconds"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best is kept")
    ap.add_argument("--json")
    args = ap.parse_args()
    peak = _core._testing.int8_peak_gops(0.5)
    print(
        f"int8 peak of this core (tight vpdpbusd loop): {peak:.0f} GOP/s"
        if peak
        else "no AVX-512 VNNI: no int8 peak loop; % of peak not shown"
    )
    rng = np.random.default_rng(0)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="ncasr-bench-layers-"))
    for layout in ("rows", "columns"):
        for t, k, n in SHAPES:
            w = (rng.standard_normal((n, k)) * 0.05).astype(np.float32)
            b = rng.standard_normal(n).astype(np.float32)
            x = rng.standard_normal((t, k) if layout == "rows" else (k, t)).astype(np.float32)
            hot = {f: write_gemm_net(work / f"{layout}-{t}-{k}-{n}", w, b, f, layout, name=f) for f in FORMS}
            chain = {
                f: write_gemm_chain(work / f"chain-{layout}-{t}-{k}-{n}", k, n, CHAIN, f, layout, seed=t)
                for f in FORMS[1:]
            }
            best = {}
            for _ in range(args.rounds):
                for f in FORMS:
                    best[("hot", f)] = min(best.get(("hot", f), 1e9), median_ms(*hot[f], x, "out0", args.repeat))
                for f in FORMS[1:]:
                    ms = median_ms(*chain[f], x, f"out{CHAIN}", max(10, args.repeat // 4)) / CHAIN
                    best[("chain", f)] = min(best.get(("chain", f), 1e9), ms)
            ops = 2.0 * t * k * n
            row = {"layout": layout, "T": t, "K": k, "N": n}
            for (setting, f), ms in best.items():
                row[f"{setting} {f} ms"] = ms
                row[f"{setting} {f} GOP/s"] = ops / ms / 1e6
            rows.append(row)
    print()
    print(
        "| layer | T | K | N | fp32 ms | ncnn int8 ms | ncasr int8 ms | ncasr GOP/s (% peak) "
        "| chain: ncnn int8 ms | chain: ncasr int8 ms | ncnn/ncasr hot | ncnn/ncasr chain |"
    )
    print("|---" * 12 + "|")
    for r in rows:
        g = r["hot ncasr-int8 GOP/s"]
        pct = f" ({100 * g / peak:.0f} %)" if peak else ""
        print(
            f"| {'Linear' if r['layout'] == 'rows' else 'pointwise conv'} | {r['T']} | {r['K']} | {r['N']} "
            f"| {r['hot fp32 ms']:.4f} | {r['hot ncnn-int8 ms']:.4f} | {r['hot ncasr-int8 ms']:.4f} "
            f"| {g:.0f}{pct} | {r['chain ncnn-int8 ms']:.4f} | {r['chain ncasr-int8 ms']:.4f} "
            f"| {r['hot ncnn-int8 ms'] / r['hot ncasr-int8 ms']:.2f} "
            f"| {r['chain ncnn-int8 ms'] / r['chain ncasr-int8 ms']:.2f} |"
        )
    dw_rows = bench_depthwise(work, rng, args)
    print()
    print(
        "| depthwise C | T out | ncnn fp32 ms | ncasr fp32 ms | ncasr int8 ms | kernel fp32 ms | kernel int8 ms "
        "| int8 kernel GOP/s (% peak) | kernel fp32/int8 |"
    )
    print("|---" * 9 + "|")
    for r in dw_rows:
        g = r["kernel int8 GOP/s"]
        pct = f" ({100 * g / peak:.0f} %)" if peak else ""
        print(
            f"| {r['C']} | {r['T']} | {r['ncnn fp32 ms']:.4f} | {r['ncasr fp32 ms']:.4f} | {r['ncasr int8 ms']:.4f} "
            f"| {r['kernel fp32 ms']:.4f} | {r['kernel int8 ms']:.4f} | {g:.0f}{pct} "
            f"| {r['kernel fp32 ms'] / r['kernel int8 ms']:.2f} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"peak_gops": peak, "rows": rows, "depthwise": dw_rows}, indent=2))
    return 0


def bench_depthwise(work, rng, args):
    """One depthwise layer per form (run_net, best of the rounds' medians), and the packed
    kernels alone with ncnn's elempack for this CPU (16 on AVX-512, 8 on AVX2, 4 on NEON)."""
    pack = {"avx512": 16, "avx2": 8}.get(_core.kernel_path(), 4)
    rows = []
    for c, t in DW_SHAPES:
        w = (rng.standard_normal((c, DW_KERNEL)) * 0.1).astype(np.float32)
        b = rng.standard_normal(c).astype(np.float32)
        x = rng.standard_normal((c, t + DW_KERNEL - 1)).astype(np.float32)
        param, binf = write_depthwise_net(work / f"dw-{c}-{t}", w, b, "fp32")
        best = {}
        for _ in range(args.rounds):
            for name, overrides in DW_FORMS.items():
                r = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=overrides, repeats=args.repeat * 4)
                best[name] = min(best.get(name, 1e9), 1e3 * float(np.median(r["seconds"])))
            for form in ("fp32", "int8"):
                sec = _core._testing.depthwise_conv1d_seconds(c, DW_KERNEL, t, pack, form, args.repeat * 10)
                best[f"kernel {form}"] = min(best.get(f"kernel {form}", 1e9), 1e3 * float(np.median(sec)))
        row = {"C": c, "T": t, "K": DW_KERNEL, "pack": pack}
        row.update({f"{k} ms": v for k, v in best.items()})
        row["kernel int8 GOP/s"] = 2.0 * c * DW_KERNEL * t / best["kernel int8"] / 1e6
        rows.append(row)
    return rows


if __name__ == "__main__":
    sys.exit(main())
