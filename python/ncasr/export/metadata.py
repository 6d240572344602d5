"""After pnnx: write the SherpaMetaData layer into an encoder .param (line 3, with the
layer count on line 2 fixed), checked and atomic. The step icefall's docs do by hand."""

from __future__ import annotations

import os
from typing import Dict, Mapping, Optional, Sequence, Union

from .. import _core
from ..errors import ConfigError

__all__ = ["add_meta_data", "MODEL_TYPES"]

MODEL_TYPES = {"conv_emformer": 1, "zipformer": 2, "lstm": 3, "zipformer2": 4}

# Metadata names of the model types the C++ core does not know yet, all required. The core
# checks the other types and loads the result; these are checked here and written in Python.
# Zipformer2 (docs/zipformer2.md): ints 0-15, arrays 16-23 (one value per encoder stack),
# floats 24-29, as SherpaMetaData stores them.
PYTHON_ONLY_KEYS: Dict[str, Dict[str, int]] = {
    "zipformer2": {
        "decode_chunk_len": 1,  # feature frames consumed per call
        "chunk_size": 2,  # encoder frames (50 Hz) per call
        "pad_length": 3,  # extra feature frames per call: T = decode_chunk_len + pad_length
        "left_context_frames": 4,  # key mask length is left_context_frames + chunk_size
        "feature_dim": 5,
        "encoder_out_dim": 6,  # width of the encoder output (before the joiner's projection)
        "embed_channels": 7,  # embed_states is (embed_channels, embed_left_pad, embed_freq)
        "embed_left_pad": 8,
        "embed_freq": 9,
        "model_version": 15,
        "num_encoder_layers": 16,
        "encoder_dims": 17,
        "num_heads": 18,
        "downsampling_factors": 19,
        "cnn_module_kernels": 20,
        "query_head_dims": 21,
        "value_head_dims": 22,
        "left_context_len": 23,  # left_context_frames // downsampling factor
        "mask_value": 24,  # additive key mask value for cache slots not yet filled
    }
}

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
        names = dict(PYTHON_ONLY_KEYS[t]) if t in PYTHON_ONLY_KEYS else dict(_core.meta_key_ids(t))
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
    python_only = {MODEL_TYPES[t]: t for t in PYTHON_ONLY_KEYS}
    if ints.get(0) in python_only:
        _write_checked(os.fspath(param_path), python_only[ints[0]], ints, arrays, floats, target)
    else:
        _core.write_meta_data(os.fspath(param_path), ints, arrays, floats, target)
    return target


def _write_checked(param_path: str, model_type: str, ints: Dict[int, int], arrays: Dict[int, Sequence[int]],
                   floats: Dict[int, float], target: str) -> None:  # fmt: skip
    """The Python writer for PYTHON_ONLY_KEYS types: every key present, arrays of one length."""
    keys = PYTHON_ONLY_KEYS[model_type]
    given = set(ints) | set(arrays) | set(floats)
    missing = sorted(name for name, key in keys.items() if key not in given)
    if missing:
        raise ConfigError(f"metadata for {model_type} lacks {missing}")
    lengths = {len(v) for v in arrays.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ConfigError(f"metadata arrays for {model_type} must have one value per encoder stack")
    fields = [f"{k}={v}" for k, v in sorted(ints.items())]
    fields += [f"{-23300 - k}={len(v)}," + ",".join(str(int(x)) for x in v) for k, v in sorted(arrays.items())]
    fields += [f"{k}={v:e}" for k, v in sorted(floats.items())]  # an 'e' marks a float for ncnn
    with open(param_path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if len(lines) < 3 or lines[0].strip() != "7767517":
        raise ConfigError(f"{param_path} is not an ncnn .param file")
    layers = [line for line in lines[2:] if line.strip() and not line.startswith("SherpaMetaData")]
    n_blobs = lines[1].split()[1]
    meta = f"{'SherpaMetaData':<24} {'sherpa_meta_data1':<24} 0 0 " + " ".join(fields)
    text = "\n".join([lines[0], f"{len(layers) + 1} {n_blobs}", meta] + layers) + "\n"
    tmp = os.path.join(os.path.dirname(os.path.abspath(target)), ".tmp-" + os.path.basename(target))
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, target)
