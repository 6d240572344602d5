"""After pnnx: write the SherpaMetaData layer into an encoder .param (line 3, with the
layer count on line 2 fixed), checked and atomic. The step icefall's docs do by hand."""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Sequence, Union

from .. import _core
from ..errors import ConfigError

__all__ = ["add_meta_data", "MODEL_TYPES"]

MODEL_TYPES = {"conv_emformer": 1, "zipformer": 2, "lstm": 3, "zipformer2": 4}

Value = Union[int, float, Sequence[int]]

PathLike = Union[str, "os.PathLike[str]"]


def _resolve(meta: Mapping[Union[int, str], Value]) -> Dict[int, Value]:
    """Accept raw ids ({0: 3, 1: 12, ...}) or names ({"model_type": "lstm", ...})."""
    out: Dict[int, Value] = {}
    names = {}
    if "model_type" in meta:
        t = meta["model_type"]
        if t not in MODEL_TYPES:
            raise ConfigError(f"model_type must be one of {sorted(MODEL_TYPES)}, got {t!r}")
        out[0] = MODEL_TYPES[t]
        names = dict(_core.meta_key_ids(t))
    for key, value in meta.items():
        if key == "model_type":
            continue
        if isinstance(key, str):
            if key not in names:
                hint = f"; known: {sorted(names)}" if names else " (give model_type first)"
                raise ConfigError(f"unknown metadata name {key!r}{hint}")
            key = names[key]
        out[int(key)] = value
    return out


def add_meta_data(param_path: PathLike, meta: Mapping[Union[int, str], Value], out: Optional[PathLike] = None) -> str:
    """Write ``meta`` as the encoder's SherpaMetaData layer; returns the written path.

    Any SherpaMetaData layer already there is replaced, not duplicated. The values are
    checked for the architecture (e.g. a Zipformer needs model_version >= 1 and five
    arrays of equal length) and the result must load; otherwise nothing is written.
    ``out`` defaults to rewriting ``param_path`` in place.

    Example::

        add_meta_data("encoder_jit_trace-pnnx.ncnn.param",
                      {"model_type": "lstm", "num_encoder_layers": 12, "encoder_dim": 512,
                       "rnn_hidden_size": 1024})
    """
    ints, arrays, floats = {}, {}, {}
    for key, value in _resolve(meta).items():
        try:
            if 16 <= key <= 23:
                # one stack gives one number: an array of one
                arrays[key] = [int(value)] if isinstance(value, (int, float)) else [int(v) for v in value]
            elif 24 <= key <= 29:
                floats[key] = float(value)  # type: ignore[arg-type]
            else:
                if isinstance(value, float) and not value.is_integer():
                    raise ConfigError(f"metadata key {key} takes an int, got {value!r}")
                ints[key] = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ConfigError(f"metadata key {key}: {value!r} is not a number or a list of numbers") from None
    target = os.fspath(out if out is not None else param_path)
    _core.write_meta_data(os.fspath(param_path), ints, arrays, floats, target)
    return target
