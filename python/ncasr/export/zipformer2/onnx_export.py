"""Zipformer2 to an ONNX folder that sherpa-onnx loads as a streaming Zipformer2 transducer
(encoder.onnx, decoder.onnx, joiner.onnx, tokens.txt), for benchmarks and cross-checks.

The contract (icefall's streaming ONNX export, as sherpa-onnx 2.0.1 reads it): the encoder
takes ``x`` (N, T, feature_dim), the states by ``state_names`` in icefall's layout
(``icefall_state_shapes``) and ``processed_lens`` (N,) int64, and returns ``encoder_out``
(N, chunk_size // 2, joiner_dim), projected, then ``new_<name>`` for every state and
``new_processed_lens``; its metadata gives the sizes sherpa-onnx builds the states from. The
decoder maps ``y`` (N, context_size) int64 to ``decoder_out`` (N, joiner_dim), projected; the
joiner maps ``encoder_out`` and ``decoder_out`` to ``logit`` (N, vocab_size). Our encoder keeps
batch 1 without a batch axis, so the ONNX encoder runs batch 1 (one stream per call)."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from .config import Zipformer2Config
from .model import Zipformer2Transducer
from .state_dict import fit_config, load_zipformer2, read_state_dict
from .states import MASK_VALUE, icefall_state_shapes, state_names, state_shapes

__all__ = ["export_onnx", "onnx_meta_data", "quantize_onnx_int8"]

PathLike = Union[str, "os.PathLike[str]"]
OPSET = 13


class _OnnxEncoder(nn.Module):
    """icefall's streaming encoder signature around our StreamingEncoder (batch 1)."""

    def __init__(self, model: Zipformer2Transducer) -> None:
        super().__init__()
        self.cfg = model.cfg
        self.enc = model.streaming_encoder(project=True)
        shapes = state_shapes(self.cfg)
        outer = icefall_state_shapes(self.cfg)
        self.names = state_names(self.cfg)
        self.ours = [shapes[n] for n in self.names]
        self.theirs = [outer[n] for n in self.names]

    def forward(self, x: Tensor, *args: Tensor) -> Tuple[Tensor, ...]:
        cfg = self.cfg
        states, processed_lens = args[:-1], args[-1]
        ours = [s.reshape(shape) for s, shape in zip(states, self.ours)]
        # the key mask of ncasr's graph from processed_lens: cache slots not yet filled
        slots = torch.arange(cfg.left_context_frames + cfg.chunk_size, dtype=torch.int64).unsqueeze(0)
        unfilled = slots < (cfg.left_context_frames - processed_lens).unsqueeze(-1)
        mask = unfilled.to(torch.float32) * MASK_VALUE
        out, *new = self.enc(x[0], mask, *ours)
        new = [s.reshape(shape) for s, shape in zip(new, self.theirs)]
        return (out.unsqueeze(0), *new, processed_lens + cfg.chunk_size)


class _OnnxJoiner(nn.Module):
    def __init__(self, model: Zipformer2Transducer) -> None:
        super().__init__()
        self.joiner = model.joiner

    def forward(self, encoder_out: Tensor, decoder_out: Tensor) -> Tensor:
        return self.joiner(encoder_out, decoder_out)


def onnx_meta_data(cfg: Zipformer2Config) -> Dict[str, Dict[str, str]]:
    """The metadata props of each net, as sherpa-onnx reads them.

    Example::

        onnx_meta_data(cfg)["encoder"]["T"]  # '45'
    """

    def join(values) -> str:
        return ",".join(str(int(v)) for v in values)

    encoder = {
        "model_type": "zipformer2",
        "version": "1",
        "model_author": "ncasr",
        "comment": "streaming zipformer2",
        "decode_chunk_len": str(cfg.decode_chunk_len),
        "T": str(cfg.frames_per_call),
        "num_encoder_layers": join(cfg.num_encoder_layers),
        "encoder_dims": join(cfg.encoder_dim),
        "cnn_module_kernels": join(cfg.cnn_module_kernel),
        "left_context_len": join(cfg.left_context(s) for s in range(cfg.num_stacks)),
        "query_head_dims": join(cfg.query_head_dim),
        "value_head_dims": join(cfg.value_head_dim),
        "num_heads": join(cfg.num_heads),
    }
    return {
        "encoder": encoder,
        "decoder": {"context_size": str(cfg.context_size), "vocab_size": str(cfg.vocab_size)},
        "joiner": {"joiner_dim": str(cfg.joiner_dim)},
    }


