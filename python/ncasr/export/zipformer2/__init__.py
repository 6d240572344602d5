"""An export-ready streaming Zipformer2 transducer (icefall's current streaming model) in
PyTorch, written for ncnn: batch 1, a fixed chunk and left context, no gather, no where, masks
as an additive input. Needs the ``export`` extra (torch)."""

from __future__ import annotations

from .config import Zipformer2Config
from .model import DecoderWithProjection, StreamingEncoder, Zipformer2Transducer
from .state_dict import fit_config, load_zipformer2, read_state_dict
from .states import key_mask, state_names, state_shapes

__all__ = ["Zipformer2Config", "Zipformer2Transducer", "StreamingEncoder", "DecoderWithProjection",
           "load_zipformer2", "read_state_dict", "fit_config", "key_mask", "state_names", "state_shapes"]  # fmt: skip
