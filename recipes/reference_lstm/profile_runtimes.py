"""Where the time goes: ncasr int8 and onnxruntime int8 on the recipe model, net by net.

Both runtimes get the same fbank features (computed once, outside the timing) and run the
same streaming greedy search: the encoder on chunks of T frames advancing by
decode_chunk_len, then the joiner per encoder frame and the decoder after each emitted token.
ncasr runs twice: one chunk per encoder call, as onnxruntime does, and up to its default
max_chunks_per_call chunks per call, as a whole file's stream does. Prints, per runtime, the
seconds spent in the encoder, the decoder + joiner (the search) and the encoder calls, for
onnxruntime its own profiler's time per operator type, and the fastest single call of each
net in each runtime (a floor that what else the machine runs cannot raise).

    python -m recipes.reference_lstm.profile_runtimes \\
        --ncnn python/ncasr/models/reference-lstm-en --onnx /tmp/peers/reference-lstm-en-onnx \\
        --manifest tests/data/reference-lstm-en/test.tsv [--threads 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import soundfile as sf

import ncasr
from ncasr import _core
from ncasr.data import read_manifest


def features(paths: List[str]) -> List[np.ndarray]:
    """80-bin fbank of each file plus 0.5 s of tail silence, as the runtimes compute it."""
    out = []
    for path in paths:
        x, rate = sf.read(path, dtype="float32")
        fb = _core.OnlineFbank(_core.FbankOptions())
        fb.accept_waveform(np.concatenate([x, np.zeros(rate // 2, np.float32)]))
        fb.input_finished()
        out.append(np.asarray(fb.frames(0, fb.num_frames_ready), np.float32))
    return out


def profile_ncasr(model_dir: str, feats: List[np.ndarray], threads: int, chunks: int) -> Dict[str, Any]:
    """Encoder seconds and calls for the int8 variant: Recognizer.encode over every file's
    features, up to ``chunks`` chunks per call, as a stream runs them."""
    core = ncasr.Recognizer.from_dir(model_dir, variant="int8", num_threads=threads)._r
    core.encode(feats[0], chunks_per_call=chunks)  # warm-up
    t = time.perf_counter()
    calls = sum(len(core.encode(f, chunks_per_call=chunks)) for f in feats)
    encoder_s = time.perf_counter() - t
    return {"encoder_s": encoder_s, "encoder_calls": calls}


class OrtGreedy:
    """sherpa-onnx's streaming LSTM greedy search on onnxruntime, timed net by net."""

    def __init__(self, folder: Path, threads: int, profile_dir: str = "") -> None:
        import onnxruntime as ort

        def open_net(name: str) -> Any:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            if profile_dir:  # the profiler's own cost is large: only on an untimed pass
                opts.enable_profiling = True
                opts.profile_file_prefix = os.path.join(profile_dir, name)
            return ort.InferenceSession(str(folder / f"{name}.int8.onnx"), opts, providers=["CPUExecutionProvider"])

        self.encoder, self.decoder, self.joiner = (open_net(n) for n in ("encoder", "decoder", "joiner"))
        meta = self.encoder.get_modelmeta().custom_metadata_map
        self.T, self.shift = int(meta["T"]), int(meta["decode_chunk_len"])
        self.layers, self.d_model = int(meta["num_encoder_layers"]), int(meta["d_model"])
        self.hidden = int(meta["rnn_hidden_size"])
        self.seconds = collections.Counter()
        self.calls = collections.Counter()

    def _run(self, name: str, sess: Any, feed: Dict[str, np.ndarray]) -> List[np.ndarray]:
        t = time.perf_counter()
        out = sess.run(None, feed)
        self.seconds[name] += time.perf_counter() - t
        self.calls[name] += 1
        return out

    def decode(self, feats: np.ndarray) -> List[int]:
        h = np.zeros((self.layers, 1, self.d_model), np.float32)
        c = np.zeros((self.layers, 1, self.hidden), np.float32)
        hyp = [0, 0]
        (dec,) = self._run("decoder", self.decoder, {"y": np.array([hyp[-2:]], np.int64)})
        for start in range(0, feats.shape[0] - self.T + 1, self.shift):
            x = feats[None, start : start + self.T]
            enc, h, c = self._run("encoder", self.encoder, {"x": x, "h": h, "c": c})
            for frame in enc[0]:
                (logit,) = self._run("joiner", self.joiner, {"encoder_out": frame[None], "decoder_out": dec})
                y = int(np.argmax(logit[0]))
                if y != 0:
                    hyp.append(y)
                    (dec,) = self._run("decoder", self.decoder, {"y": np.array([hyp[-2:]], np.int64)})
        return hyp[2:]

    def op_times(self) -> Dict[str, float]:
        """Seconds per operator type over all three nets, from onnxruntime's own profiler."""
        totals: Dict[str, float] = collections.Counter()
        for sess in (self.encoder, self.decoder, self.joiner):
            with open(sess.end_profiling()) as f:
                for event in json.load(f):
                    if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
                        totals[event["args"]["op_name"]] += event["dur"] / 1e6
        return dict(totals)


