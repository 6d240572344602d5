"""Calibration statistics for int8 quantization: the kernels and thresholds under
``ncasr.calibrate``.

- SIMD kernels for absmax and |x| histograms (AVX2 / AVX-512 / NEON, each equal to its
  scalar twin bit for bit), with the path they ran reported and forceable.
- ``HistogramCollector``: per-tensor streaming statistics, ncnn2table's two passes
  (absmax, then a 2048-bin histogram over [0, absmax]) or one online pass whose
  power-of-two range doubles as larger values arrive. Thread-safe; give each worker its
  own ``fork()`` and ``merge()`` it back.
- Thresholds: ``kl`` (ncnn2table's), ``aciq``, ``minmax``, ``percentile``;
  scale = 127 / threshold.
- Per-output-channel weight scales and the int8 round trip.
- ``ScaleTable``: ncnn2table's table format (``load``/``save``), dict-like.

Import from here (``from ncasr.quantization.statistics import abs_histogram``); the table
and collector types are also in ``ncasr``.

Value rules: NaN and inf are skipped and counted (``nonfinite``); exact zeros are skipped
by histograms and counted (``zeros``); a value lands in bin
``min(trunc(|x| * float32(bins / range)), bins - 1)``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, List, NamedTuple, Optional

import numpy as np
from numpy.typing import ArrayLike

from .. import _core
from ..errors import NcasrError

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
    "table_for_net",
]

ScaleTable = _core.ScaleTable
HistogramCollector = _core.HistogramCollector


class Threshold(NamedTuple):
    """A clip threshold and its int8 scale (127 / threshold); ``bin`` is KL's chosen bin.

    Example::

        minmax_threshold(4.0).scale  # 127 / 4.0 == 31.75
    """

    threshold: float
    scale: float
    bin: int = -1


class AbsMax(NamedTuple):
    """What ``abs_max`` returns: the largest finite |x|, the non-finite count, the path.

    Example::

        abs_max(np.array([0.5, -3.0, np.nan], dtype=np.float32))  # value=3.0, nonfinite=1
    """

    value: float  # largest finite |x|
    nonfinite: int  # NaN / inf values skipped
    path: str  # kernel path that ran


class AbsHistogram(NamedTuple):
    """What ``abs_histogram`` returns: per-bin counts, skipped zeros and non-finites, the path.

    Example::

        h = abs_histogram(np.random.randn(4096).astype(np.float32), range=4.0)
        h.counts.sum() + h.zeros + h.nonfinite  # 4096
    """

    counts: np.ndarray  # uint64, one per bin
    zeros: int  # exact zeros skipped
    nonfinite: int  # NaN / inf values skipped
    path: str


def kernel_paths() -> List[str]:
    """Kernel paths this build and CPU can run, scalar first, fastest last.

    Example::

        kernel_paths()  # e.g. ['scalar', 'avx2', 'avx512']
    """
    return list(_core.kernel_paths())


def kernel_path() -> str:
    """The path the kernels dispatch to now.

    Example::

        kernel_path()  # e.g. 'avx512'
    """
    return _core.kernel_path()


def set_kernel_path(name: str) -> None:
    """Force ``scalar``/``avx2``/``avx512``/``neon`` process-wide, or ``auto``.

    A path this CPU lacks raises ``ConfigError``.

    Example::

        set_kernel_path("scalar")
        set_kernel_path("auto")
    """
    _core.set_kernel_path(name)


@contextmanager
def forced_kernel_path(name: str) -> Iterator[None]:
    """Run a block on one kernel path, then return to automatic selection.

    Example::

        with forced_kernel_path("scalar"):
            abs_max(np.random.randn(1024)).path  # 'scalar'
    """
    _core.set_kernel_path(name)
    try:
        yield
    finally:
        _core.set_kernel_path("auto")


def abs_max(x: ArrayLike, path: Optional[str] = None) -> AbsMax:
    """Largest finite |x| of a float32 array (other dtypes are converted).

    Example::

        abs_max(np.random.randn(4096).astype(np.float32)).value
    """
    return AbsMax(*_core.abs_max(np.asarray(x, dtype=np.float32), path or ""))


def abs_histogram(x: ArrayLike, range: float, bins: int = 2048, path: Optional[str] = None) -> AbsHistogram:
    """Counts of nonzero finite |x| in ``bins`` bins over [0, range); larger values go to the
    last bin.

    Example::

        abs_histogram(np.random.randn(4096).astype(np.float32), range=4.0).counts.sum()
    """
    counts, zeros, nonfinite, ran = _core.abs_histogram(
        np.asarray(x, dtype=np.float32), float(range), int(bins), path or ""
    )
    return AbsHistogram(counts, zeros, nonfinite, ran)


def kl_threshold(histogram: ArrayLike, range: float, target_bins: int = 128) -> Threshold:
    """ncnn2table's KL threshold of a |x| histogram over [0, range).

    Example::

        h = abs_histogram(np.random.randn(100000).astype(np.float32), range=4.0)
        kl_threshold(h.counts, range=4.0).scale
    """
    return _core.kl_threshold(np.asarray(histogram, dtype=np.uint64), float(range), int(target_bins))


def aciq_threshold(absmax: float, n: int) -> Threshold:
    """ncnn2table's Gaussian ACIQ threshold; ``n`` is the element count of one sample.

    Example::

        aciq_threshold(absmax=4.2, n=512 * 80).threshold
    """
    return _core.aciq_threshold(float(absmax), int(n))


def minmax_threshold(absmax: float) -> Threshold:
    """threshold = absmax, scale = 127 / absmax.

    Example::

        minmax_threshold(2.54).scale  # 50.0
    """
    return _core.minmax_threshold(float(absmax))


def percentile_threshold(histogram: ArrayLike, range: float, percent: float = 99.99, absmax: float = 0.0) -> Threshold:
    """|x| below which ``percent`` % of the histogrammed (nonzero) values lie, capped at absmax.

    Example::

        h = abs_histogram(np.random.randn(100000).astype(np.float32), range=4.0)
        percentile_threshold(h.counts, range=4.0, percent=99.9).threshold
    """
    return _core.percentile_threshold(
        np.asarray(histogram, dtype=np.uint64), float(range), float(percent), float(absmax)
    )


def per_channel_scales(weights: ArrayLike, qmax: float = 127.0) -> np.ndarray:
    """qmax / absmax per output channel (axis 0); 1.0 for an all-zero channel.

    Example::

        per_channel_scales(np.random.randn(256, 512).astype(np.float32)).shape  # (256,)
    """
    return _core.per_channel_scales(np.asarray(weights, dtype=np.float32), float(qmax))


def quantize_per_channel(weights: ArrayLike, scales: ArrayLike) -> np.ndarray:
    """int8 round(w * scale) (half away from zero), clamped to [-127, 127]; scales along axis 0.

    Example::

        w = np.random.randn(256, 512).astype(np.float32)
        q = quantize_per_channel(w, per_channel_scales(w))  # int8, shape (256, 512)
    """
    return _core.quantize_per_channel(np.asarray(weights, dtype=np.float32), np.asarray(scales, dtype=np.float32))


def dequantize_per_channel(q: ArrayLike, scales: ArrayLike) -> np.ndarray:
    """float32 q / scale along axis 0.

    Example::

        w = np.random.randn(256, 512).astype(np.float32)
        s = per_channel_scales(w)
        w_hat = dequantize_per_channel(quantize_per_channel(w, s), s)  # ~= w
    """
    return _core.dequantize_per_channel(np.asarray(q, dtype=np.int8), np.asarray(scales, dtype=np.float32))


def activation_scale_table(
    collector: HistogramCollector,
    method: str = "kl",
    percent: float = 99.99,
    skip_zero: bool = False,
    table: Optional[ScaleTable] = None,
) -> ScaleTable:
    """One activation row per collected tensor (keys are the collector's keys).

    A tensor that was all zeros has no scale: it raises ``NcasrError`` naming it, or is left
    out with ``skip_zero=True`` (its layer then stays float).

    Example::

        c = HistogramCollector("online")
        c.observe("encoder/fc1", np.random.randn(4096).astype(np.float32))
        activation_scale_table(c, "kl")["encoder/fc1"]
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


def table_for_net(table: ScaleTable, net: str) -> ScaleTable:
    """One net's rows under ncnn's bare layer names (what ncnn2int8 reads for that net).

    Example::

        table_for_net(ncasr.calibrate(model_dir, wavs).table, "joiner").save("joiner.table")
    """
    return _core.table_for_net(table, net)
