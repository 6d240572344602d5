"""The convolution module with icefall's chunk-causal depthwise conv, for a fixed chunk."""

from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor, nn

from ._basic import swoosh_r


class ChunkCausalDepthwiseConv1d(nn.Module):
    """A causal half-width conv over cache + chunk, plus a full-width conv within the chunk scaled
    by a learned per-position factor (a constant for a fixed chunk size, made at load time)."""

    def __init__(self, channels: int, kernel_size: int, chunk: int) -> None:
        super().__init__()
        self.kernel_size, self.chunk = kernel_size, chunk
        self.causal_conv = nn.Conv1d(channels, channels, (kernel_size + 1) // 2, groups=channels)
        self.chunkwise_conv = nn.Conv1d(channels, channels, kernel_size, groups=channels, padding=kernel_size // 2)
        self.chunkwise_conv_scale = nn.Parameter(torch.zeros(2, channels, kernel_size))
        self.register_buffer("chunk_scale", torch.ones(channels, chunk), persistent=False)

    def refresh(self) -> None:
        left, right = self.chunkwise_conv_scale.detach()
        t, k = self.chunk, self.kernel_size
        if t < k:
            left, right = left[:, :t], right[:, k - t :]
        else:
            pad = torch.zeros(left.shape[0], t - k)
            left, right = torch.cat([left, pad], dim=1), torch.cat([pad, right], dim=1)
        self.chunk_scale = 1.0 + left + right

    def forward(self, x: Tensor, cache: Tensor) -> Tuple[Tensor, Tensor]:
        """x (1, C, T), cache (1, C, K // 2) -> (1, C, T), new cache."""
        full = torch.cat([cache, x], dim=2)
        new_cache = full[:, :, self.chunk :]
        return self.chunkwise_conv(x) * self.chunk_scale + self.causal_conv(full), new_cache


class ConvolutionModule(nn.Module):
    def __init__(self, channels: int, kernel_size: int, chunk: int) -> None:
        super().__init__()
        self.channels, self.kernel_size, self.chunk = channels, kernel_size, chunk
        self.in_proj = nn.Linear(channels, 2 * channels)
        self.depthwise_conv = ChunkCausalDepthwiseConv1d(channels, kernel_size, chunk)
        self.out_proj = nn.Linear(channels, channels)

    def forward(self, x: Tensor, cache: Tensor) -> Tuple[Tensor, Tensor]:
        """x (T, C), cache (C, K // 2): our layout drops icefall's batch axis."""
        c = self.channels
        x = self.in_proj(x)
        x = x[:, :c] * torch.sigmoid(x[:, c:])
        # reshapes, not (un)squeeze: pnnx then sees one batch axis on both conv inputs
        x = x.transpose(0, 1).reshape(1, c, self.chunk)
        x, new_cache = self.depthwise_conv(x, cache.reshape(1, c, self.kernel_size // 2))
        x = x.reshape(c, self.chunk).transpose(0, 1)
        return self.out_proj(swoosh_r(x)), new_cache.reshape(c, self.kernel_size // 2)
