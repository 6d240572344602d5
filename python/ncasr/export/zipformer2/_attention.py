"""Self-attention of one layer for a fixed chunk (T frames) and left context (L frames).

The relative positional part is computed once at load time (the encodings depend only on T and
L), and its relative-to-absolute shift is a reshape/slice, not icefall's traced gather."""

from __future__ import annotations

import math
from typing import Tuple

import torch
from torch import Tensor, nn


def compact_rel_pos_emb(offsets: Tensor, dim: int) -> Tensor:
    """Positional vectors of ``offsets`` (float32, key minus query time): log-compressed, mapped
    through atan onto a finite interval, then Fourier features; the last column is a constant 1."""
    x = offsets.to(torch.float32).unsqueeze(1)
    freqs = 1 + torch.arange(dim // 2)
    c = dim**0.5
    x_compressed = c * x.sign() * ((x.abs() + c).log() - math.log(c))
    x_atan = (x_compressed / (dim / (2.0 * math.pi))).atan()
    pe = torch.zeros(x.shape[0], dim)
    pe[:, 0::2] = (x_atan * freqs).cos()
    pe[:, 1::2] = (x_atan * freqs).sin()
    pe[:, -1] = 1.0
    return pe


def rel_to_abs(scores: Tensor, h: int, t: int, n: int, k: int) -> Tensor:
    """(H, T, n) scores indexed by relative offset, n = L + 2T - 1, to (H, T, K) indexed by key,
    K = L + T: out[h, i, j] = scores[h, i, T - 1 - i + j]. Row i of the flattened scores starts
    at i * n; reading rows of length n - 1 from offset T - 1 lands on T - 1 - i + i * n."""
    if t == 1:  # one query: offsets are already key positions (n == k)
        return scores
    flat = scores.reshape(h, t * n)[:, t - 1 : t - 1 + t * (n - 1)]
    return flat.reshape(h, t, n - 1)[:, :, :k]


class RelPositionAttentionWeights(nn.Module):
    """Attention weights (H, T, L + T) from queries, keys (with cached keys) and positions."""

    def __init__(self, dim: int, pos_dim: int, heads: int, query_head_dim: int, pos_head_dim: int,
                 chunk: int, left: int) -> None:  # fmt: skip
        super().__init__()
        self.heads, self.qd, self.pd = heads, query_head_dim, pos_head_dim
        self.chunk, self.left = chunk, left
        self.pos_dim = pos_dim
        self.in_proj = nn.Linear(dim, (2 * query_head_dim + pos_head_dim) * heads)
        self.linear_pos = nn.Linear(pos_dim, heads * pos_head_dim, bias=False)
        n = left + 2 * chunk - 1
        self.register_buffer("pos_proj", torch.zeros(heads, pos_head_dim, n), persistent=False)

    def refresh(self) -> None:
        t, n = self.chunk, self.left + 2 * self.chunk - 1
        offsets = torch.arange(-(t + self.left - 1), t)
        with torch.no_grad():
            pos = self.linear_pos(compact_rel_pos_emb(offsets, self.pos_dim))  # (n, H * pd)
            self.pos_proj = pos.reshape(n, self.heads, self.pd).permute(1, 2, 0).contiguous()

    def forward(self, x: Tensor, cached_key: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        """x (T, C), cached_key (L, H * qd), mask (1, L + T) additive -> weights, new cached_key."""
        t, h, qd, pd = self.chunk, self.heads, self.qd, self.pd
        x = self.in_proj(x)
        q = x[:, : h * qd]
        k = torch.cat([cached_key, x[:, h * qd : 2 * h * qd]], dim=0)
        p = x[:, 2 * h * qd :]
        new_key = k[t:]
        kl = self.left + t
        q = q.reshape(t, h, qd).permute(1, 0, 2)  # (H, T, qd)
        k = k.reshape(kl, h, qd).permute(1, 2, 0)  # (H, qd, K)
        p = p.reshape(t, h, pd).permute(1, 0, 2)  # (H, T, pd)
        scores = torch.matmul(q, k) + rel_to_abs(torch.matmul(p, self.pos_proj), h, t, kl + t - 1, kl)
        return torch.softmax(scores + mask, dim=-1), new_key


class SelfAttention(nn.Module):
    """Values (with cached values) weighted by the shared attention weights."""

    def __init__(self, dim: int, heads: int, value_head_dim: int, chunk: int) -> None:
        super().__init__()
        self.heads, self.chunk, self.vd = heads, chunk, value_head_dim
        self.in_proj = nn.Linear(dim, heads * value_head_dim)
        self.out_proj = nn.Linear(heads * value_head_dim, dim)

    def forward(self, x: Tensor, weights: Tensor, cached_val: Tensor) -> Tuple[Tensor, Tensor]:
        t, h = self.chunk, self.heads
        v = torch.cat([cached_val, self.in_proj(x)], dim=0)
        new_val = v[t:]
        v = v.reshape(-1, h, self.vd).permute(1, 0, 2)  # (H, K, vd)
        out = torch.matmul(weights, v).permute(1, 0, 2).reshape(t, h * self.vd)
        return self.out_proj(out), new_val


class NonlinAttention(nn.Module):
    """x * tanh(s), mixed over time with head 0's weights, gated by y (icefall NonlinAttention)."""

    def __init__(self, dim: int, hidden: int, chunk: int) -> None:
        super().__init__()
        self.hidden, self.chunk = hidden, chunk
        self.in_proj = nn.Linear(dim, 3 * hidden)
        self.out_proj = nn.Linear(hidden, dim)

    def forward(self, x: Tensor, weights0: Tensor, cached: Tensor) -> Tuple[Tensor, Tensor]:
        """x (T, C), weights0 (T, L + T), cached (L, hidden)."""
        hd = self.hidden
        x = self.in_proj(x)
        s, v, y = x[:, :hd], x[:, hd : 2 * hd], x[:, 2 * hd :]
        v = torch.cat([cached, v * torch.tanh(s)], dim=0)
        new_cached = v[self.chunk :]
        return self.out_proj(torch.matmul(weights0, v) * y), new_cached
