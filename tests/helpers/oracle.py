"""sherpa-ncnn 2.1.15 and sherpa-onnx (PyPI) as the decoding oracles, fed exactly like ncasr."""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import numpy as np

TAIL_PADDING = 0.5  # seconds of zeros both runtimes get before input_finished()
NEAR_TIE = 1e-3  # relative gap between two scores that a last-bit difference may flip
FRAME = 0.04  # seconds per encoder frame
BEAM_LOOKBACK = 4  # frames before a parting point whose beam decisions may explain it


def sherpa_decode(
    model_dir: Path, samples: np.ndarray, rate: int, method: str, num_active_paths: int = 4, num_threads: int = 1
) -> Tuple[List[int], List[float]]:
    import sherpa_ncnn

    d = Path(model_dir)
    f = {
        f"{n}_{e}": str(d / f"{n}_jit_trace-pnnx.ncnn.{e}")
        for n in ("encoder", "decoder", "joiner")
        for e in ("param", "bin")
    }
    rec = sherpa_ncnn.Recognizer(
        tokens=str(d / "tokens.txt"),
        num_threads=num_threads,
        decoding_method=method,
        num_active_paths=num_active_paths,
        **f,
    )
    rec.accept_waveform(rate, samples)
    rec.accept_waveform(rate, np.zeros(int(TAIL_PADDING * rate), np.float32))
    rec.input_finished()
    return list(rec.tokens), [round(t, 4) for t in rec.timestamps]


def ncasr_decode(model_dir: Path, samples: np.ndarray, rate: int, method: str, num_active_paths: int = 4):
    """ncasr's core, with per-frame decision margins recorded. Returns (ids, stamps, margins)."""
    from ncasr import _core

    c = _core.RecognizerConfig()
    c.method = method
    c.num_active_paths = num_active_paths
    c.record_margins = True
    c.runtime = _core.RuntimeOptions.sherpa_ncnn()  # ncnn's layers, as sherpa-ncnn runs them
    rec = _core.Recognizer(str(model_dir), c)
    s = rec.create_stream()
    s.accept_waveform(rate, np.ascontiguousarray(samples, np.float32))
    s.accept_waveform(rate, np.zeros(int(TAIL_PADDING * rate), np.float32))
    s.input_finished()
    rec.decode(s)
    r = rec.result(s)
    return r["token_ids"], [round(t, 4) for t in r["timestamps"]], rec.margins(s)


def first_divergent_frame(ours, theirs, our_stamps, their_stamps) -> int:
    """Encoder frame where the two token sequences first part ways."""
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b or our_stamps[i] != their_stamps[i]:
            return int(round(min(our_stamps[i], their_stamps[i]) / FRAME))
    i = min(len(ours), len(theirs))
    rest = (our_stamps[i:] or [1e9])[0], (their_stamps[i:] or [1e9])[0]
    return int(round(min(rest) / FRAME))


def assert_parity(model_dir: Path, wavs, method: str, label: str) -> None:
    """ncasr decodes every wav as sherpa-ncnn does, but for near-ties (module doc of
    tests/test_parity_sherpa.py): >= 95 % identical, each difference explained by one."""
    assert_near_tie_parity(
        wavs,
        lambda samples, rate: ncasr_decode(model_dir, samples, rate, method),
        lambda samples, rate: sherpa_decode(model_dir, samples, rate, method),
        method,
        label,
    )


def assert_near_tie_parity(wavs, ours, theirs, method: str, label: str) -> None:
    """``ours(samples, rate)`` -> (tokens, timestamps, margins) against ``theirs(samples, rate)``
    -> (tokens, timestamps) on every wav: >= 95 % identical, each difference at a frame where
    ncasr's decision margin was a near-tie."""
    import soundfile as sf

    differing = []
    for path in wavs:
        samples, rate = sf.read(path, dtype="float32")
        ids, stamps, margins = ours(samples, rate)
        ref_ids, ref_stamps = theirs(samples, rate)
        if ids == ref_ids and stamps == ref_stamps:
            continue
        frame = first_divergent_frame(ids, ref_ids, stamps, ref_stamps)
        lookback = 0 if method == "greedy_search" else BEAM_LOOKBACK
        window = margins[max(0, frame - lookback) : frame + 1]
        closest = min(window) if window else float("inf")
        differing.append((Path(path).name, frame, closest))
        assert closest <= NEAR_TIE, (
            f"{label} {Path(path).name}: outputs part at frame {frame}, where ncasr's "
            f"closest decision margin was {closest:.2e} (> {NEAR_TIE}): not a near-tie"
        )
    agree = 1 - len(differing) / len(wavs)
    assert agree >= 0.95, f"{label}: only {agree:.0%} identical; differing {differing}"


def sherpa_onnx_decode(rec, samples: np.ndarray, rate: int, tail: float = TAIL_PADDING):
    """A sherpa-onnx OnlineRecognizer's greedy tokens and timestamps: the samples, ``tail``
    seconds of zeros, input finished, decoded while ready. Returns (tokens, stamps)."""
    s = rec.create_stream()
    s.accept_waveform(rate, np.ascontiguousarray(samples, np.float32))
    s.accept_waveform(rate, np.zeros(int(tail * rate), np.float32))
    s.input_finished()
    while rec.is_ready(s):
        rec.decode_stream(s)
    r = rec.get_result_all(s)
    return list(r.tokens), [round(t, 4) for t in r.timestamps]
