"""Time per fbank frame: ncasr's C++ extractor vs kaldi-native-fbank, same audio, same run.

python benchmarks/bench_fbank.py [--seconds 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def ncasr_fbank(x: np.ndarray) -> int:
    from ncasr import _core

    fb = _core.OnlineFbank(_core.FbankOptions())
    for i in range(0, x.size, 1600):  # 100 ms pieces, as a live stream arrives
        fb.accept_waveform(x[i : i + 1600])
        fb.pop(fb.num_frames_ready)
    fb.input_finished()
    return fb.num_frames_ready


def knf_fbank(x: np.ndarray) -> int:
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0
    opts.frame_opts.snip_edges = False
    opts.mel_opts.num_bins = 80
    opts.mel_opts.high_freq = -400
    fb = knf.OnlineFbank(opts)
    for i in range(0, x.size, 1600):
        fb.accept_waveform(16000, x[i : i + 1600])
    fb.input_finished()
    return fb.num_frames_ready


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    x = np.random.default_rng(0).uniform(-0.5, 0.5, int(args.seconds * 16000)).astype(np.float32)
    times = {"ncasr": [], "kaldi-native-fbank": []}
    frames = {}
    for _ in range(args.repeat):  # interleaved
        for name, fn in (("ncasr", ncasr_fbank), ("kaldi-native-fbank", knf_fbank)):
            t = time.perf_counter()
            frames[name] = fn(x)
            times[name].append(time.perf_counter() - t)
    print(f"{args.seconds:.0f} s of audio, 100 ms pieces, median of {args.repeat}\n")
    print("| extractor | us per frame (median) | min-max | real-time factor |")
    print("|---|---|---|---|")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(
            f"| {name} | {med / frames[name] * 1e6:.1f} | {min(ts) / frames[name] * 1e6:.1f}-"
            f"{max(ts) / frames[name] * 1e6:.1f} | {med / args.seconds:.5f} |"
        )
    ratio = statistics.median(times["ncasr"]) / statistics.median(times["kaldi-native-fbank"])
    print(f"\nncasr / kaldi-native-fbank time: {ratio:.2f}")


if __name__ == "__main__":
    main()
