"""ncasr: streaming speech recognition and int8 quantization on ncnn.

    import ncasr
    info = ncasr.inspect_model("path/to/model")   # type, metadata, layers, sizes
    print(ncasr.build_info())                     # versions and active SIMD paths
    rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())  # the bundled model
"""

from ._core import __version__
from .audio import load_audio
from .default_model import default_model_dir
from .config import DecodingConfig, EndpointConfig, FeatureConfig, RecognizerConfig, RuntimeOptions
from .errors import AudioError, ConfigError, ModelError, ModelFileNotFoundError, NcasrError
from .calibration import Calibration, HistogramCollector, ScaleTable, Threshold, calibrate, calibrate_model
from .int8_model import QuantizeReport, quantize, quantize_model
from .model_info import BuildInfo, ModelInfo, NetInfo, build_info, inspect_model
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
    "ModelError",
    "ModelFileNotFoundError",
    "ModelInfo",
    "NcasrError",
    "NetInfo",
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
    "calibrate_model",
    "default_model_dir",
    "inspect_model",
    "load_audio",
    "quantize",
    "quantize_model",
]
