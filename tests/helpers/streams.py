"""Feeding a stream as a live client would: audio in pieces, decoding after each."""

from __future__ import annotations

import numpy as np


def feed_in_pieces(rec, samples: np.ndarray, rate: int, piece: int):
    """Feed ``samples`` in ``piece``-sample pieces, decoding after each, then 0.5 s of
    silence and input_finished; returns the finished stream."""
    s = rec.create_stream()
    for start in range(0, samples.size, piece):
        s.accept_waveform(rate, samples[start : start + piece])
        rec.decode(s)
    s.accept_waveform(rate, np.zeros(rate // 2, np.float32))
    s.input_finished()
    rec.decode(s)
    return s
