"""The whole transducer with icefall's module names, and the traceable streaming encoder."""

from __future__ import annotations

from typing import List, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ._encoder import Zipformer2Encoder
from ._frontend import FrontEnd
from ._tracing import trace
from ._transducer import Decoder, Joiner
from .config import Zipformer2Config
from .states import key_mask, state_names, state_shapes

__all__ = ["Zipformer2Transducer", "StreamingEncoder", "DecoderWithProjection"]


class Zipformer2Transducer(nn.Module):
    """encoder_embed, encoder, decoder and joiner, named as in icefall's AsrModel so its
    state_dict loads by name (see ``load_zipformer2``).

    Example::

        model = Zipformer2Transducer(Zipformer2Config())
        model.load_state_dict(weights, strict=False)
        model.refresh()
    """

    def __init__(self, cfg: Zipformer2Config) -> None:
        """Build with untrained weights, their derived constants computed (``refresh()``).

        Example::

            Zipformer2Transducer(Zipformer2Config())
        """
        super().__init__()
        self.cfg = cfg
        self.encoder_embed = FrontEnd(cfg.feature_dim, cfg.encoder_dim[0])
        self.encoder = Zipformer2Encoder(cfg)
        self.decoder = Decoder(cfg.vocab_size, cfg.decoder_dim, cfg.context_size)
        self.joiner = Joiner(max(cfg.encoder_dim), cfg.decoder_dim, cfg.joiner_dim, cfg.vocab_size)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the constants derived from weights (positional projections, chunk scales,
        downsampling weights, norm scales); call after loading weights.

        Example::

            model.refresh()
        """
        for module in self.modules():
            if module is not self and hasattr(module, "refresh"):
                module.refresh()

    def streaming_encoder(self, project: bool = True) -> "StreamingEncoder":
        """The streaming encoder: front end and encoder, then joiner.encoder_proj when
        ``project`` (sherpa-onnx's encoder; ncnn's leaves the projection to the joiner).

        Example::

            enc = model.streaming_encoder()
        """
        return StreamingEncoder(self, project)

    def decoder_with_projection(self) -> "DecoderWithProjection":
        """The decoder as exported: decoder then joiner.decoder_proj.

        Example::

            dec = model.decoder_with_projection()
        """
        return DecoderWithProjection(self)


class StreamingEncoder(nn.Module):
    """One streaming call: ``forward(x, mask, *states) -> (encoder_out, *new_states)``.

    ``x`` is (frames_per_call, feature_dim) fbank, ``mask`` is ``key_mask(cfg, processed)``,
    states are in ``state_names(cfg)`` order and ``state_shapes(cfg)`` layout; ``encoder_out``
    is (chunk_size // 2, joiner_dim), or (chunk_size // 2, max(encoder_dim)) unprojected.

    Example::

        enc = model.streaming_encoder()
        states = enc.init_states()
        out, *states = enc(x, torch.from_numpy(key_mask(cfg, 0)), *states)
    """

    def __init__(self, model: Zipformer2Transducer, project: bool = True) -> None:
        """Share the modules of ``model``.

        Example::

            StreamingEncoder(model)
        """
        super().__init__()
        self.cfg = model.cfg
        self.encoder_embed = model.encoder_embed
        self.encoder = model.encoder
        self.encoder_proj = model.joiner.encoder_proj if project else nn.Identity()
        self.out_dim = model.cfg.joiner_dim if project else max(model.cfg.encoder_dim)

    def forward(self, x: Tensor, mask: Tensor, *states: Tensor) -> Tuple[Tensor, ...]:
        """Encode one chunk.

        Example::

            out, *new_states = enc(x, mask, *states)
        """
        x, embed_states = self.encoder_embed(x, states[-1])
        x, new_states = self.encoder(x, mask, list(states[:-1]))
        return (self.encoder_proj(x), *new_states, embed_states)

    def init_states(self) -> List[Tensor]:
        """Zero states for the first call.

        Example::

            states = enc.init_states()
        """
        shapes = state_shapes(self.cfg)
        return [torch.zeros(shapes[name]) for name in state_names(self.cfg)]

    def example_inputs(self) -> Tuple[Tensor, ...]:
        """Inputs of the first call on silence-like zeros, for tracing.

        Example::

            torch.jit.trace(enc, enc.example_inputs())
        """
        x = torch.zeros(self.cfg.frames_per_call, self.cfg.feature_dim)
        return (x, torch.from_numpy(key_mask(self.cfg, 0)), *self.init_states())

    def trace(self) -> torch.jit.ScriptModule:
        """torch.jit.trace on ``example_inputs()``; a TracerWarning (Python that depends on a
        tensor's shape or value) is an error, torch's deprecation notice for trace is not shown.

        Example::

            graph = enc.trace().inlined_graph
        """
        return trace(self, self.example_inputs())

    def run(self, features: np.ndarray) -> np.ndarray:
        """Encode whole utterance features (frames, feature_dim) chunk by chunk, as sherpa-onnx
        does (calls of frames_per_call frames, advancing decode_chunk_len); returns all frames.

        Example::

            encoder_out = enc.run(features)  # (frames, out_dim)
        """
        cfg = self.cfg
        states = self.init_states()
        outs = []
        with torch.no_grad():
            for c in range((len(features) - cfg.frames_per_call) // cfg.decode_chunk_len + 1):
                x = torch.from_numpy(np.ascontiguousarray(features[c * cfg.decode_chunk_len :][: cfg.frames_per_call]))
                mask = torch.from_numpy(key_mask(cfg, c * cfg.chunk_size))
                out, *states = self(x, mask, *states)
                outs.append(out.numpy())
        return np.concatenate(outs) if outs else np.zeros((0, self.out_dim), np.float32)


class DecoderWithProjection(nn.Module):
    """``forward(y) -> decoder_out``: y (N, context_size) int64 to (N, joiner_dim).

    Example::

        dec = model.decoder_with_projection()
        dec(torch.tensor([[0, 0]]))
    """

    def __init__(self, model: Zipformer2Transducer) -> None:
        """Share the modules of ``model``.

        Example::

            DecoderWithProjection(model)
        """
        super().__init__()
        self.decoder = model.decoder
        self.decoder_proj = model.joiner.decoder_proj

    def forward(self, y: Tensor) -> Tensor:
        """Project the decoder output of contexts ``y``.

        Example::

            dec(torch.tensor([[-1, 0]]))
        """
        return self.decoder_proj(self.decoder(y))
