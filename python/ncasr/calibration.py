"""Calibration statistics for int8 quantization (the foundation of ``ncasr.calibrate``).

- SIMD kernels for absmax and |x| histograms (AVX2 / AVX-512 / NEON, each equal to its
  scalar twin bit for bit), with the path they ran reported and forceable.
- ``HistogramCollector``: per-tensor streaming statistics, ncnn2table's two passes
  (absmax, then a 2048-bin histogram over [0, absmax]) or one online pass whose
  power-of-two range doubles as larger values arrive. Thread-safe; give each worker its
  own ``fork()`` and ``merge()`` it back.
- Thresholds: ``kl`` (ncnn2table's), ``aciq``, ``minmax``, ``percentile``; scale = 127 / threshold.
- Per-output-channel weight scales and the int8 round trip.
- ``ScaleTable``: ncnn2table's table format (``load``/``save``), dict-like.

Import from here (``from ncasr.calibration import ScaleTable``) or from ``ncasr``;
``ncasr.quantize`` is the model-quantizing function.

Value rules: NaN and inf are skipped and counted (``nonfinite``); exact zeros are skipped
by histograms and counted (``zeros``); a value lands in bin
``min(trunc(|x| * float32(bins / range)), bins - 1)``.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, NamedTuple, Optional

import numpy as np

from . import _core
from .data import gather_audio
from .errors import ConfigError, NcasrError

__all__ = [
    "Calibration",
    "calibrate",
    "calibrate_model",
    "AbsHistogram",
    "AbsMax",
    "HistogramCollector",
    "ScaleTable",
    "Threshold",
    "abs_histogram",
    "abs_max",
    "activation_scale_table",
    "aciq_threshold",
    "dequantize_per_channel",
    "forced_kernel_path",
    "kernel_path",
    "kernel_paths",
    "kl_threshold",
    "minmax_threshold",
    "per_channel_scales",
    "percentile_threshold",
    "quantize_per_channel",
    "set_kernel_path",
    "table_for_net",
]

ScaleTable = _core.ScaleTable
HistogramCollector = _core.HistogramCollector


class Threshold(NamedTuple):
    """A clip threshold and its int8 scale (127 / threshold); ``bin`` is KL's chosen bin."""

    threshold: float
    scale: float
    bin: int = -1


class AbsMax(NamedTuple):
    value: float  # largest finite |x|
    nonfinite: int  # NaN / inf values skipped
    path: str  # kernel path that ran


class AbsHistogram(NamedTuple):
    counts: np.ndarray  # uint64, one per bin
    zeros: int  # exact zeros skipped
    nonfinite: int  # NaN / inf values skipped
    path: str


def kernel_paths() -> List[str]:
    """Kernel paths this build and CPU can run, scalar first, fastest last."""
    return list(_core.kernel_paths())


def kernel_path() -> str:
    """The path the kernels dispatch to now."""
    return _core.kernel_path()


def set_kernel_path(name: str) -> None:
    """Force ``scalar``/``avx2``/``avx512``/``neon`` process-wide, or ``auto``.

    A path this CPU lacks raises ``ConfigError``.
    """
    _core.set_kernel_path(name)


@contextmanager
def forced_kernel_path(name: str) -> Iterator[None]:
    """Run a block on one kernel path, then return to automatic selection."""
    _core.set_kernel_path(name)
    try:
        yield
    finally:
        _core.set_kernel_path("auto")


def abs_max(x, path: Optional[str] = None) -> AbsMax:
    """Largest finite |x| of a float32 array (other dtypes are converted)."""
    return AbsMax(*_core.abs_max(np.asarray(x, dtype=np.float32), path or ""))


def abs_histogram(x, range: float, bins: int = 2048, path: Optional[str] = None) -> AbsHistogram:
    """Counts of nonzero finite |x| in ``bins`` bins over [0, range); larger values go to the last bin."""
    counts, zeros, nonfinite, ran = _core.abs_histogram(np.asarray(x, dtype=np.float32), float(range), int(bins),
                                                        path or "")
    return AbsHistogram(counts, zeros, nonfinite, ran)


def kl_threshold(histogram, range: float, target_bins: int = 128) -> Threshold:
    """ncnn2table's KL threshold of a |x| histogram over [0, range)."""
    return _core.kl_threshold(np.asarray(histogram, dtype=np.uint64), float(range), int(target_bins))


def aciq_threshold(absmax: float, n: int) -> Threshold:
    """ncnn2table's Gaussian ACIQ threshold; ``n`` is the element count of one sample."""
    return _core.aciq_threshold(float(absmax), int(n))


def minmax_threshold(absmax: float) -> Threshold:
    """threshold = absmax, scale = 127 / absmax."""
    return _core.minmax_threshold(float(absmax))


def percentile_threshold(histogram, range: float, percent: float = 99.99, absmax: float = 0.0) -> Threshold:
    """|x| below which ``percent`` % of the histogrammed (nonzero) values lie, capped at absmax."""
    return _core.percentile_threshold(np.asarray(histogram, dtype=np.uint64), float(range), float(percent),
                                      float(absmax))


