"""``QuantizeOptions``: every choice ``ncasr.quantize`` makes, in one typed value.

The conversion fields mirror the core's ``ConversionOptions`` (``to_core()``); the
calibration and automatic-exclusion fields are used by the Python pipeline on top of it.
Layers are named ``<net>/<layer>`` (``encoder/conv_300``), as scale tables name them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Dict, Iterable, Optional, Tuple

from .. import _core
from ..errors import ConfigError

__all__ = [
    "CALIBRATION_METHODS",
    "DEFAULT_CALIBRATION_METHODS",
    "NETS",
    "QuantizeOptions",
    "default_calibration_method",
]

CALIBRATION_METHODS: Tuple[str, ...] = tuple(_core.CALIBRATION_METHODS)
NETS: Tuple[str, ...] = ("encoder", "decoder", "joiner")

# The calibration method a model type gets when none is asked for (docs/quantization.md):
# KL clips the second front-end convolution of Zipformer2 (encoder cosine 0.74), the 99.99th
# percentile does not (0.9998). Types not listed get "kl", ncnn2table's method.
DEFAULT_CALIBRATION_METHODS: Dict[str, str] = {"zipformer2": "percentile"}


def default_calibration_method(model_type: str) -> str:
    """The calibration method used for ``model_type`` when none is given.

    Example::

        default_calibration_method("zipformer2")  # 'percentile'; 'kl' for the others
    """
    return DEFAULT_CALIBRATION_METHODS.get(model_type, "kl")


def _names(value: Iterable[str], what: str) -> Tuple[str, ...]:
    if isinstance(value, str):
        raise ConfigError(f"{what} must be a list of names, got the string {value!r}")
    names = tuple(value)
    for n in names:
        if not isinstance(n, str) or not n:
            raise ConfigError(f"{what}: expected non-empty strings, got {n!r}")
    return names


@dataclass(frozen=True)
class QuantizeOptions:
    """How to quantize a model folder (the defaults write what ncnn and sherpa-ncnn load).

    Example::

        opts = ncasr.QuantizeOptions(exclude_layers=["encoder/conv_300"], auto_exclude=0.999)
        report = ncasr.quantize("model", "model-int8", calibration="wavs/", options=opts)
    """

    exclude_layers: Tuple[str, ...] = ()  # "<net>/<layer>" to keep float
    exclude_types: Tuple[str, ...] = ()  # layer types to keep float in every net, e.g. "Gemm"
    fp16_storage: bool = False  # weights that stay float are stored as fp16 (half the bytes)
    ncasr_int8_gemm: bool = False  # Linear / pointwise conv as NcasrInt8Gemm (ncasr-only files)
    ncasr_int8_depthwise: bool = False  # depthwise Conv1D as NcasrDepthwiseConv1DInt8 (ncasr-only)
    calibration_method: Optional[str] = None  # threshold method for audio; None: the model type's default
    auto_exclude: Optional[float] = None  # lowest per-chunk encoder cosine to reach, e.g. 0.999
    auto_exclude_dynamic: bool = True  # False: only calibrated (Convolution) layers may stay float
    probe_utterances: int = 2  # calibration utterances that measure cosine and sensitivity

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude_layers", _names(self.exclude_layers, "exclude_layers"))
        object.__setattr__(self, "exclude_types", _names(self.exclude_types, "exclude_types"))
        for key in self.exclude_layers:
            net, sep, layer = key.partition("/")
            if not sep or net not in NETS or not layer:
                raise ConfigError(
                    f"exclude_layers: {key!r} is not <net>/<layer> (net is one of "
                    f"{', '.join(NETS)}), e.g. encoder/{key}"
                )
        if self.calibration_method is not None and self.calibration_method not in CALIBRATION_METHODS:
            raise ConfigError(
                f"calibration_method must be one of {CALIBRATION_METHODS}, got {self.calibration_method!r}"
            )
        if self.auto_exclude is not None:
            if (
                isinstance(self.auto_exclude, bool)
                or not isinstance(self.auto_exclude, (int, float))
                or not 0.0 < self.auto_exclude <= 1.0
            ):
                raise ConfigError(f"auto_exclude is a cosine budget in (0, 1], got {self.auto_exclude!r}")
        if not isinstance(self.probe_utterances, int) or self.probe_utterances < 1:
            raise ConfigError(f"probe_utterances must be an integer >= 1, got {self.probe_utterances!r}")

    def with_excluded(self, keys: Iterable[str]) -> "QuantizeOptions":
        """These options with more ``<net>/<layer>`` keys kept float (order kept, no repeats).

        Example::

            opts = ncasr.QuantizeOptions().with_excluded(["encoder/conv_300"])
        """
        merged = list(self.exclude_layers) + [k for k in keys if k not in self.exclude_layers]
        return replace(self, exclude_layers=tuple(merged))

    def to_core(self) -> "_core.ConversionOptions":
        """The conversion part, as the core takes it.

        Example::

            core = ncasr.QuantizeOptions(fp16_storage=True).to_core()
        """
        return _core.ConversionOptions(
            exclude_layers=set(self.exclude_layers),
            exclude_types=set(self.exclude_types),
            fp16_storage=self.fp16_storage,
            ncasr_int8_gemm=self.ncasr_int8_gemm,
            ncasr_int8_depthwise=self.ncasr_int8_depthwise,
        )

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-ready values (tuples become lists).

        Example::

            json.dumps(ncasr.QuantizeOptions().to_dict())
        """
        d = asdict(self)
        d["exclude_layers"] = list(self.exclude_layers)
        d["exclude_types"] = list(self.exclude_types)
        return d

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "QuantizeOptions":
        """The inverse of ``to_dict``; unknown keys are a ``ConfigError``.

        Example::

            opts = ncasr.QuantizeOptions.from_dict({"fp16_storage": True})
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown QuantizeOptions field(s): {', '.join(unknown)}")
        return cls(**d)