def _add_meta(path: Path, props: Dict[str, str]) -> None:
    import onnx

    m = onnx.load(str(path))
    del m.metadata_props[:]
    for k, v in props.items():
        entry = m.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.save(m, str(path))


def _export(module: nn.Module, args: Tuple[Tensor, ...], path: Path, inputs: List[str], outputs: List[str],
            dynamic: Optional[Dict[str, Dict[int, str]]]) -> None:  # fmt: skip
    # torch's notice that this (TorchScript) exporter is the legacy one is not ours to show
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs, opset_version=OPSET,
                          dynamic_axes=dynamic, dynamo=False)  # fmt: skip


def export_onnx(
    weights: Union[PathLike, Zipformer2Transducer],
    out_dir: PathLike,
    cfg: Optional[Zipformer2Config] = None,
    tokens: Optional[PathLike] = None,
) -> Path:
    """Write encoder.onnx, decoder.onnx and joiner.onnx (fp32) for ``weights`` (icefall
    checkpoint, state_dict .pt or .npz, or a ``Zipformer2Transducer``) to ``out_dir``, with
    ``tokens`` copied as tokens.txt; returns ``out_dir``.

    Example::

        export_onnx("epoch-30.pt", "zipformer2-onnx", Zipformer2Config(), "tokens.txt")
    """
    if isinstance(weights, Zipformer2Transducer):
        model = weights
    else:
        if cfg is None:
            raise ValueError("export_onnx needs cfg with weights given as a file")
        loaded = read_state_dict(weights)
        model = load_zipformer2(loaded, fit_config(loaded, cfg))
    model = model.eval()
    cfg = model.cfg
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = state_names(cfg)
    shapes = icefall_state_shapes(cfg)
    enc_args = (
        torch.zeros(1, cfg.frames_per_call, cfg.feature_dim),
        *[torch.zeros(shapes[n]) for n in names],
        torch.zeros(1, dtype=torch.int64),
    )
    _export(_OnnxEncoder(model), enc_args, out / "encoder.onnx", ["x"] + names + ["processed_lens"],
            ["encoder_out"] + [f"new_{n}" for n in names] + ["new_processed_lens"], None)  # fmt: skip
    dec = model.decoder_with_projection()
    _export(dec, (torch.zeros(1, cfg.context_size, dtype=torch.int64),), out / "decoder.onnx", ["y"], ["decoder_out"],
            {"y": {0: "N"}, "decoder_out": {0: "N"}})  # fmt: skip
    join_args = (torch.zeros(1, cfg.joiner_dim), torch.zeros(1, cfg.joiner_dim))
    _export(_OnnxJoiner(model), join_args, out / "joiner.onnx", ["encoder_out", "decoder_out"], ["logit"],
            {"encoder_out": {0: "N"}, "decoder_out": {0: "N"}, "logit": {0: "N"}})  # fmt: skip
    for net, props in onnx_meta_data(cfg).items():
        _add_meta(out / f"{net}.onnx", props)
    if tokens is not None:
        shutil.copyfile(tokens, out / "tokens.txt")
    return out


def quantize_onnx_int8(onnx_dir: PathLike) -> Dict[str, Path]:
    """Write encoder.int8.onnx, decoder.int8.onnx and joiner.int8.onnx beside the fp32 files
    of ``onnx_dir``: onnxruntime's dynamic quantization of the MatMul weights to int8, as
    sherpa-onnx's published int8 files are made. Returns the paths by net.

    Example::

        quantize_onnx_int8("zipformer2-onnx")["encoder"]  # .../encoder.int8.onnx
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(onnx_dir)
    out: Dict[str, Path] = {}
    for net in ("encoder", "decoder", "joiner"):
        out[net] = folder / f"{net}.int8.onnx"
        quantize_dynamic(model_input=folder / f"{net}.onnx", model_output=out[net], op_types_to_quantize=["MatMul"],
                         weight_type=QuantType.QInt8)  # fmt: skip
    return out
