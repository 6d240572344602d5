"""RTF and peak RSS of ncasr vs sherpa-ncnn 2.1.15 on the full-size architectures.

Both decode the same speech wav (greedy search, +0.5 s of silence, input_finished), each
run in a fresh process so peak RSS is per run; backends are interleaved (A B A B ...) so
drift on a shared machine hits both. Load time is excluded from RTF.

Storage: sherpa-ncnn's Python API has no ncnn options, so for the fp32 rows it runs a copy
of the model whose param files set ncnn's per-layer feature mask `31=2` (no fp16 storage)
on every layer: the same graph and weights, stored and computed in fp32 as in ncasr's
fp32 run (its peak RSS shows the fp32 weights).

    python benchmarks/bench_recognizer.py [--archs zipformer,lstm,conv-emformer]
        [--threads 1,2] [--repeat 3] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def worker(backend: str, model: str, threads: int, wav: str, fp16: bool) -> dict:
    import soundfile as sf

    x, rate = sf.read(wav, dtype="float32")
    pad = np.zeros(rate // 2, np.float32)
    t0 = time.perf_counter()
    if backend == "ncasr":
        import ncasr

        rec = ncasr.Recognizer.from_dir(model, num_threads=threads, use_fp16_storage=fp16)
        t1 = time.perf_counter()
        s = rec.create_stream()
        s.accept_waveform(rate, x)
        s.accept_waveform(rate, pad)
        s.input_finished()
        rec.decode(s)
        n_tokens = len(rec.result(s).token_ids)
    else:
        import sherpa_ncnn

        d = Path(model)
        files = {
            f"{n}_{e}": str(d / f"{n}_jit_trace-pnnx.ncnn.{e}")
            for n in ("encoder", "decoder", "joiner")
            for e in ("param", "bin")
        }
        rec = sherpa_ncnn.Recognizer(tokens=str(d / "tokens.txt"), num_threads=threads, **files)
        t1 = time.perf_counter()
        rec.accept_waveform(rate, x)
        rec.accept_waveform(rate, pad)
        rec.input_finished()
        n_tokens = len(rec.tokens)
    t2 = time.perf_counter()
    return {
        "load_s": t1 - t0,
        "decode_s": t2 - t1,
        "audio_s": x.size / rate,
        "tokens": n_tokens,
        "rss_mb": peak_rss_mb(),
    }


def fp32_storage_copy(model: Path) -> Path:
    """The model with ncnn's layer feature mask 31=2 (fp16 storage off) on every layer."""
    out = model.parent / f"{model.name}-featmask-fp32"
    out.mkdir(exist_ok=True)
    for f in model.iterdir():
        target = out / f.name
        if f.suffix == ".param":
            lines = f.read_text().splitlines()
            body = [
                line if not line.strip() or line.split()[0] == "SherpaMetaData" or " 31=" in line else f"{line} 31=2"
                for line in lines[2:]
            ]
            target.write_text("\n".join(lines[:2] + body) + "\n")
        elif not target.exists():
            target.symlink_to(f.resolve())
    return out


def peak_rss_mb() -> float:
    # VmHWM belongs to this process image; getrusage's ru_maxrss is inherited across fork
    # and would report the parent's peak when that is larger.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(backend, model, threads, wav, fp16) -> dict:
    cmd = [sys.executable, __file__, "--worker", backend, str(model), str(threads), str(wav), "1" if fp16 else "0"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, backend, model, threads, wav, fp16 = sys.argv
        print(json.dumps(worker(backend, model, int(threads), wav, fp16 == "1")))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="zipformer,lstm,conv-emformer")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", help="write all runs here")
    args = p.parse_args()

    import ncasr
    from full_size_models import full_size_model
    from helpers.speech import make_test_wavs

    wav_dir = Path(os.environ.get("NCASR_CACHE_DIR", Path.home() / ".cache" / "ncasr")) / "bench-wavs"
    wav = make_test_wavs(wav_dir, count=2)[1]  # ~10 s of speech
    info = ncasr.build_info()
    print(
        f"ncasr {info.ncasr_version}, ncnn {info.ncnn_version}; sherpa-ncnn 2.1.15; "
        f"SIMD: {', '.join(info.simd_active)}; {info.cpu_count} cores; greedy search"
    )
    rows, runs = [], []
    for arch in args.archs.split(","):
        model = full_size_model(arch)
        for threads in (int(t) for t in args.threads.split(",")):
            for fp16 in (False, True):
                got = {"ncasr": [], "sherpa-ncnn": []}
                for _ in range(args.repeat):
                    for backend in ("ncasr", "sherpa-ncnn"):
                        path = model if fp16 or backend == "ncasr" else fp32_storage_copy(Path(model))
                        r = run_once(backend, path, threads, wav, fp16)
                        r.update(arch=arch, threads=threads, fp16_storage=fp16, backend=backend)
                        got[backend].append(r)
                        runs.append(r)
                for backend, rs in got.items():
                    if rs:
                        rows.append((arch, threads, fp16, backend, rs))
    print("\n| arch | threads | storage | backend | RTF median (min-max) | load s | peak RSS MB | ncasr/sherpa RTF |")
    print("|---|---|---|---|---|---|---|---|")
    sherpa = {
        (a, t, f): statistics.median(r["decode_s"] / r["audio_s"] for r in rs)
        for a, t, f, b, rs in rows
        if b == "sherpa-ncnn"
    }
    for arch, threads, fp16, backend, rs in rows:
        rtf = [r["decode_s"] / r["audio_s"] for r in rs]
        med = statistics.median(rtf)
        ratio = f"{med / sherpa[(arch, threads, fp16)]:.2f}" if backend == "ncasr" else ""
        print(
            f"| {arch} | {threads} | {'fp16' if fp16 else 'fp32'} | {backend} | {med:.4f} "
            f"({min(rtf):.4f}-{max(rtf):.4f}) | {statistics.median(r['load_s'] for r in rs):.2f} | "
            f"{max(r['rss_mb'] for r in rs):.0f} | {ratio} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
