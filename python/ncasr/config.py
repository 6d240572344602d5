"""Recognizer configuration: small dataclasses that validate on construction."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields, replace
from typing import Optional

from .errors import ConfigError

__all__ = ["FeatureConfig", "DecodingConfig", "EndpointConfig", "RecognizerConfig"]

METHODS = ("greedy_search", "modified_beam_search")


def _positive(name: str, value, *, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and math.isfinite(value) and (
        value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ConfigError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}, "
                          f"got {value!r}")


@dataclass(frozen=True)
class FeatureConfig:
    """Kaldi fbank settings; the defaults are what icefall models are trained with."""

    sample_rate: int = 16000
    num_bins: int = 80

    def __post_init__(self):
        _positive("sample_rate", self.sample_rate)
        _positive("num_bins", self.num_bins)


@dataclass(frozen=True)
class DecodingConfig:
    """How tokens are chosen from the joiner's output."""

    method: str = "greedy_search"
    num_active_paths: int = 4  # modified_beam_search only
    hotwords_file: Optional[str] = None  # modified_beam_search only
    hotwords_score: float = 1.5

    def __post_init__(self):
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
    """Kaldi-style endpoint rules (seconds); any rule firing ends a segment."""

    enabled: bool = True
    rule1_min_trailing_silence: float = 2.4  # silence, even if nothing was said
    rule2_min_trailing_silence: float = 1.2  # silence after speech
    rule3_min_utterance_length: float = 20.0  # segment too long

    def __post_init__(self):
        for f in fields(self)[1:]:
            _positive(f.name, getattr(self, f.name), allow_zero=True)


@dataclass(frozen=True)
class RecognizerConfig:
    """Everything a Recognizer needs: the model folder and how to run it."""

    model_dir: str
    features: FeatureConfig = field(default_factory=FeatureConfig)
    decoding: DecodingConfig = field(default_factory=DecodingConfig)
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)
    num_threads: int = 1
    variant: str = ""  # "", "float" or "int8": which files of the folder to load
    use_fp16_storage: bool = True  # ncnn's default: fp16 weights (fp16 math only on ARM)
    # Zipformer's encoder never uses fp16 math; on x86 its weights may still be stored as
    # fp16 (about 15 % faster). False runs it in fp32 as sherpa-ncnn does.
    zipformer_encoder_fp16_weights: bool = True
    # Pointwise Convolution1D layers (Zipformer, Conv-Emformer) run as a Gemm: ~9 % faster
    # on x86; float rounding differs from ncnn's Convolution1D (False: as sherpa-ncnn).
    pointwise_conv1d_as_gemm: bool = True
    # Depthwise Convolution1D layers (kernel 31 in Zipformer, Conv-Emformer) on ncasr's SIMD
    # kernel instead of ncnn's scalar loop: faster; float rounding may differ (False: as
    # sherpa-ncnn).
    depthwise_conv1d_simd: bool = True
    # Those depthwise layers in int8 (ncasr's kernel: taps per channel, quantized at load;
    # activations per channel per chunk, no calibration). Off by default: they are ~2 % of an
    # int8 Zipformer chunk, and their int8 error adds to the rest. Models written with
    # `quantize(..., ncasr_int8_depthwise=True)` use the int8 layer anyway.
    depthwise_conv1d_int8: bool = False
    # GLU layers (Zipformer, Conv-Emformer convolution modules) on ncasr's SIMD kernel and
    # ncnn's packed layout, which saves two layout conversions each; its sigmoid rounds
    # differently (False: ncnn's GLU, as sherpa-ncnn).
    glu_simd: bool = True
    # pnnx's four-layer DoubleSwish x * sigmoid(x - 1) (Split, sub, Sigmoid, mul) fused into
    # one in-place layer on the same kernel (False: the four ncnn layers, as sherpa-ncnn).
    fuse_double_swish: bool = True
    # pnnx's six-layer BasicNorm fused into one in-place layer on ncnn's packed blobs
    # (False: ncnn's layers, as sherpa-ncnn).
    fuse_basic_norm: bool = True
    # Run the ncnn int8 Gemm layers (Linear, pointwise conv) of an int8 model on ncasr's int8
    # kernels (NcasrInt8Gemm). Off by default: inside whole encoders on this x86 (AVX-512 VNNI)
    # ncnn's int8 Gemm measured 0.8-1.1x ours' time (benchmarks/bench_int8_layers.py).
    # Models written with `quantize(..., ncasr_int8_gemm=True)` use ncasr's layer anyway.
    int8_gemm_ncasr: bool = False
    # Run int8 LSTM layers on ncasr's int8 kernels and SIMD cell, the projection W_hr quantized
    # too (ncnn keeps it float): fewer bytes per time step, 1.2-1.4x faster than ncnn's int8
    # LSTM on the full-size encoder; rounding differs (False: ncnn's, as sherpa-ncnn).
    lstm_int8_ncasr: bool = True
    # With fp16 storage on x86, where ncnn's LSTM still reads fp32 weights, float LSTM layers
    # run with fp16 weights on ncasr's kernel (half the bytes per step; the weights' fp16
    # rounding changes outputs slightly; False: ncnn's, as sherpa-ncnn).
    lstm_fp16_weights: bool = True
    # With fp32 storage (use_fp16_storage=False), float LSTM layers run on ncasr's float panel
    # kernel: the same bytes as ncnn's LSTM, one sweep per step, split across threads by
    # whole panels; float rounding differs (False: ncnn's, as sherpa-ncnn).
    lstm_fp32_panels: bool = True
    # Float InnerProduct layers of an LSTM encoder (its feed-forward blocks, one or two frames
    # per call) on the same panel kernels, one weight sweep per frame (fp16 weights with fp16
    # storage on x86); float rounding differs (False: ncnn's, as sherpa-ncnn).
    inner_product_panels: bool = True
    # Blobs from ncasr's size-class pool (O(1) malloc/free) instead of ncnn's list-scanning
    # pool allocator: changes no result, only speed (False: ncnn's, as sherpa-ncnn).
    blob_pool: bool = True
    # Feed and return the encoder's stacked states one tensor per layer, dropping pnnx's
    # Split/Crop/Reshape/Stack around each (~280 layers and two copies of every state per
    # Zipformer chunk): changes no result, only speed (False: the graph as exported).
    unstack_states: bool = True
    tail_padding: float = 0.5  # seconds of silence transcribe() appends to flush the model

    def __post_init__(self):
        object.__setattr__(self, "model_dir", os.fspath(self.model_dir))
        if not isinstance(self.num_threads, int) or self.num_threads < 1:
            raise ConfigError(f"num_threads must be an int >= 1, got {self.num_threads!r}")
        if self.variant not in ("", "float", "int8"):
            raise ConfigError(f"variant must be '', 'float' or 'int8', got {self.variant!r}")
        _positive("tail_padding", self.tail_padding, allow_zero=True)

    @classmethod
    def from_dir(cls, model_dir, **overrides) -> "RecognizerConfig":
        """Config for a model folder. Overrides may name any field of this config or of
        its parts, e.g. ``method="modified_beam_search"``, ``num_threads=2``."""
        parts = {"features": FeatureConfig, "decoding": DecodingConfig, "endpoint": EndpointConfig}
        top = {f.name for f in fields(cls)}
        per_part = {name: {} for name in parts}
        direct = {}
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
