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

from contextlib import contextmanager
from typing import Iterator, List, NamedTuple, Optional

import numpy as np

from . import _core
from .errors import NcasrError

__all__ = [
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
