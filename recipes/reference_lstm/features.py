"""Kaldi-compatible fbank exactly as the ncasr / sherpa-ncnn runtime computes it."""

from __future__ import annotations

import numpy as np


def fbank_options():
    import kaldi_native_fbank as knf

    o = knf.FbankOptions()
    o.frame_opts.samp_freq = 16000
    o.frame_opts.frame_shift_ms = 10
    o.frame_opts.frame_length_ms = 25
    o.frame_opts.dither = 0.0
    o.frame_opts.snip_edges = False
    o.frame_opts.window_type = "povey"
    o.mel_opts.num_bins = 80
    o.mel_opts.high_freq = -400
    return o


def compute_fbank(samples: np.ndarray, sample_rate: int = 16000, opts=None) -> np.ndarray:
    """samples: float in [-1, 1] (unscaled). Returns (T, 80) float32."""
    import kaldi_native_fbank as knf

    assert sample_rate == 16000, sample_rate
    f = knf.OnlineFbank(opts or fbank_options())
    f.accept_waveform(sample_rate, samples.astype(np.float32).tolist())
    f.input_finished()
    n = f.num_frames_ready
    return (
        np.stack([np.asarray(f.get_frame(i), dtype=np.float32) for i in range(n)])
        if n
        else np.zeros((0, 80), np.float32)
    )


def load_wav(path: str) -> np.ndarray:
    import soundfile as sf

    x, sr = sf.read(path, dtype="float32", always_2d=True)
    if sr != 16000:
        raise ValueError(f"{path}: expected 16 kHz, got {sr}")
    return x.mean(axis=1)
