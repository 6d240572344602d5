"""Write an int8 model folder from a float one: the conversion step of ``ncasr.quantize``.

Per layer type, the int8 form that is correct and measured faster than float:
- LSTM: weights per gate row; activations quantized per time step at run time.
- Gemm (pnnx's Linear) and InnerProduct on (T, C) inputs, rewritten as Gemm: weights per
  tensor; input rows quantized at run time (ncnn's int8 InnerProduct is SSE-only on x86
  and several times slower than float, its int8 Gemm uses AVX2/VNNI).
- Convolution1D, pointwise (kernel 1): rewritten as an int8 Gemm with the weights as
  constant A, one scale per output channel; input quantized at run time.
- Convolution: weights per output channel; the input scale comes from a calibration
  table, so it is quantized only when a table is given.
- ConvolutionDepthWise1D (kernel 31 in Zipformer, Conv-Emformer): only with
  ``ncasr_int8_depthwise``, as ncasr's NcasrDepthwiseConv1DInt8 (ncnn has no int8 form).
Everything else stays float. The core plans and writes the folder (``cpp/conversion/``):
the input folder is never modified; the output is built beside its destination and
renamed into place only when it loads as a model.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Tuple, Union

from .. import _core
from .options import QuantizeOptions
from .report import LayerOutcome, LayerResult, NetSize
from .statistics import ScaleTable

__all__ = ["NCASR_ONLY_FILE", "convert"]

# Written into an int8 folder that uses ncasr's own layers: other runtimes cannot load it.
NCASR_ONLY_FILE: str = _core.NCASR_ONLY_FILE


def convert(
    model_dir: Union[str, os.PathLike],
    out_dir: Union[str, os.PathLike],
    table: Optional[ScaleTable],
    options: QuantizeOptions,
    overwrite: bool = False,
) -> Tuple[Dict[str, NetSize], List[LayerResult]]:
    """Write the int8 copy of ``model_dir`` to ``out_dir`` with ``table`` (or none: then
    Convolution layers stay float) saved beside it; returns sizes per net and every layer's
    outcome. ``ConfigError`` for a non-empty ``out_dir`` unless ``overwrite``.

    Example::

        nets, layers = convert("model", "model-int8", None, ncasr.QuantizeOptions())
    """
    written = _core.write_int8_model(os.fspath(model_dir), os.fspath(out_dir), table, options.to_core(), overwrite)
    nets: Dict[str, NetSize] = {}
    layers: List[LayerResult] = []
    for n in written:
        nets[n["net"]] = NetSize(
            file=n["file"], bytes_in=n["bytes_in"], bytes_out=n["bytes_out"], quantized=n["quantized"]
        )
        layers += [
            LayerResult(
                net=n["net"],
                name=l["name"],
                type=l["type"],
                outcome=LayerOutcome(l["outcome"]),
                reason=l["reason"],
                int8_type=l["int8_type"],
                bytes_in=l["bytes_in"],
                bytes_out=l["bytes_out"],
            )
            for l in n["layers"]
        ]
    return nets, layers
