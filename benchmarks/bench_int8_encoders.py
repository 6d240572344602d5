"""Whole encoders, float vs int8 on ncnn's int8 layers vs int8 on ncasr's, same process.

The full-size graphs of the three architectures (random weights, made once and cached; see
full_size_models.py) and their int8 copies from `ncasr.quantize`. Each encoder runs the same
features (default 5 s) chunk by chunk with carried states; runs are interleaved and the best
of --rounds is kept, so a busy neighbour on a shared machine hurts every column alike.

    python benchmarks/bench_int8_encoders.py [--archs zipformer,lstm,conv-emformer]
        [--threads 1,2] [--seconds 5] [--rounds 5] [--json OUT] [--md OUT] [--plot OUT.png]

Columns: fp32 (float weights and arithmetic), float as ncasr runs it by default (weights
stored as fp16 on x86, arithmetic in fp32: ncasr's fp16-weight LSTM, ncnn's fp16 storage
elsewhere), int8 with ncnn's int8 layers (as sherpa-ncnn runs the file), int8 with ncasr's
defaults (its LSTM layer, ncnn's Gemm), int8 with ncasr's Gemm layer as well (off by
default: it loses inside whole encoders), and int8 with ncasr's int8 depthwise Conv1D too
(off by default; the LSTM has none), and ncasr's default on a model quantized with
calibration (6 espeak-ng files, KL): the subsampling Convolution layers int8 as well;
speed-ups relative to both float columns at the same thread count.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # helpers.speech

VARIANTS = {
    "fp32": ("", dict(use_fp16_storage=False)),
    "float fp16-weights": ("", {}),  # ncasr's float default
    "int8 ncnn layers": ("-int8", dict(lstm_int8_ncasr=False, int8_gemm_ncasr=False, max_chunks_per_call=1)),
    # ncasr's defaults: NcasrLSTMInt8 on; ncnn's int8 Gemm, but NcasrInt8Gemm in the LSTM (it
    # runs several chunks per call in a decode)
    "int8 ncasr": ("-int8", {}),
    "int8 ncasr + NcasrInt8Gemm": ("-int8", dict(int8_gemm_ncasr=True)),
    "int8 ncasr + int8 depthwise": ("-int8", dict(depthwise_conv1d_int8=True)),
    # the same, quantized as README recommends (`--calibration`): Convolution layers int8 too
    "int8 ncasr calibrated": ("-int8-cal", {}),
}
CALIBRATION_WAVS = 6


def measure(arch: str, threads: int, feats: np.ndarray, seconds: float, rounds: int) -> dict:
    import ncasr
    from full_size_models import CACHE, full_size_model

    model = full_size_model(arch)
    q = CACHE / f"{arch}-full-int8"
    if not (q / "tokens.txt").exists():
        print(ncasr.quantize(model, q, force=True), file=sys.stderr)
    qc = CACHE / f"{arch}-full-int8-cal"
    if not (qc / "calibration.table").exists():
        from helpers.speech import make_test_wavs

        wavs = make_test_wavs(CACHE.parent / "bench-wavs", count=max(2, CALIBRATION_WAVS))[:CALIBRATION_WAVS]
        print(ncasr.quantize(model, qc, calibration=wavs, force=True, progress=False), file=sys.stderr)
    recs = {
        name: ncasr.Recognizer.from_dir(Path(f"{model}{suffix}"), num_threads=threads, **kw)
        for name, (suffix, kw) in VARIANTS.items()
    }
    for rec in recs.values():
        rec._r.encode(feats[:100])  # warm-up: first allocations, page faults
    best = {name: float("inf") for name in recs}
    for _ in range(rounds):
        for name, rec in recs.items():
            t = time.perf_counter()
            rec._r.encode(feats)
            best[name] = min(best[name], (time.perf_counter() - t) / seconds)
    return {
        "arch": arch,
        "threads": threads,
        "rtf": best,
        "overrides": {n: dict(r._r.encoder_overrides) for n, r in recs.items()},
    }


def markdown(rows) -> str:
    names = list(VARIANTS)
    lines = [
        "| arch | threads | "
        + " | ".join(f"RTF {n}" for n in names)
        + " | fp32 / int8 ncnn | fp32 / int8 ncasr | fp32 / int8 calibrated | float fp16-weights / int8 ncasr"
        " | int8 ncnn / int8 ncasr |",
        "|---" * (2 + len(names) + 5) + "|",
    ]
    for r in rows:
        rtf = r["rtf"]
        lines.append(
            f"| {r['arch']} | {r['threads']} | "
            + " | ".join(f"{rtf[n]:.4f}" for n in names)
            + f" | {rtf['fp32'] / rtf['int8 ncnn layers']:.2f} | {rtf['fp32'] / rtf['int8 ncasr']:.2f}"
            f" | {rtf['fp32'] / rtf['int8 ncasr calibrated']:.2f}"
            f" | {rtf['float fp16-weights'] / rtf['int8 ncasr']:.2f}"
            f" | {rtf['int8 ncnn layers'] / rtf['int8 ncasr']:.2f} |"
        )
    return "\n".join(lines)


def plot(rows, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(VARIANTS)
    labels = [f"{r['arch']}\n{r['threads']} thr" for r in rows]
    x = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(rows)), 4))
    width = 0.8 / len(names)
    for i, n in enumerate(names):
        ax.bar(x + (i - (len(names) - 1) / 2) * width, [r["rtf"][n] for r in rows], width, label=n)
    ax.set_xticks(x, labels)
    ax.set_ylabel("encoder real-time factor (lower is faster)")
    ax.set_title("Full-size encoders: float vs int8 (ncnn's int8 layers vs ncasr's)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="zipformer,lstm,conv-emformer")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json")
    p.add_argument("--md")
    p.add_argument("--plot")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    frames = int(args.seconds * 100)
    feats = (rng.standard_normal((frames, 80)) * 2 - 8).astype(np.float32)  # fbank-like level
    rows = []
    for arch in args.archs.split(","):
        for threads in (int(t) for t in args.threads.split(",")):
            rows.append(measure(arch, threads, feats, args.seconds, args.rounds))
            print(markdown(rows[-1:]).splitlines()[-1], flush=True)
    table = markdown(rows)
    print()
    print(table)
    if args.md:
        Path(args.md).write_text(table + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
