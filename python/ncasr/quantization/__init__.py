"""int8 post-training quantization of a model folder.

- ``calibrate`` (calibration.py): activation scales from audio run through the real
  streaming pipeline -> ``Calibration``.
- ``quantize`` (pipeline.py): calibrate if asked, keep sensitive layers float if asked,
  convert, measure -> ``QuantizeReport``.
- ``QuantizeOptions`` (options.py), the typed results (report.py), the converter
  (conversion.py), per-layer sensitivity (sensitivity.py), and the statistics kernels and
  thresholds under calibration (statistics.py).

Example::

    from ncasr.quantization import QuantizeOptions, calibrate, quantize
    cal = calibrate("model", ["wavs/"])
    report = quantize("model", "model-int8", calibration=cal, options=QuantizeOptions())
"""

from .calibration import Calibration, calibrate
from .options import DEFAULT_CALIBRATION_METHODS, QuantizeOptions, default_calibration_method
from .pipeline import quantize
from .report import (
    AutoExcludeSummary,
    CalibrationSummary,
    LayerOutcome,
    LayerResult,
    LayerSensitivity,
    NetSize,
    QuantizeReport,
    SensitivityReport,
)
from .sensitivity import measure_sensitivity
from .statistics import HistogramCollector, ScaleTable, Threshold

__all__ = [
    "AutoExcludeSummary",
    "Calibration",
    "CalibrationSummary",
    "DEFAULT_CALIBRATION_METHODS",
    "HistogramCollector",
    "LayerOutcome",
    "LayerResult",
    "LayerSensitivity",
    "NetSize",
    "QuantizeOptions",
    "QuantizeReport",
    "ScaleTable",
    "SensitivityReport",
    "Threshold",
    "calibrate",
    "default_calibration_method",
    "measure_sensitivity",
    "quantize",
]
