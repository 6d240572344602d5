"""``ncasr.quantize``: calibrate, choose the layers that stay float, convert, measure."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

from .. import _core
from ..data import Source
from ..errors import ConfigError
from .calibration import Calibration, Progress, calibrate
from .conversion import convert
from .options import QuantizeOptions
from .report import LayerOutcome, LayerResult, QuantizeReport
from .sensitivity import Probe, auto_exclude
from .statistics import ScaleTable

__all__ = ["CalibrationInput", "TABLE_SUFFIX", "quantize"]

TABLE_SUFFIX = ".table"  # a single path with this suffix is a scale table, not audio

CalibrationInput = Union[None, Calibration, ScaleTable, Source, Iterable[Source]]


def _is_table_path(calibration: object) -> bool:
    return isinstance(calibration, (str, os.PathLike)) and os.fspath(calibration).endswith(TABLE_SUFFIX)


def _resolve(
    model_dir: str, calibration: CalibrationInput, options: QuantizeOptions, progress: Progress
) -> Tuple[Optional[ScaleTable], Optional[Calibration]]:
    """(table, the Calibration it came from, if any) for each form ``calibration`` takes."""
    if calibration is None:
        return None, None
    if isinstance(calibration, Calibration):
        return calibration.table, calibration
    if isinstance(calibration, ScaleTable):
        return calibration, None
    if _is_table_path(calibration):
        return ScaleTable.load(os.fspath(calibration)), None
    cal = calibrate(
        model_dir,
        calibration,
        method=options.calibration_method,
        progress=progress,
        probe_utterances=options.probe_utterances,
    )
    return cal.table, cal


def _mark_sensitive(layers: List[LayerResult], summary) -> Tuple[LayerResult, ...]:
    worst = {s.key: s for s in summary.sensitivity.layers}
    out = []
    for l in layers:
        if l.key in summary.excluded and l.outcome is LayerOutcome.EXCLUDED:
            s = worst[l.key]
            l = LayerResult(
                l.net,
                l.name,
                l.type,
                LayerOutcome.SENSITIVE,
                f"min cosine {s.min_cosine:.5f} when only it is int8",
                "",
                l.bytes_in,
                l.bytes_out,
            )
        out.append(l)
    return tuple(out)


def quantize(
    model_dir: Union[str, os.PathLike],
    out_dir: Union[str, os.PathLike],
    *,
    calibration: CalibrationInput = None,
    options: Optional[QuantizeOptions] = None,
    force: bool = False,
    progress: Progress = True,
) -> QuantizeReport:
    """Write an int8 copy of the float model in ``model_dir`` to ``out_dir``.

    ``calibration`` is one of: ``None`` (no activation scales: Convolution layers stay
    float); audio (files, folders, manifests, arrays, or a list of them), calibrated here
    with ``options.calibration_method``; a ``Calibration`` from ``ncasr.calibrate``; a
    ``ScaleTable``; or the path of a table file (``*.table``). The table used is saved in
    ``out_dir`` as ``calibration.table``. When audio is at hand (audio or a
    ``Calibration``), the report holds the int8 encoder's lowest per-chunk cosine to the
    float one, and ``options.auto_exclude`` can keep the most sensitive layers float until
    that cosine meets the budget. Refuses a non-empty ``out_dir`` unless ``force``; never
    writes into ``model_dir``.

    Example::

        report = ncasr.quantize("model", "model-int8", calibration=["wavs/"],
                                options=ncasr.QuantizeOptions(auto_exclude=0.999))
        print(report)
    """
    t0 = time.perf_counter()
    options = options if options is not None else QuantizeOptions()
    if not isinstance(options, QuantizeOptions):
        raise ConfigError(f"options must be a QuantizeOptions, got {type(options).__name__}")
    src = os.path.abspath(os.fspath(model_dir))
    dst = os.path.abspath(os.fspath(out_dir))
    _core.inspect_model(src, "float")  # the whole input model is valid before any work
    _core.check_int8_out_dir(src, dst, force)
    table, cal = _resolve(src, calibration, options, progress)
    probe = Probe(src, cal.probe) if cal is not None and cal.probe else None
    if options.auto_exclude is not None and probe is None:
        raise ConfigError(
            "auto_exclude needs calibration audio (or a Calibration from ncasr.calibrate) to measure sensitivity"
        )
    summary = None
    convert_options = options
    if options.auto_exclude is not None:
        summary = auto_exclude(src, probe, table, options, options.auto_exclude)
        convert_options = options.with_excluded(summary.excluded)
    nets, layers = convert(src, dst, table, convert_options, overwrite=force)
    cosine = None
    if summary is not None:
        cosine = summary.reached  # measured on this very conversion
    elif probe is not None:
        cosine = probe.measure(dst)[0]
    return QuantizeReport(
        model_dir=src,
        out_dir=dst,
        options=options,
        nets=nets,
        layers=_mark_sensitive(layers, summary) if summary else tuple(layers),
        calibration=cal.summary() if cal is not None else None,
        table=str(Path(dst) / "calibration.table") if table is not None else None,
        auto_exclude=summary,
        encoder_cosine=cosine,
        cosine_utterances=len(probe.utterances) if probe is not None else 0,
        seconds=time.perf_counter() - t0,
    )
