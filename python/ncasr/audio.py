"""Audio in: files through soundfile, arrays checked once, float32 mono in [-1, 1]."""

from __future__ import annotations

import os
from typing import Tuple, Union

import numpy as np
import numpy.typing as npt

from .errors import AudioError

__all__ = ["load_audio", "as_samples"]


def load_audio(path: Union[str, "os.PathLike[str]"], *, mix_to_mono: bool = False) -> Tuple[np.ndarray, int]:
    """Read an audio file as (float32 samples in [-1, 1], sample_rate).

    Multi-channel files raise AudioError unless ``mix_to_mono=True`` averages the channels.

    Example::

        samples, rate = ncasr.load_audio("hello.wav")
        text = rec.transcribe(samples, sample_rate=rate).text
    """
    import soundfile as sf

    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: audio file not found")
    if os.path.isdir(path):  # soundfile would say "Format not recognised"
        raise AudioError(f"{path}: is a folder, not an audio file")
    try:
        samples, rate = sf.read(path, dtype="float32", always_2d=True)
    except Exception as e:  # soundfile raises LibsndfileError, RuntimeError, TypeError...
        raise AudioError(f"{path}: cannot read audio ({e})") from e
    if samples.shape[1] > 1:
        if not mix_to_mono:
            raise AudioError(
                f"{path}: has {samples.shape[1]} channels; pass mix_to_mono=True "
                "(ncasr transcribe --mix-to-mono) to average them"
            )
        samples = samples.mean(axis=1, dtype=np.float32)
    else:
        samples = samples[:, 0]
    return np.ascontiguousarray(samples), int(rate)


def as_samples(samples: npt.ArrayLike, *, allow_empty: bool = True, mix_to_mono: bool = False) -> np.ndarray:
    """Check an array of audio and return it as contiguous float32 (no copy if it is one).

    Accepts float arrays of any width and integer PCM (scaled to [-1, 1]). Raises
    AudioError for other dtypes, wrong shape, or (when allow_empty is False) no samples.
    NaN/Inf are rejected by the core, which scans the samples anyway.

    Example::

        x = as_samples(np.array([0, 16384, -32768], dtype=np.int16))  # [0.0, 0.5, -1.0]
    """
    a = np.asarray(samples)
    if a.dtype.kind == "i":
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    elif a.dtype.kind == "u" and a.dtype.itemsize == 1:
        a = (a.astype(np.float32) - 128.0) / 128.0
    elif a.dtype.kind != "f":
        raise AudioError(f"audio must be a float (or integer PCM) array, got dtype {a.dtype}")
    if a.ndim == 2 and min(a.shape) > 1:
        if not mix_to_mono:
            raise AudioError(
                f"audio has shape {a.shape}: looks multi-channel; pass mix_to_mono=True to average the channels"
            )
        a = a.mean(axis=int(np.argmin(a.shape)))
    elif a.ndim == 2:
        a = a.reshape(-1)
    if a.ndim != 1:
        raise AudioError(f"audio must be 1-D (mono samples), got {a.ndim}-D shape {a.shape}")
    if not allow_empty and a.size == 0:
        raise AudioError("audio is empty")
    return np.ascontiguousarray(a, dtype=np.float32)
