"""The numbers that shape a streaming Zipformer2 transducer, named as icefall's train.py names
its command-line arguments, plus the fixed chunk and left context of one export."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Dict, Mapping, Tuple, Union

__all__ = ["Zipformer2Config"]


def _ints(value: Any) -> Tuple[int, ...]:
    if isinstance(value, str):
        return tuple(int(v) for v in value.split(","))
    if isinstance(value, int):
        return (value,)
    return tuple(int(v) for v in value)


@dataclasses.dataclass(frozen=True)
class Zipformer2Config:
    """Architecture and streaming settings; per-stack values are tuples of one entry per stack.

    Example::

        cfg = Zipformer2Config.from_icefall_args({"encoder_dim": "64,96,128,128,128,96", ...})
        cfg.left_context(3)  # left context frames at stack 3's frame rate
    """

    num_encoder_layers: Tuple[int, ...] = (2, 2, 3, 4, 3, 2)
    downsampling_factor: Tuple[int, ...] = (1, 2, 4, 8, 4, 2)
    feedforward_dim: Tuple[int, ...] = (512, 768, 1024, 1536, 1024, 768)
    num_heads: Tuple[int, ...] = (4, 4, 4, 8, 4, 4)
    encoder_dim: Tuple[int, ...] = (192, 256, 384, 512, 384, 256)
    query_head_dim: Tuple[int, ...] = (32,)
    value_head_dim: Tuple[int, ...] = (12,)
    pos_head_dim: Tuple[int, ...] = (4,)
    pos_dim: int = 48
    cnn_module_kernel: Tuple[int, ...] = (31, 31, 15, 15, 15, 31)
    decoder_dim: int = 512
    joiner_dim: int = 512
    vocab_size: int = 500
    context_size: int = 2
    feature_dim: int = 80
    chunk_size: int = 16
    left_context_frames: int = 128

    def __post_init__(self) -> None:
        object.__setattr__(self, "downsampling_factor", _ints(self.downsampling_factor))
        n = len(self.downsampling_factor)
        for field in ("num_encoder_layers", "feedforward_dim", "num_heads", "encoder_dim", "query_head_dim",
                      "value_head_dim", "pos_head_dim", "cnn_module_kernel"):  # fmt: skip
            value = _ints(getattr(self, field))
            if len(value) == 1:
                value = value * n
            if len(value) != n:
                raise ValueError(f"{field} has {len(value)} entries for {n} stacks")
            object.__setattr__(self, field, value)
        for ds in self.downsampling_factor:
            if self.chunk_size % ds or self.left_context_frames % ds:
                raise ValueError(f"chunk size and left context must be multiples of every downsampling factor ({ds})")

    @classmethod
    def from_icefall_args(cls, args: Mapping[str, Any]) -> "Zipformer2Config":
        """Build from icefall's train.py arguments (strings like ``"2,2,3,4,3,2"`` or numbers);
        names this model does not use (``causal``, ``encoder_unmasked_dim``) are ignored.

        Example::

            Zipformer2Config.from_icefall_args({"num_encoder_layers": "1,1,1,1,1,1", "chunk_size": "16"})
        """
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs: Dict[str, Any] = {}
        for key, value in args.items():
            key = key.replace("-", "_")
            if key not in names:
                continue
            if key in ("chunk_size", "left_context_frames"):
                value = _ints(value)[0]  # icefall takes a list to sample from in training
            elif isinstance(value, str) and "," not in value:
                value = int(value)
            kwargs[key] = value
        return cls(**kwargs)

    @classmethod
    def from_json(cls, path: Union[str, Path]) -> "Zipformer2Config":
        """Read a JSON object of icefall arguments; a ``model_args`` member is used when present
        (the layout of the golden fixture's config.json), with top-level vocab and context sizes.

        Example::

            cfg = Zipformer2Config.from_json("tests/data/zipformer2/config.json")
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        args = dict(data.get("model_args", data))
        for key in ("vocab_size", "context_size", "feature_dim"):
            if key in data:
                args.setdefault(key, data[key])
        return cls.from_icefall_args(args)

    @property
    def num_stacks(self) -> int:
        """Number of encoder stacks.

        Example::

            Zipformer2Config().num_stacks  # 6
        """
        return len(self.downsampling_factor)

    def left_context(self, stack: int) -> int:
        """Left context frames kept in the caches of ``stack``, at that stack's frame rate.

        Example::

            Zipformer2Config().left_context(3)  # 128 // 8 == 16
        """
        return self.left_context_frames // self.downsampling_factor[stack]

    def stack_chunk(self, stack: int) -> int:
        """Frames of one chunk at the frame rate of ``stack``.

        Example::

            Zipformer2Config().stack_chunk(3)  # 16 // 8 == 2
        """
        return self.chunk_size // self.downsampling_factor[stack]

    @property
    def decode_chunk_len(self) -> int:
        """Feature frames (10 ms) consumed per encoder call.

        Example::

            Zipformer2Config().decode_chunk_len  # 32
        """
        return self.chunk_size * 2

    @property
    def pad_length(self) -> int:
        """Extra feature frames each call sees beyond ``decode_chunk_len``: 7 for the front end's
        convolutions and 2 * 3 for the ConvNeXt lookahead.

        Example::

            Zipformer2Config().pad_length  # 13
        """
        return 7 + 2 * 3

    @property
    def frames_per_call(self) -> int:
        """Feature frames per encoder call (``T`` in sherpa-onnx's metadata).

        Example::

            Zipformer2Config().frames_per_call  # 45
        """
        return self.decode_chunk_len + self.pad_length
