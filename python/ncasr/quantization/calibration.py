"""``ncasr.calibrate``: int8 activation scales from audio run through the real pipeline."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np

from .. import _core
from ..data import Source, gather_audio
from ..errors import ConfigError
from .options import CALIBRATION_METHODS, default_calibration_method
from .report import CalibrationSummary
from .statistics import ScaleTable

__all__ = ["COLLECT_MODES", "Calibration", "calibrate"]

COLLECT_MODES: Tuple[str, ...] = ("two_pass", "online")

Progress = Union[bool, Callable[[int, int], None]]
Utterance = Tuple[np.ndarray, int, str]


@dataclass
class Calibration:
    """A calibration run's scale table and what it could not calibrate.

    ``probe`` keeps the first few utterances (as arrays), so that ``ncasr.quantize`` can
    measure the int8 model's encoder cosine and layer sensitivity on them.

    Example::

        cal = ncasr.calibrate("model", ["wavs/"])
        cal.table.save("model.table"); print(cal)
    """

    table: ScaleTable  # keys "<net>/<layer>"; statistics.table_for_net() gives one net's rows
    method: str = "kl"
    zero_inputs: List[str] = field(default_factory=list)  # input always 0: keep float
    never_ran: List[str] = field(default_factory=list)  # the audio never reached them
    utterances: int = 0
    audio_seconds: float = 0.0
    seconds: float = 0.0  # wall time
    probe: List[Utterance] = field(default_factory=list, repr=False, compare=False)

    def summary(self) -> CalibrationSummary:
        """The figures a ``QuantizeReport`` keeps.

        Example::

            print(cal.summary().scales)
        """
        return CalibrationSummary(
            method=self.method,
            utterances=self.utterances,
            audio_seconds=self.audio_seconds,
            scales=len(self.table),
            zero_inputs=tuple(self.zero_inputs),
            never_ran=tuple(self.never_ran),
            seconds=self.seconds,
        )

    def to_dict(self) -> Dict[str, Any]:
        """The summary as JSON-ready values (the table is saved with ``table.save``).

        Example::

            json.dumps(cal.to_dict())
        """
        d = self.summary().__dict__.copy()
        d["zero_inputs"], d["never_ran"] = list(self.zero_inputs), list(self.never_ran)
        return d

    def __str__(self) -> str:
        lines = [
            f"{len(self.table)} activation scales ({self.method}) from {self.utterances} utterances "
            f"({self.audio_seconds:.1f} s of audio) in {self.seconds:.1f} s"
        ]
        if self.zero_inputs:
            lines.append(f"input always zero (kept float): {', '.join(self.zero_inputs)}")
        if self.never_ran:
            lines.append(f"never reached by the audio (kept float): {', '.join(self.never_ran)}")
        return "\n".join(lines)


def _tqdm_progress(enabled: bool) -> Optional[Callable[[int, int], None]]:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar: Dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="utt", desc="calibrating", leave=False)
        bar["bar"].update(done - bar["bar"].n)
        if done == total:
            bar["bar"].close()

    return update


def calibrate(
    model_dir: Union[str, os.PathLike],
    audio: Union[Source, Iterable[Source]],
    *,
    method: Optional[str] = None,
    collect: str = "two_pass",
    bins: int = 2048,
    percent: float = 99.99,
    num_workers: int = 0,
    num_threads: int = 1,
    sample_rate: Optional[int] = None,
    mix_to_mono: bool = False,
    progress: Progress = True,
    probe_utterances: int = 2,
) -> Calibration:
    """Run ``audio`` through the model's streaming pipeline (greedy decoding feeding decoder
    and joiner) and compute an int8 activation scale for the input of every layer that can
    run in int8 (InnerProduct, Convolution*, in encoder, decoder and joiner).

    ``audio``: files, folders, manifests (.tsv), arrays or (array, rate) pairs.
    ``method``: kl (ncnn2table's), aciq, minmax or percentile (``percent``); None: the
    model type's default (``default_calibration_method``: percentile for zipformer2, else kl).
    ``collect``: two_pass (absmax, then histograms over [0, absmax], as ncnn2table) or
    online (one pass, power-of-two ranges). ``num_workers``: utterances in parallel
    (0: one per CPU). ``progress``: True for a tqdm bar (if tqdm is installed), False, or
    a callable(done, total). ``probe_utterances``: how many to keep in ``probe``.

    Example::

        cal = ncasr.calibrate(ncasr.default_model_dir(), ["a.wav", "b.wav"], method="kl")
        print(len(cal.table), "scales")
    """
    if method is None:
        method = default_calibration_method(_core.inspect_model(os.fspath(model_dir), "float")["model_type"])
    if method not in CALIBRATION_METHODS:
        raise ConfigError(f"method must be one of {CALIBRATION_METHODS}, got {method!r}")
    if collect not in COLLECT_MODES:
        raise ConfigError(f"collect must be one of {COLLECT_MODES}, got {collect!r}")
    utterances = gather_audio(audio, sample_rate=sample_rate, mix_to_mono=mix_to_mono)
    workers = num_workers or os.cpu_count() or 1
    report = progress if callable(progress) else _tqdm_progress(bool(progress))
    t0 = time.perf_counter()
    r = _core.calibrate(
        os.fspath(model_dir), utterances, method, collect, bins, percent, workers, num_threads, 0.5, report
    )
    return Calibration(
        table=r["table"],
        method=method,
        zero_inputs=list(r["zero_inputs"]),
        never_ran=list(r["never_ran"]),
        utterances=r["utterances"],
        audio_seconds=r["audio_seconds"],
        seconds=time.perf_counter() - t0,
        probe=list(utterances[: max(0, probe_utterances)]),
    )
