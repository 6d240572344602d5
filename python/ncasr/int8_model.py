"""Write an int8 model folder from a float one (``ncasr.quantize``).

This stage quantizes what needs no calibration audio: LSTM weights (per gate row) and
constant Gemm weights, with activations quantized at run time by ncnn's int8 kernels.
Layers that need calibrated activation scales (InnerProduct, Convolution) stay float
until calibration lands. The input folder is never modified; the output folder is written
next to its destination and renamed into place only when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List

from . import _core
from .errors import ConfigError, ModelError

__all__ = ["quantize", "QuantizeReport"]


@dataclass(frozen=True)
class QuantizeReport:
    """Sizes before/after per net, and what happened to each layer with weights."""

    model_dir: str
    out_dir: str
    nets: Dict[str, dict] = field(default_factory=dict)  # net -> {bytes_in, bytes_out, quantized, file}
    layers: List[dict] = field(default_factory=list)  # {net, name, type, action, bytes_in, bytes_out}

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        lines = [f"{self.model_dir} -> {self.out_dir}"]
        for net, d in self.nets.items():
            lines.append(f"  {net}: {d['bytes_in']:,} -> {d['bytes_out']:,} bytes "
                         f"({d['bytes_out'] / d['bytes_in']:.0%}), {d['quantized']} layers int8")
        kept: Dict[str, int] = {}
        for l in self.layers:
            if l["action"] != "int8":
                kept[f"{l['type']} ({l['action']})"] = kept.get(f"{l['type']} ({l['action']})", 0) + 1
        for what, n in sorted(kept.items()):
            lines.append(f"  kept float: {n} x {what}")
        return "\n".join(lines)


def quantize(model_dir, out_dir, *, exclude_layers: Iterable[str] = (),
             exclude_types: Iterable[str] = (), force: bool = False) -> QuantizeReport:
    """Write an int8 copy of the model in ``model_dir`` to ``out_dir``.

    Refuses a non-empty ``out_dir`` unless ``force``; never writes into ``model_dir``.
    """
    src = Path(model_dir).resolve()
    dst = Path(out_dir).resolve()
    files = _core.inspect_model(str(src), "float")  # validates the whole input model first
    if dst == src or src in dst.parents:
        raise ConfigError(f"{dst}: the output folder must not be the model folder or inside it")
    if dst.exists() and any(dst.iterdir()) and not force:
        raise ConfigError(f"{dst}: output folder is not empty (pass force=True / --force)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".ncasr-quantize-", dir=dst.parent))
    nets, layers = {}, []
    try:
        for net in ("encoder", "decoder", "joiner"):
            param, bin_ = files[net]["param"], files[net]["bin"]
            if bin_ is None:
                raise ModelError(param, "has no .bin next to it")
            stem = Path(param).name[: -len(".param")]
            out_stem = stem.replace(".ncnn", ".ncnn.int8") if ".ncnn" in stem else stem + ".int8"
            r = _core.convert_net_int8(param, bin_, str(work / f"{out_stem}.param"),
                                       str(work / f"{out_stem}.bin"), set(exclude_layers),
                                       set(exclude_types))
            if r["quantized"] == 0:  # nothing changed: keep the float file under its own name
                (work / f"{out_stem}.param").unlink()
                (work / f"{out_stem}.bin").unlink()
                shutil.copyfile(param, work / Path(param).name)
                shutil.copyfile(bin_, work / Path(bin_).name)
                out_stem = stem
            nets[net] = {"bytes_in": r["bytes_in"], "bytes_out": r["bytes_out"],
                         "quantized": r["quantized"], "file": f"{out_stem}.bin"}
            layers += [dict(l, net=net) for l in r["layers"]]
        if files["tokens"]:
            shutil.copyfile(files["tokens"], work / "tokens.txt")
        _core.inspect_model(str(work))  # the result must load as a model folder
        if dst.exists():
            shutil.rmtree(dst)
        os.replace(work, dst)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return QuantizeReport(model_dir=str(src), out_dir=str(dst), nets=nets, layers=layers)
