"""The stateless decoder (embedding + grouped conv over the last tokens) and the joiner."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Decoder(nn.Module):
    def __init__(self, vocab_size: int, dim: int, context_size: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim)
        self.conv = nn.Conv1d(dim, dim, context_size, groups=dim // 4, bias=False)

    def forward(self, y: Tensor) -> Tensor:
        """y (N, context) int64 -> (N, dim); a -1 token (no token yet) embeds as zeros."""
        emb = self.embedding(y.clamp(min=0)) * (y >= 0).unsqueeze(-1).to(torch.float32)
        return torch.relu(self.conv(emb.permute(0, 2, 1)).squeeze(-1))


class Joiner(nn.Module):
    def __init__(self, encoder_dim: int, decoder_dim: int, joiner_dim: int, vocab_size: int) -> None:
        super().__init__()
        self.encoder_proj = nn.Linear(encoder_dim, joiner_dim)
        self.decoder_proj = nn.Linear(decoder_dim, joiner_dim)
        self.output_linear = nn.Linear(joiner_dim, vocab_size)

    def forward(self, encoder_out: Tensor, decoder_out: Tensor) -> Tensor:
        """Both already projected to joiner_dim (as sherpa's encoder and decoder outputs are)."""
        return self.output_linear(torch.tanh(encoder_out + decoder_out))
