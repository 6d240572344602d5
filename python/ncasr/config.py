"""Recognizer configuration: small dataclasses that validate on construction."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from .errors import ConfigError

__all__ = ["FeatureConfig", "DecodingConfig", "EndpointConfig", "RuntimeOptions", "RecognizerConfig"]

if TYPE_CHECKING:
    from . import _core

METHODS = ("greedy_search", "modified_beam_search")

PathLike = Union[str, "os.PathLike[str]"]


def _positive(name: str, value: Any, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ConfigError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}, got {value!r}")


@dataclass(frozen=True)
class FeatureConfig:
    """Kaldi fbank settings; the defaults are what icefall models are trained with.

    Example::

        config = RecognizerConfig("model/", features=FeatureConfig(sample_rate=8000))
    """

    sample_rate: int = 16000
    num_bins: int = 80

    def __post_init__(self) -> None:
        _positive("sample_rate", self.sample_rate)
        _positive("num_bins", self.num_bins)


@dataclass(frozen=True)
class DecodingConfig:
    """How tokens are chosen from the joiner's output.

    Example::

        decoding = DecodingConfig("modified_beam_search", num_active_paths=8,
                                  hotwords_file="hotwords.txt")
        config = RecognizerConfig("model/", decoding=decoding)
    """

    method: str = "greedy_search"
    num_active_paths: int = 4  # modified_beam_search only
    hotwords_file: Optional[str] = None  # modified_beam_search only
    hotwords_score: float = 1.5

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(f"decoding method must be one of {METHODS}, got {self.method!r}")
        if not isinstance(self.num_active_paths, int) or self.num_active_paths < 1:
            raise ConfigError(f"num_active_paths must be an int >= 1, got {self.num_active_paths!r}")
        if self.hotwords_file is not None:
            if self.method != "modified_beam_search":
                raise ConfigError("hotwords need method='modified_beam_search'")
            if not os.path.isfile(self.hotwords_file):
                raise ConfigError(f"hotwords file not found: {self.hotwords_file}")
        _positive("hotwords_score", self.hotwords_score, allow_zero=True)


@dataclass(frozen=True)
class EndpointConfig:
    """Kaldi-style endpoint rules (seconds); any rule firing ends a segment.

    Example::

        endpoint = EndpointConfig(rule2_min_trailing_silence=0.8)
        config = RecognizerConfig("model/", endpoint=endpoint)
    """

    enabled: bool = True
    rule1_min_trailing_silence: float = 2.4  # silence, even if nothing was said
    rule2_min_trailing_silence: float = 1.2  # silence after speech
    rule3_min_utterance_length: float = 20.0  # segment too long

    def __post_init__(self) -> None:
        for f in fields(self)[1:]:
            _positive(f.name, getattr(self, f.name), allow_zero=True)


@dataclass(frozen=True)
class RuntimeOptions:
    """How the model runs: threads, weight storage and which of ncasr's own layers replace
    ncnn's. Mirrors the C++ struct ``RuntimeOptions`` (cpp/model/runtime_options.h) field by
    field; docs/runtime-options.md says what each does. The defaults are the fastest settings;
    :meth:`sherpa_ncnn` runs the layers as sherpa-ncnn does (the parity tests' settings).

    Example::

        RecognizerConfig("model/", runtime=RuntimeOptions(num_threads=2, glu_simd=False))
    """

    num_threads: int = 1
    use_fp16_storage: bool = True
    zipformer_encoder_fp16_weights: bool = True
    pointwise_conv1d_as_gemm: bool = True
    depthwise_conv1d_simd: bool = True
    depthwise_conv1d_int8: bool = False
    glu_simd: bool = True
    fuse_double_swish: bool = True
    fuse_basic_norm: bool = True
    int8_gemm_ncasr: bool = False
    lstm_int8_ncasr: bool = True
    lstm_fp16_weights: bool = True
    lstm_fp32_panels: bool = True
    inner_product_panels: bool = True
    blob_pool: bool = True
    unstack_states: bool = True
    max_chunks_per_call: int = 16

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in ("bool", bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{f.name} must be True or False, got {value!r}")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{f.name} must be an int >= 1, got {value!r}")

    @classmethod
    def _from_core(cls, core: _core.RuntimeOptions) -> "RuntimeOptions":
        return cls(**{f.name: getattr(core, f.name) for f in fields(cls)})

    @classmethod
    def fastest(cls) -> "RuntimeOptions":
        """Every faster path that keeps results within float rounding (the defaults).

        Example::

            assert RuntimeOptions.fastest() == RuntimeOptions()
        """
        from . import _core

        return cls._from_core(_core.RuntimeOptions.fastest())

    @classmethod
    def sherpa_ncnn(cls) -> "RuntimeOptions":
        """As sherpa-ncnn runs a model: ncnn's own layers, Zipformer's encoder in fp32.

        Example::

            rec = Recognizer.from_dir("model/", runtime=RuntimeOptions.sherpa_ncnn())
        """
        from . import _core

        return cls._from_core(_core.RuntimeOptions.sherpa_ncnn())

    def to_core(self) -> _core.RuntimeOptions:
        """The C++ struct (``_core.RuntimeOptions``) with these values.

        Example::

            RuntimeOptions(num_threads=2).to_core().num_threads  # 2
        """
        from . import _core

        core = _core.RuntimeOptions()
        for f in fields(self):
            setattr(core, f.name, getattr(self, f.name))
        return core


@dataclass(frozen=True)
class RecognizerConfig:
    """Everything a Recognizer needs: the model folder and how to run it.

    Example::

        config = RecognizerConfig("model/", variant="int8", tail_padding=0.3)
        rec = Recognizer(config)
    """

    model_dir: str
    features: FeatureConfig = field(default_factory=FeatureConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    variant: str = ""  # "", "float" or "int8": which files of the folder to load
    runtime: RuntimeOptions = field(default_factory=RuntimeOptions)
    tail_padding: float = 0.5  # seconds of silence transcribe() appends to flush the model

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_dir", os.fspath(self.model_dir))
        if not isinstance(self.runtime, RuntimeOptions):
            raise ConfigError(f"runtime must be a RuntimeOptions, got {self.runtime!r}")
        if self.variant not in ("", "float", "int8"):
            raise ConfigError(f"variant must be '', 'float' or 'int8', got {self.variant!r}")
        _positive("tail_padding", self.tail_padding, allow_zero=True)

    @classmethod
    def from_dir(cls, model_dir: PathLike, **overrides: Any) -> "RecognizerConfig":
        """Config for a model folder. Overrides may name any field of this config or of
        its parts, e.g. ``method="modified_beam_search"``, ``num_threads=2``,
        ``runtime=RuntimeOptions.sherpa_ncnn()``; a RuntimeOptions field given by name applies
        on top of ``runtime`` (default: the fastest settings).

        Example::

            config = RecognizerConfig.from_dir("model/", method="modified_beam_search",
                                               num_threads=2, glu_simd=False)
        """
        parts = {
            "features": FeatureConfig,
            "decoding": DecodingConfig,
            "endpoint": EndpointConfig,
            "runtime": RuntimeOptions,
        }
        top = {f.name for f in fields(cls)}
        per_part: Dict[str, Dict[str, Any]] = {name: {} for name in parts}
        direct: Dict[str, Any] = {}
        for key, value in overrides.items():
            if key in top:
                direct[key] = value
                continue
            owner = [n for n, c in parts.items() if key in {f.name for f in fields(c)}]
            if not owner:
                raise ConfigError(f"unknown recognizer option {key!r}")
            per_part[owner[0]][key] = value
        for name, cls_ in parts.items():
            if per_part[name]:
                base = direct.get(name, cls_())
                direct[name] = replace(base, **per_part[name])
        return cls(model_dir=model_dir, **direct)
