"""The convolutional front end (icefall's Conv2dSubsampling with one ConvNeXt block), streaming:
45 feature frames in, 16 frames at 50 Hz out, 3 frames of ConvNeXt left context carried over."""

from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor, nn

from ._basic import BiasNorm, swoosh_l, swoosh_r

# ConvNeXt kernel is 7x7: 3 frames of left context and 3 of lookahead
CONVNEXT_PAD = 3


class ConvNeXt(nn.Module):
    def __init__(self, channels: int, hidden_ratio: int = 3) -> None:
        super().__init__()
        self.depthwise_conv = nn.Conv2d(channels, channels, 7, groups=channels, padding=(0, CONVNEXT_PAD))
        self.pointwise_conv1 = nn.Conv2d(channels, channels * hidden_ratio, 1)
        self.pointwise_conv2 = nn.Conv2d(channels * hidden_ratio, channels, 1)

    def forward(self, x: Tensor, cache: Tensor) -> Tuple[Tensor, Tensor]:
        """x (1, C, T + 3, F), cache (1, C, 3, F) -> (1, C, T, F), new cache."""
        bypass = x[:, :, :-CONVNEXT_PAD]
        x = torch.cat([cache, x], dim=2)
        # the last 3 frames before the lookahead
        new_cache = x[:, :, -2 * CONVNEXT_PAD : -CONVNEXT_PAD]
        x = self.pointwise_conv2(swoosh_l(self.pointwise_conv1(self.depthwise_conv(x))))
        return bypass + x, new_cache


class FrontEnd(nn.Module):
    """Parameter names follow icefall's ``encoder_embed`` (``conv.0``, ``conv.4``, ``conv.7``: the
    indices of its Sequential, whose other entries have no parameters)."""

    def __init__(self, feature_dim: int, out_dim: int, channels: Tuple[int, int, int] = (8, 32, 128)) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.conv = nn.ModuleDict(
            {
                "0": nn.Conv2d(1, c1, 3, padding=(0, 1)),
                "4": nn.Conv2d(c1, c2, 3, stride=2),
                "7": nn.Conv2d(c2, c3, 3, stride=(1, 2)),
            }
        )
        self.convnext = ConvNeXt(c3)
        self.out_width = ((feature_dim - 1) // 2 - 1) // 2
        self.channels = c3
        self.out = nn.Linear(self.out_width * c3, out_dim)
        self.out_norm = BiasNorm(out_dim)

    def forward(self, x: Tensor, cache: Tensor) -> Tuple[Tensor, Tensor]:
        """x (T_in, F) features, cache (C, 3, F') -> (T, out_dim), new cache."""
        x = x.unsqueeze(0).unsqueeze(0)
        x = swoosh_r(self.conv["0"](x))
        x = swoosh_r(self.conv["4"](x))
        x = swoosh_r(self.conv["7"](x))
        # reshape, not unsqueeze: pnnx then sees the same batch axis as on the conv output
        x, new_cache = self.convnext(x, cache.reshape(1, self.channels, CONVNEXT_PAD, self.out_width))
        # (1, C, T, F') -> (T, C * F'): channel-major rows as icefall's Linear expects
        x = x.transpose(1, 2).reshape(-1, self.channels * self.out_width)
        x = self.out_norm(self.out(x))
        return x, new_cache.reshape(self.channels, CONVNEXT_PAD, self.out_width)
