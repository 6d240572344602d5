"""Streaming Zipformer2 at full size (icefall's default config, benchmarks/data/
zipformer2-full-config.json) with random weights from our own init: ncasr float and int8 (ncnn
folders from ``ncasr export zipformer2`` and ``ncasr.quantize``) beside sherpa-onnx fp32 and
int8 (ONNX from ncasr.export.zipformer2.onnx_export, int8 by onnxruntime's quantize_dynamic),
at 1 and 2 threads on a few espeak-ng wavs, runs interleaved (``ncasr.bench.run_bench``).

Random weights give no meaningful words; RTF is what is compared. Prints the table and the
ratios ncasr int8 / sherpa-onnx best and ncasr float / sherpa-onnx fp32 per thread count.

    python benchmarks/bench_zipformer2.py [--repeat 3] [--wavs 4] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # helpers.speech

CONFIG = HERE / "data" / "zipformer2-full-config.json"
TOKENS = HERE.parent / "tests" / "data" / "zipformer2" / "tokens.txt"


def build(work: Path, calibration: list) -> dict:
    """The four folders (made once per work folder)."""
    import torch

    import ncasr
    from ncasr.export.zipformer2 import Zipformer2Config, Zipformer2Transducer
    from ncasr.export.zipformer2.ncnn_export import export_ncnn
    from ncasr.export.zipformer2.onnx_export import export_onnx, quantize_onnx_int8

    ncnn_dir, int8_dir, onnx_dir = work / "ncnn", work / "ncnn-int8", work / "onnx"
    if not (work / ".complete").exists():
        torch.manual_seed(20261205)
        cfg = Zipformer2Config.from_json(CONFIG)
        model = Zipformer2Transducer(cfg).eval()
        weights = work / "random.pt"
        torch.save(model.state_dict(), weights)
        export_ncnn(weights, ncnn_dir, cfg, TOKENS, verify=False)
        ncasr.quantize(ncnn_dir, int8_dir, calibration=calibration, force=True, progress=False)
        export_onnx(model, onnx_dir, tokens=TOKENS)
        quantize_onnx_int8(onnx_dir)
        (work / ".complete").write_text("")
    return {"ncnn": ncnn_dir, "int8": int8_dir, "onnx": onnx_dir}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--wavs", type=int, default=4)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--work", default=None, help="folder for the models (default: a temporary one)")
    args = p.parse_args()

    from helpers.speech import make_test_wavs
    from ncasr.bench import markdown, run_bench
    from ncasr.data import ManifestEntry

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        wavs = make_test_wavs(work / "wavs", count=8)
        speech = [w for i, w in enumerate(wavs) if i != 3]  # utt03 is noise only
        dirs = build(work, speech[:4])
        entries = [ManifestEntry(str(w), "") for w in speech[: args.wavs]]
        targets = [str(dirs["ncnn"]), str(dirs["int8"]), f"{dirs['onnx']}:onnx", f"{dirs['onnx']}:onnx-int8"]
        threads = [int(t) for t in args.threads.split(",")]
        records = run_bench(targets, entries, threads=threads, peers=["sherpa-onnx"], repeat=args.repeat,
                            latency_files=0, progress=lambda m: print(m, file=sys.stderr, flush=True))  # fmt: skip
        print(markdown(records))
        uptime = os.popen("uptime").read().strip()
        print(f"\n{len(entries)} wavs, {args.repeat} interleaved runs per row; uptime: {uptime}")
        for t in threads:
            for stat in ("median", "min"):
                _ratios(records, t, stat)
    return 0


def _ratios(records: list, t: int, stat: str) -> None:
    """Print the RTFs (``stat``: median or min over the runs) at ``t`` threads and the ratios."""
    rtf = {(r.backend, r.precision): getattr(r, f"rtf_{stat}") for r in records if r.threads == t and r.rtf_median}
    ours_int8 = rtf.get(("ncasr", "int8"))
    ours_float = next((v for (b, prec), v in rtf.items() if b == "ncasr" and prec != "int8"), None)
    onnx_fp32, onnx_int8 = rtf.get(("sherpa-onnx", "fp32")), rtf.get(("sherpa-onnx", "int8"))
    best = min(v for v in (onnx_fp32, onnx_int8) if v) if (onnx_fp32 or onnx_int8) else None

    def show(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else "-"

    print(f"{t} thread(s), RTF {stat}: ncasr float {show(ours_float)}, int8 {show(ours_int8)}; "
          f"sherpa-onnx fp32 {show(onnx_fp32)}, int8 {show(onnx_int8)}")  # fmt: skip
    if ours_int8 and best:
        print(f"  ncasr int8 / sherpa-onnx best = {ours_int8 / best:.3f} (target <= 0.5)")
    if ours_float and onnx_fp32:
        print(f"  ncasr float / sherpa-onnx fp32 = {ours_float / onnx_fp32:.3f} (target <= 1.0)")


if __name__ == "__main__":
    sys.exit(main())
