"""Decoder and joiner in the form sherpa-ncnn's transducers have (what ncasr's runtime runs):
the decoder takes int token ids and stops before its projection; the joiner projects both
inputs itself."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ._transducer import Decoder, Joiner


class NcnnDecoder(nn.Module):
    """Embedding (one extra all-zero row, id ``vocab_size``, standing for icefall's -1 "no token
    yet": ncnn's Embed cannot take -1), grouped conv over the context, ReLU."""

    def __init__(self, decoder: Decoder) -> None:
        super().__init__()
        weight = decoder.embedding.weight.detach()
        self.embedding = nn.Embedding(weight.shape[0] + 1, weight.shape[1])
        with torch.no_grad():
            self.embedding.weight.copy_(torch.cat([weight, torch.zeros(1, weight.shape[1])]))
        self.conv = decoder.conv

    def forward(self, y: Tensor) -> Tensor:
        """y (1, context) int64 -> (1, 1, decoder_dim), the graph icefall's ncnn decoders have."""
        return torch.relu(self.conv(self.embedding(y).permute(0, 2, 1)).permute(0, 2, 1))


class NcnnJoiner(nn.Module):
    def __init__(self, joiner: Joiner) -> None:
        super().__init__()
        self.encoder_proj = joiner.encoder_proj
        self.decoder_proj = joiner.decoder_proj
        self.output_linear = joiner.output_linear

    def forward(self, encoder_out: Tensor, decoder_out: Tensor) -> Tensor:
        """Unprojected encoder frame (1, encoder_out_dim) and decoder output (1, decoder_dim)."""
        return self.output_linear(torch.tanh(self.encoder_proj(encoder_out) + self.decoder_proj(decoder_out)))
