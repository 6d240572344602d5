"""ncasr: streaming speech recognition and int8 quantization on ncnn.

import ncasr
info = ncasr.inspect_model("path/to/model")   # type, metadata, layers, sizes
print(ncasr.build_info())                     # versions and active SIMD paths
rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())  # the bundled model
report = ncasr.quantize("model", "model-int8", calibration=["wavs/"])  # int8 copy
"""

from ._core import __version__
from .audio import load_audio
from .config import DecodingConfig, EndpointConfig, FeatureConfig, RecognizerConfig, RuntimeOptions
from .default_model import default_model_dir
from .errors import AudioError, ConfigError, ModelError, ModelFileNotFoundError, NcasrError
from .model_info import BuildInfo, ModelInfo, NetInfo, build_info, inspect_model
from .quantization import (
    Calibration,
    HistogramCollector,
    LayerOutcome,
    LayerResult,
    QuantizeOptions,
    QuantizeReport,
    ScaleTable,
    Threshold,
    calibrate,
    quantize,
)
from .recognizer import Recognizer, Result, Stream

__all__ = [
    "__version__",
    "AudioError",
    "BuildInfo",
    "Calibration",
    "ConfigError",
    "DecodingConfig",
    "EndpointConfig",
    "FeatureConfig",
    "HistogramCollector",
    "LayerOutcome",
    "LayerResult",
    "ModelError",
    "ModelFileNotFoundError",
    "ModelInfo",
    "NcasrError",
    "NetInfo",
    "QuantizeOptions",
    "QuantizeReport",
    "Recognizer",
    "RecognizerConfig",
    "Result",
    "RuntimeOptions",
    "ScaleTable",
    "Stream",
    "Threshold",
    "build_info",
    "calibrate",
    "default_model_dir",
    "inspect_model",
    "load_audio",
    "quantize",
]
