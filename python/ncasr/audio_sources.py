"""Many utterances from one argument: files, folders, manifests (.tsv) or arrays.

Used where a command takes "some audio" (calibration, sensitivity): each source becomes
``(float32 samples, sample_rate, name)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

import numpy as np

from .audio import as_samples, load_audio
from .errors import AudioError

__all__ = ["AUDIO_SUFFIXES", "gather_audio"]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au")

Source = Union[str, "os.PathLike[str]", np.ndarray, Tuple[np.ndarray, int]]


def _paths(source) -> List[Path]:
    path = Path(source)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        if not found:
            raise AudioError(f"{path}: folder holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
        return found
    if path.suffix.lower() == ".tsv":
        from .bench.manifest import read_manifest

        return [Path(e.path) for e in read_manifest(path)]
    if not path.exists():
        raise FileNotFoundError(f"{path}: audio file not found")
    return [path]


def gather_audio(sources: Union[Source, Iterable[Source]], *, sample_rate: Optional[int] = None,
                 mix_to_mono: bool = False) -> List[Tuple[np.ndarray, int, str]]:
    """Every utterance named by ``sources``: a path (file, folder searched recursively, or a
    manifest .tsv), an array (needs ``sample_rate``), an ``(array, rate)`` pair, or a list of
    those. Raises AudioError when nothing is found or an array is unusable."""
    if isinstance(sources, (str, os.PathLike, np.ndarray)) or (
            isinstance(sources, tuple) and len(sources) == 2 and isinstance(sources[1], int)):
        sources = [sources]
    out = []
    for i, src in enumerate(sources):
        if isinstance(src, (str, os.PathLike)):
            for p in _paths(src):
                x, rate = load_audio(p, mix_to_mono=mix_to_mono)
                out.append((x, rate, str(p)))
            continue
        if isinstance(src, tuple) and len(src) == 2:
            x, rate = src
        else:
            x, rate = src, sample_rate
            if rate is None:
                raise AudioError(f"audio array #{i}: pass sample_rate= or an (array, rate) pair")
        out.append((as_samples(x, mix_to_mono=mix_to_mono), int(rate), f"array #{i}"))
    if not out:
        raise AudioError("no audio was given")
    return out
