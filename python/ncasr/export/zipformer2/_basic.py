"""Small building blocks: Swoosh activations, BiasNorm, bypass, feed-forward.

Swoosh is written as softplus (one ncnn Softplus layer) instead of icefall's logaddexp, whose
traced form has a where/inf test."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def swoosh_l(x: Tensor) -> Tensor:
    return F.softplus(x - 4.0) - 0.08 * x - 0.035


def swoosh_r(x: Tensor) -> Tensor:
    return F.softplus(x - 1.0) - 0.08 * x - 0.313261687


class BiasNorm(nn.Module):
    """x / rms(x - bias) * exp(log_scale) over the last axis."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.log_scale = nn.Parameter(torch.tensor(0.0))
        self.register_buffer("scale", torch.tensor(1.0), persistent=False)

    def refresh(self) -> None:
        # exp(log_scale) once at load time, so the graph holds a constant, not an Exp
        self.scale = self.log_scale.detach().exp()

    def forward(self, x: Tensor) -> Tensor:
        return x * (torch.mean((x - self.bias) ** 2, dim=-1, keepdim=True) ** -0.5 * self.scale)


class Bypass(nn.Module):
    """Learned per-channel mix of a module's input and output."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bypass_scale = nn.Parameter(torch.full((channels,), 0.5))

    def forward(self, src_orig: Tensor, src: Tensor) -> Tensor:
        return src_orig + (src - src_orig) * self.bypass_scale


class FeedForward(nn.Module):
    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.in_proj = nn.Linear(channels, hidden)
        self.out_proj = nn.Linear(hidden, channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.out_proj(swoosh_l(self.in_proj(x)))
