"""Loading icefall weights (a checkpoint, a bare state_dict, or its .npz) into our model."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Dict, Union

import numpy as np
import torch

from .config import Zipformer2Config
from .model import Zipformer2Transducer

__all__ = ["read_state_dict", "load_zipformer2", "fit_config"]

PathLike = Union[str, "os.PathLike[str]"]

# icefall parameters inference does not use: training-only heads and a bypass_scale that each
# layer still holds but never reads
_UNUSED = ("simple_am_proj.", "simple_lm_proj.", "ctc_output.", "attention_decoder.")


def read_state_dict(path: PathLike) -> Dict[str, torch.Tensor]:
    """Tensors by icefall name from a .npz, a bare state_dict .pt, or a training checkpoint
    (a dict holding the weights under ``model``).

    Example::

        weights = read_state_dict("exp/epoch-30.pt")
    """
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as data:
            return {k: torch.from_numpy(np.array(data[k], dtype=np.float32)) for k in data.files}
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # unpickling stops at anything but tensors and plain containers
        raise ValueError(
            f"{path}: not loadable as plain tensors ({e}); a training checkpoint holding other objects "
            "can be reduced with icefall's export.py (pretrained.pt) or saved as {name: tensor}"
        ) from None
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        obj = obj["model"]
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a state_dict or a checkpoint with 'model', got {type(obj).__name__}")
    return {k: v.float() for k, v in obj.items() if isinstance(v, torch.Tensor)}


def fit_config(weights: Dict[str, torch.Tensor], cfg: Zipformer2Config) -> Zipformer2Config:
    """``cfg`` with the sizes the weights state unambiguously (vocab, decoder and joiner dims,
    context size) taken from them: icefall's train.py arguments do not hold the vocab size.

    Example::

        cfg = fit_config(read_state_dict("epoch-30.pt"), Zipformer2Config())
    """
    emb, conv = weights.get("decoder.embedding.weight"), weights.get("decoder.conv.weight")
    out = weights.get("joiner.output_linear.weight")
    if emb is None or conv is None or out is None:
        return cfg
    return dataclasses.replace(cfg, vocab_size=emb.shape[0], decoder_dim=emb.shape[1], context_size=conv.shape[2],
                               joiner_dim=out.shape[1])  # fmt: skip


def _unused(name: str) -> bool:
    if name.startswith(_UNUSED):
        return True
    # Zipformer2EncoderLayer.bypass_scale (not .bypass.bypass_scale / .bypass_mid.bypass_scale)
    return name.endswith(".bypass_scale") and name.split(".")[-2].isdigit()


Weights = Dict[str, torch.Tensor]


def load_zipformer2(path_or_weights: Union[PathLike, Weights], cfg: Zipformer2Config) -> Zipformer2Transducer:
    """Build the model for ``cfg`` and load icefall weights by name; every parameter must be
    found with the right shape, and every weight given must be used or known to be unused.

    Example::

        model = load_zipformer2("state_dict.npz", Zipformer2Config.from_json("config.json"))
    """
    weights = path_or_weights if isinstance(path_or_weights, dict) else read_state_dict(path_or_weights)
    model = Zipformer2Transducer(cfg)
    own = model.state_dict()
    missing = sorted(set(own) - set(weights))
    extra = sorted(k for k in set(weights) - set(own) if not _unused(k))
    if missing or extra:
        raise ValueError(f"weights do not fit the config: missing {missing[:5]}, unexpected {extra[:5]}")
    for name, value in own.items():
        given, wanted = tuple(weights[name].shape), tuple(value.shape)
        if given != wanted:
            raise ValueError(f"{name}: weights have shape {given}, the config gives {wanted}")
    model.load_state_dict({k: weights[k] for k in own})
    model.refresh()
    return model.eval()