def per_channel_scales(weights, qmax: float = 127.0) -> np.ndarray:
    """qmax / absmax per output channel (axis 0); 1.0 for an all-zero channel."""
    return _core.per_channel_scales(np.asarray(weights, dtype=np.float32), float(qmax))


def quantize_per_channel(weights, scales) -> np.ndarray:
    """int8 round(w * scale) (half away from zero), clamped to [-127, 127]; scales along axis 0."""
    return _core.quantize_per_channel(np.asarray(weights, dtype=np.float32), np.asarray(scales, dtype=np.float32))


def dequantize_per_channel(q, scales) -> np.ndarray:
    """float32 q / scale along axis 0."""
    return _core.dequantize_per_channel(np.asarray(q, dtype=np.int8), np.asarray(scales, dtype=np.float32))


def activation_scale_table(collector: HistogramCollector, method: str = "kl", percent: float = 99.99,
                           skip_zero: bool = False, table: Optional[ScaleTable] = None) -> ScaleTable:
    """One activation row per collected tensor (keys are the collector's keys).

    A tensor that was all zeros has no scale: it raises ``NcasrError`` naming it, or is left
    out with ``skip_zero=True`` (its layer then stays float).
    """
    out = table if table is not None else ScaleTable()
    for key in collector.keys():
        try:
            out[key] = collector.threshold(key, method, percent).scale
        except NcasrError:
            if skip_zero and collector.stats(key)["absmax"] == 0.0:
                continue
            raise
    return out


METHODS = ("kl", "aciq", "minmax", "percentile")


@dataclass
class Calibration:
    """What a calibration run produced and what it could not calibrate."""

    table: ScaleTable  # keys "<net>/<layer>"; table_for_net() gives one net's rows
    zero_inputs: List[str] = field(default_factory=list)  # input always 0: keep float
    never_ran: List[str] = field(default_factory=list)  # the audio never reached them
    utterances: int = 0
    audio_seconds: float = 0.0
    seconds: float = 0.0  # wall time

    def __str__(self) -> str:
        lines = [f"{len(self.table)} activation scales from {self.utterances} utterances "
                 f"({self.audio_seconds:.1f} s of audio) in {self.seconds:.1f} s"]
        if self.zero_inputs:
            lines.append(f"input always zero (kept float): {', '.join(self.zero_inputs)}")
        if self.never_ran:
            lines.append(f"never reached by the audio (kept float): {', '.join(self.never_ran)}")
        return "\n".join(lines)


def table_for_net(table: ScaleTable, net: str) -> ScaleTable:
    """One net's rows under ncnn's bare layer names (what ncnn2int8 reads for that net)."""
    return _core.table_for_net(table, net)


def _tqdm_progress(enabled: bool) -> Optional[Callable[[int, int], None]]:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="utt", desc="calibrating", leave=False)
        bar["bar"].update(done - bar["bar"].n)
        if done == total:
            bar["bar"].close()

    return update


def calibrate_model(model_dir, audio, *, method: str = "kl", collect: str = "two_pass",
                    bins: int = 2048, percent: float = 99.99, num_workers: int = 0,
                    num_threads: int = 1, sample_rate: Optional[int] = None,
                    mix_to_mono: bool = False, progress=True) -> Calibration:
    """Run ``audio`` through the model's streaming pipeline (greedy decoding feeding decoder
    and joiner) and compute an int8 activation scale for the input of every layer that can
    run in int8 (InnerProduct, Convolution*, in encoder, decoder and joiner).

    ``audio``: files, folders, manifests (.tsv), arrays or (array, rate) pairs.
    ``method``: kl (ncnn2table's), aciq, minmax or percentile (``percent``).
    ``collect``: two_pass (absmax, then histograms over [0, absmax], as ncnn2table) or
    online (one pass, power-of-two ranges). ``num_workers``: utterances in parallel
    (0: one per CPU). ``progress``: True for a tqdm bar (if tqdm is installed), False, or
    a callable(done, total).
    """
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    utterances = gather_audio(audio, sample_rate=sample_rate, mix_to_mono=mix_to_mono)
    workers = num_workers or os.cpu_count() or 1
    report = progress if callable(progress) else _tqdm_progress(bool(progress))
    t0 = time.perf_counter()
    r = _core.calibrate(os.fspath(model_dir), utterances, method, collect, bins, percent,
                        workers, num_threads, 0.5, report)
    return Calibration(table=r["table"], zero_inputs=list(r["zero_inputs"]),
                       never_ran=list(r["never_ran"]), utterances=r["utterances"],
                       audio_seconds=r["audio_seconds"], seconds=time.perf_counter() - t0)


def calibrate(model_dir, audio, *, method: str = "kl", **options) -> ScaleTable:
    """The scale table of :func:`calibrate_model` (keys ``<net>/<layer>``)."""
    return calibrate_model(model_dir, audio, method=method, **options).table
