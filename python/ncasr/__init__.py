"""ncasr: streaming speech recognition and int8 quantization on ncnn.

    import ncasr
    info = ncasr.inspect_model("path/to/model")   # type, metadata, layers, sizes
    print(ncasr.build_info())                     # versions and active SIMD paths
"""

from ._core import __version__
from .errors import AudioError, ConfigError, ModelError, ModelFileNotFoundError, NcasrError
from .model_info import BuildInfo, ModelInfo, NetInfo, build_info, inspect_model

__all__ = [
    "__version__",
    "AudioError",
    "BuildInfo",
    "ConfigError",
    "ModelError",
    "ModelFileNotFoundError",
    "ModelInfo",
    "NcasrError",
    "NetInfo",
    "build_info",
    "inspect_model",
]
