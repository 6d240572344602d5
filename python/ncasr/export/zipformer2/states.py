"""Streaming state names, shapes and layouts of the exported Zipformer2 encoder.

Our encoder keeps batch 1 without a batch axis; icefall's (and sherpa-onnx's) layout has one.
Converting is a reshape, so one set of numbers serves both."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

import numpy as np

from .config import Zipformer2Config

__all__ = ["state_names", "state_shapes", "icefall_state_shapes", "to_icefall_layout", "from_icefall_layout",
           "key_mask", "MASK_VALUE"]  # fmt: skip

# additive key mask for cache slots not yet filled; exp(-1000) is exactly 0 in float32
MASK_VALUE = -1000.0

_KINDS = ("cached_key", "cached_nonlin_attn", "cached_val1", "cached_val2", "cached_conv1", "cached_conv2")


def _layer_stacks(cfg: Zipformer2Config) -> List[int]:
    return [s for s in range(cfg.num_stacks) for _ in range(cfg.num_encoder_layers[s])]


def state_names(cfg: Zipformer2Config) -> List[str]:
    """Input names of the states, in the encoder's argument order (sherpa-onnx's names, without
    its ``processed_lens``, which the key mask replaces).

    Example::

        state_names(cfg)[:2]  # ['cached_key_0', 'cached_nonlin_attn_0']
    """
    names = [f"{kind}_{i}" for i in range(len(_layer_stacks(cfg))) for kind in _KINDS]
    return names + ["embed_states"]


def state_shapes(cfg: Zipformer2Config) -> Dict[str, Tuple[int, ...]]:
    """Shapes in our layout (no batch axis).

    Example::

        state_shapes(cfg)["cached_conv1_0"]  # (channels, kernel // 2)
    """
    shapes: Dict[str, Tuple[int, ...]] = {}
    for i, s in enumerate(_layer_stacks(cfg)):
        left, dim, heads = cfg.left_context(s), cfg.encoder_dim[s], cfg.num_heads[s]
        shapes[f"cached_key_{i}"] = (left, heads * cfg.query_head_dim[s])
        shapes[f"cached_nonlin_attn_{i}"] = (left, 3 * dim // 4)
        shapes[f"cached_val1_{i}"] = (left, heads * cfg.value_head_dim[s])
        shapes[f"cached_val2_{i}"] = (left, heads * cfg.value_head_dim[s])
        shapes[f"cached_conv1_{i}"] = (dim, cfg.cnn_module_kernel[s] // 2)
        shapes[f"cached_conv2_{i}"] = (dim, cfg.cnn_module_kernel[s] // 2)
    shapes["embed_states"] = (128, 3, ((cfg.feature_dim - 1) // 2 - 1) // 2)
    return shapes


def icefall_state_shapes(cfg: Zipformer2Config) -> Dict[str, Tuple[int, ...]]:
    """Shapes in icefall's layout with batch 1 (what sherpa-onnx's ONNX encoder takes).

    Example::

        icefall_state_shapes(cfg)["cached_key_0"]  # (left, 1, heads * query_head_dim)
    """
    out = {}
    for name, shape in state_shapes(cfg).items():
        if name.startswith(("cached_key", "cached_val")):
            out[name] = (shape[0], 1, shape[1])
        elif name.startswith("cached_nonlin_attn"):
            out[name] = (1, 1) + shape
        else:
            out[name] = (1,) + shape
    return out


def to_icefall_layout(cfg: Zipformer2Config, states: Sequence[np.ndarray]) -> Dict[str, np.ndarray]:
    """Our states (in ``state_names`` order) as icefall-layout arrays by name.

    Example::

        to_icefall_layout(cfg, states)["cached_key_0"].shape  # (left, 1, key_dim)
    """
    shapes = icefall_state_shapes(cfg)
    return {name: np.asarray(s).reshape(shapes[name]) for name, s in zip(state_names(cfg), states)}


def from_icefall_layout(cfg: Zipformer2Config, states: Dict[str, np.ndarray]) -> List[np.ndarray]:
    """icefall-layout arrays by name (a ``new_`` prefix is accepted) to our list of states.

    Example::

        from_icefall_layout(cfg, np.load("chunk_00.npz"))
    """
    shapes = state_shapes(cfg)
    out = []
    for name in state_names(cfg):
        value = states[name] if name in states else states[f"new_{name}"]
        out.append(np.ascontiguousarray(np.asarray(value, dtype=np.float32).reshape(shapes[name])))
    return out


def key_mask(cfg: Zipformer2Config, processed_frames: int) -> np.ndarray:
    """The additive key mask for a call after ``processed_frames`` frames (50 Hz) were encoded:
    (1, left_context_frames + chunk_size), MASK_VALUE on the cache slots not yet filled.

    Example::

        key_mask(cfg, 0)  # the first call: every cache slot masked
    """
    mask = np.zeros((1, cfg.left_context_frames + cfg.chunk_size), dtype=np.float32)
    mask[0, : max(0, cfg.left_context_frames - processed_frames)] = MASK_VALUE
    return mask
