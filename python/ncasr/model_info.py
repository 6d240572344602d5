"""What a model folder holds: ``inspect_model`` and ``build_info``."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Union

from . import _core

__all__ = ["NetInfo", "ModelInfo", "BuildInfo", "inspect_model", "build_info"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class NetInfo:
    """Statistics of one ncnn net (encoder, decoder or joiner).

    Example::

        net = ncasr.inspect_model("model/").encoder
        print(net.layer_count, net.weight_bytes, net.layer_types.get("LSTM", 0))
    """

    param: str
    bin: Optional[str]
    layer_count: int
    blob_count: int
    layer_types: Dict[str, int]
    weight_bytes: Optional[int]  # None when the folder has no .bin for this net


@dataclass(frozen=True)
class ModelInfo:
    """Architecture, metadata and per-net statistics of a model folder.

    Example::

        info = ncasr.inspect_model("model/")
        print(info.model_type, info.vocab_size)
        print(info)  # a readable summary
    """

    dir: str
    model_type: str  # "lstm", "conv_emformer", "zipformer" or "zipformer2"
    meta_data: Dict[str, str]  # named values, e.g. {"encoder_dim": "512"}
    raw_meta_data: Dict[int, object]  # SherpaMetaData id -> value
    encoder: NetInfo
    decoder: NetInfo
    joiner: NetInfo
    tokens: Optional[str]
    vocab_size: Optional[int]  # the tokens the joiner scores
    disambiguation_symbols: int = 0  # icefall's trailing "#N" entries of tokens.txt, never emitted

    def to_dict(self) -> Dict[str, Any]:
        """The info as a plain dict, JSON-serialisable (``raw_meta_data`` keys as strings).

        Example::

            json.dumps(ncasr.inspect_model("model/").to_dict())
        """
        d = asdict(self)
        d["raw_meta_data"] = {str(k): v for k, v in self.raw_meta_data.items()}
        return d

    def _vocabulary(self) -> str:
        if self.vocab_size is None:
            return "(no tokens.txt)"
        if not self.disambiguation_symbols:
            return f"{self.vocab_size} tokens"
        extra = self.disambiguation_symbols
        return f"{self.vocab_size} tokens + {extra} disambiguation symbol{'s' if extra > 1 else ''}"

    def __str__(self) -> str:
        lines = [f"model folder: {self.dir}", f"model type:   {self.model_type}"]
        lines += [f"  {k}: {v}" for k, v in self.meta_data.items() if k != "model_type"]
        lines.append(f"vocabulary:   {self._vocabulary()}")
        for name in ("encoder", "decoder", "joiner"):
            net: NetInfo = getattr(self, name)
            size = f"{net.weight_bytes:,} weight bytes" if net.weight_bytes is not None else "no .bin"
            lines.append(
                f"{name}: {os.path.basename(net.param)}: {net.layer_count} layers, {net.blob_count} blobs, {size}"
            )
            top = sorted(net.layer_types.items(), key=lambda kv: (-kv[1], kv[0]))
            lines.append("  " + ", ".join(f"{t} {n}" for t, n in top))
        return "\n".join(lines)


def _net(d: Dict[str, Any]) -> NetInfo:
    return NetInfo(
        param=d["param"],
        bin=d["bin"],
        layer_count=d["layer_count"],
        blob_count=d["blob_count"],
        layer_types=dict(d["layer_types"]),
        weight_bytes=d["weight_bytes"],
    )


def inspect_model(model_dir: PathLike, variant: str = "") -> ModelInfo:
    """Load every net in ``model_dir`` and describe it.

    ``variant`` picks among files in the folder: ``""`` (float if present, else int8),
    ``"float"`` or ``"int8"``. Raises :class:`ncasr.ModelError` (or its
    ``ModelFileNotFoundError``) naming the file and what is wrong.

    Example::

        info = ncasr.inspect_model("model/", variant="int8")
        print(info.encoder.param, info.meta_data)
    """
    d = _core.inspect_model(os.fspath(model_dir), variant)
    meta = d["meta_data"]
    return ModelInfo(
        dir=d["dir"],
        model_type=d["model_type"],
        meta_data=dict(meta["named"]),
        raw_meta_data=dict(meta["raw"]),
        encoder=_net(d["encoder"]),
        decoder=_net(d["decoder"]),
        joiner=_net(d["joiner"]),
        tokens=d["tokens"],
        vocab_size=d["vocab_size"],
        disambiguation_symbols=d["disambiguation_symbols"],
    )


@dataclass(frozen=True)
class BuildInfo:
    """Versions of ncasr and ncnn and the SIMD paths usable on this CPU.

    Example::

        info = ncasr.build_info()
        print(info.ncnn_version, info.simd_active)
    """

    ncasr_version: str
    ncnn_version: str
    ncnn_origin: str
    compiler: str
    arch: str
    cpu_count: int
    simd_active: List[str] = field(default_factory=list)
    cpu_features: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """The info as a plain dict (JSON-serialisable).

        Example::

            json.dumps(ncasr.build_info().to_dict())
        """
        return asdict(self)

    def __str__(self) -> str:
        return "\n".join(
            [
                f"ncasr {self.ncasr_version}, ncnn {self.ncnn_version} ({self.ncnn_origin})",
                f"compiler: {self.compiler}",
                f"cpu: {self.arch}, {self.cpu_count} cores",
                f"SIMD paths active: {', '.join(self.simd_active) or 'none'}",
            ]
        )


def build_info() -> BuildInfo:
    """Report the ncasr and ncnn versions and the SIMD paths active on this CPU.

    Example::

        print(ncasr.build_info())
    """
    d = _core.build_info()
    return BuildInfo(ncasr_version=_core.__version__, **d)
