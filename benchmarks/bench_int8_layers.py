"""Per-layer int8 benchmark, 1 thread: a Linear (Gemm, rows) and a pointwise conv (Gemm,
columns) on the streaming shapes of the full-size encoders, as ncnn fp32, ncnn int8 and
ncasr's NcasrInt8Gemm, in the same run, against this core's measured int8 peak.

    python benchmarks/bench_int8_layers.py [--repeat 60] [--json OUT]

Two settings per shape:
  hot   one layer run again and again: its weights stay in cache (the kernel's ceiling);
  chain 40 such layers with distinct weights in one net (15 MB of int8): weights come from
        L3 or memory, as inside a real encoder.
Time per layer includes everything the layer does per call (quantize, multiply, dequantize,
ncnn's packing conversions); GOP/s counts 2 ops per multiply-add.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from ncasr import _core  # noqa: E402
from ncasr.layer_nets import write_gemm_net, write_gemm_chain  # noqa: E402

FORMS = ("fp32", "ncnn-int8", "ncasr-int8")
# (T frames, K in, N out): Zipformer stacks run 16, 8, 4 and 2 frames per chunk through
# 384 -> 1024 -> 384 feed-forward layers; Conv-Emformer and LSTM 512 <-> 2048.
SHAPES = [(2, 384, 1024), (4, 384, 1024), (8, 384, 1024), (16, 384, 1024), (8, 1024, 384),
          (16, 512, 2048), (32, 512, 2048)]
CHAIN = 40


def median_ms(param, binf, x, out, repeat):
    r = _core.run_net(param, binf, {"in0": x}, [out], repeats=repeat)
    return 1e3 * float(np.median(r["seconds"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best is kept")
    ap.add_argument("--json")
    args = ap.parse_args()
    peak = _core.int8_peak_gops(0.5)
    print(f"int8 peak of this core (tight vpdpbusd loop): {peak:.0f} GOP/s" if peak
          else "no AVX-512 VNNI: no int8 peak loop; % of peak not shown")
    rng = np.random.default_rng(0)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="ncasr-bench-layers-"))
    for layout in ("rows", "columns"):
        for t, k, n in SHAPES:
            w = (rng.standard_normal((n, k)) * 0.05).astype(np.float32)
            b = rng.standard_normal(n).astype(np.float32)
            x = rng.standard_normal((t, k) if layout == "rows" else (k, t)).astype(np.float32)
            hot = {f: write_gemm_net(work / f"{layout}-{t}-{k}-{n}", w, b, f, layout, name=f) for f in FORMS}
            chain = {f: write_gemm_chain(work / f"chain-{layout}-{t}-{k}-{n}", k, n, CHAIN, f, layout, seed=t)
                     for f in FORMS[1:]}
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
    print("| layer | T | K | N | fp32 ms | ncnn int8 ms | ncasr int8 ms | ncasr GOP/s (% peak) "
          "| chain: ncnn int8 ms | chain: ncasr int8 ms | ncnn/ncasr hot | ncnn/ncasr chain |")
    print("|---" * 12 + "|")
    for r in rows:
        g = r["hot ncasr-int8 GOP/s"]
        pct = f" ({100 * g / peak:.0f} %)" if peak else ""
        print(f"| {'Linear' if r['layout'] == 'rows' else 'pointwise conv'} | {r['T']} | {r['K']} | {r['N']} "
              f"| {r['hot fp32 ms']:.4f} | {r['hot ncnn-int8 ms']:.4f} | {r['hot ncasr-int8 ms']:.4f} "
              f"| {g:.0f}{pct} | {r['chain ncnn-int8 ms']:.4f} | {r['chain ncasr-int8 ms']:.4f} "
              f"| {r['hot ncnn-int8 ms'] / r['hot ncasr-int8 ms']:.2f} "
              f"| {r['chain ncnn-int8 ms'] / r['chain ncasr-int8 ms']:.2f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"peak_gops": peak, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