def profile_ort(folder: Path, feats: List[np.ndarray], threads: int, profiled_files: int) -> Dict[str, Any]:
    """Seconds and calls per net over every file (no profiler), then onnxruntime's operator
    times over the first ``profiled_files`` files (profiler on, its times only as shares)."""
    timed = OrtGreedy(folder, threads)
    timed.decode(feats[0])  # warm-up, then count only the timed pass
    timed.seconds.clear()
    timed.calls.clear()
    for f in feats:
        timed.decode(f)
    with tempfile.TemporaryDirectory() as tmp:
        profiled = OrtGreedy(folder, threads, tmp)
        for f in feats[:profiled_files]:
            profiled.decode(f)
        ops = profiled.op_times()
    return {"seconds": dict(timed.seconds), "calls": dict(timed.calls), "op_seconds": ops}


def _floor(fn: Any, calls: int) -> float:
    """Fastest of ``calls`` calls of ``fn``, in µs."""
    best = float("inf")
    for _ in range(calls):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return 1e6 * best


def call_floors(model_dir: str, folder: Path, threads: int, calls: int = 3000) -> Dict[str, float]:
    """Fastest of ``calls`` single calls, in µs, per net and runtime: the cost of one encoder
    chunk (T frames) and of one decoder and joiner step, free of what else the machine runs."""
    import onnxruntime as ort

    out: Dict[str, float] = {}
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    meta = ort.InferenceSession(str(folder / "encoder.onnx"), opts).get_modelmeta().custom_metadata_map
    x = np.random.default_rng(0).standard_normal((int(meta["T"]), 80)).astype(np.float32)
    for variant in ("int8", "float"):
        core = ncasr.Recognizer.from_dir(model_dir, variant=variant, num_threads=threads)._r
        out[f"ncasr {variant} encoder"] = _floor(partial(core.encode, x), calls)
    # 16 chunks in one call (a file's audio, or a backlog): the time per chunk
    shift = int(meta["decode_chunk_len"])
    x16 = np.random.default_rng(0).standard_normal((x.shape[0] + 15 * shift, 80)).astype(np.float32)
    core = ncasr.Recognizer.from_dir(model_dir, variant="int8", num_threads=threads)._r
    out["ncasr int8 encoder, per chunk of 16 in a call"] = _floor(partial(core.encode, x16, 16), calls // 10) / 16
    layers, d_model, hidden = (int(meta[k]) for k in ("num_encoder_layers", "d_model", "rnn_hidden_size"))
    feeds = {
        "encoder": {
            "x": x[None],
            "h": np.zeros((layers, 1, d_model), np.float32),
            "c": np.zeros((layers, 1, hidden), np.float32),
        },
        "decoder": {"y": np.array([[0, 5]], np.int64)},
        "joiner": {"encoder_out": np.zeros((1, 256), np.float32), "decoder_out": np.zeros((1, 256), np.float32)},
    }
    for suffix, name in ((".int8.onnx", "int8"), (".onnx", "fp32")):
        for net, feed in feeds.items():
            sess = ort.InferenceSession(str(folder / f"{net}{suffix}"), opts, providers=["CPUExecutionProvider"])
            out[f"onnxruntime {name} {net}"] = _floor(partial(sess.run, None, feed), calls)
    return out


def whole_decode(model_dir: str, paths: List[str], threads: int, chunks: int) -> Tuple[float, float]:
    """ncasr int8: seconds to transcribe every file from audio (up to ``chunks`` encoder chunks
    per call), and the audio seconds."""
    rec = ncasr.Recognizer.from_dir(model_dir, variant="int8", num_threads=threads, max_chunks_per_call=chunks)
    audio = [sf.read(p, dtype="float32") for p in paths]
    rec.transcribe(audio[0][0], sample_rate=audio[0][1])
    t = time.perf_counter()
    for x, rate in audio:
        rec.transcribe(x, sample_rate=rate)
    return time.perf_counter() - t, sum(x.size / rate for x, rate in audio)


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ncnn", required=True, help="ncasr model folder with int8 files")
    ap.add_argument("--onnx", required=True, help="export_onnx.py folder with quantize_onnx.py's int8 files")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--profiled-files", type=int, default=10, help="files for onnxruntime's operator profile")
    ap.add_argument("--json", default="", help="also write the numbers here")
    args = ap.parse_args(argv)

    paths = [str(u.path) for u in read_manifest(args.manifest)]
    feats = features(paths)
    ncasr_runs = {}
    for chunks in (1, ncasr.RuntimeOptions().max_chunks_per_call):
        total, audio_s = whole_decode(args.ncnn, paths, args.threads, chunks)
        ncasr_runs[chunks] = dict(profile_ncasr(args.ncnn, feats, args.threads, chunks), total_s=total)
    ort_p = profile_ort(Path(args.onnx), feats, args.threads, args.profiled_files)

    ort_s = ort_p["seconds"]
    ort_total = sum(ort_s.values())
    print(f"{len(paths)} files, {audio_s:.1f} s of audio, {args.threads} thread(s)\n")
    print("| runtime | encoder s | search s (decoder + joiner) | total s | encoder calls | RTF |")
    print("|---|---|---|---|---|---|")
    for chunks, nc in ncasr_runs.items():
        print(
            f"| ncasr int8, up to {chunks} chunk(s) per call | {nc['encoder_s']:.3f} | "
            f"{nc['total_s'] - nc['encoder_s']:.3f} (with fbank) | {nc['total_s']:.3f} | {nc['encoder_calls']} | "
            f"{nc['total_s'] / audio_s:.5f} |"
        )
    ort_search = ort_s["decoder"] + ort_s["joiner"]
    print(
        f"| onnxruntime int8 | {ort_s['encoder']:.3f} | {ort_search:.3f} (no fbank) | {ort_total:.3f} | "
        f"{ort_p['calls']['encoder']} | {ort_total / audio_s:.5f} |"
    )
    print("\nonnxruntime calls:", ort_p["calls"])
    ops = sorted(ort_p["op_seconds"].items(), key=lambda kv: -kv[1])
    kernel_total = sum(v for _, v in ops)
    print(f"\nonnxruntime kernel time by operator on {args.profiled_files} files (shares of {kernel_total:.3f} s):")
    for op, s in ops[:12]:
        print(f"  {op:28s} {s:7.3f} s  {100 * s / kernel_total:5.1f} %")
    floors = call_floors(args.ncnn, Path(args.onnx), args.threads)
    print("\nfastest single call, µs (of 3000; of 300 for the 16-chunk call):")
    for name, us in floors.items():
        print(f"  {name:46s} {us:7.1f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "audio_s": audio_s,
                    "ncasr_by_chunks_per_call": ncasr_runs,
                    "onnxruntime": ort_p,
                    "call_floors_us": floors,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
