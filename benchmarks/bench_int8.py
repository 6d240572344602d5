"""Float vs int8 on the full-size architectures, ncasr vs sherpa-ncnn, through `ncasr bench`.

Makes (once, cached outside the repo) the full-size graphs with random weights and their
int8 copies from `ncasr.quantize` (no calibration: LSTM, Gemm and (T, C) InnerProduct
layers), writes a manifest of espeak-ng speech, then runs `ncasr bench` over every folder:
backends and variants interleaved, medians of --repeat runs. Random weights make the WER
column meaningless here; sizes, RTF, load time, memory and latency are what it measures.

    python benchmarks/bench_int8.py [--archs zipformer,lstm,conv-emformer] [--threads 1]
        [--repeat 3] [--storage fp16[,fp32]] [--chunks-per-call 16,1] [--json OUT] [--plot OUT.png]

--storage fp16,fp32 adds ncasr runs with fp32 storage for the float parts (sherpa-ncnn has
no such switch and runs its fp16 default in those rows' place).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="zipformer,lstm,conv-emformer")
    p.add_argument("--threads", default="1")
    p.add_argument("--repeat", default="3")
    p.add_argument("--files", type=int, default=2, help="speech files in the manifest")
    p.add_argument("--storage", default="fp16", help="fp16 and/or fp32 storage of float weights, comma-separated")
    p.add_argument(
        "--chunks-per-call",
        default="",
        help="ncasr rows per max_chunks_per_call value, comma-separated (as `ncasr bench`); default: one row",
    )
    p.add_argument("--json")
    p.add_argument("--plot")
    args = p.parse_args()

    import ncasr
    from full_size_models import CACHE, full_size_model
    from helpers.speech import make_test_wavs
    from ncasr.cli import main as ncasr_main
    from ncasr.data import write_manifest

    folders = []
    for arch in args.archs.split(","):
        model = full_size_model(arch)
        q = CACHE / f"{arch}-full-int8"
        if not (q / "tokens.txt").exists():
            print(ncasr.quantize(model, q, force=True), file=sys.stderr)
        folders += [str(model), str(q)]
    wav_dir = Path(os.environ.get("NCASR_CACHE_DIR", Path.home() / ".cache" / "ncasr")) / "bench-wavs"
    wavs = make_test_wavs(wav_dir, count=max(2, args.files))[: args.files]
    manifest = wav_dir / "bench.tsv"
    write_manifest(manifest, [(w, 0.0, "unknown") for w in wavs])
    cmd = [
        "bench",
        *folders,
        "--manifest",
        str(manifest),
        "--num-threads",
        args.threads,
        "--repeat",
        args.repeat,
        "--latency-files",
        "1",
        "--storage",
        args.storage,
    ]
    if args.chunks_per_call:
        cmd += ["--chunks-per-call", args.chunks_per_call]
    if args.plot:
        cmd += ["--plot", args.plot]
    if not args.json:
        return ncasr_main(cmd)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):  # `ncasr bench --json` prints the records
        rc = ncasr_main(cmd + ["--json"])
    Path(args.json).write_text(out.getvalue(), encoding="utf-8")
    return rc


if __name__ == "__main__":
    sys.exit(main())
