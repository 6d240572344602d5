"""Encoder layer, stacks and the multi-rate Zipformer2 encoder, streaming one fixed chunk.

Tensors are (time, channels): batch 1 with no batch axis, so nothing ever permutes one."""

from __future__ import annotations

from typing import List, Tuple

import torch
from torch import Tensor, nn

from ._attention import NonlinAttention, RelPositionAttentionWeights, SelfAttention
from ._basic import BiasNorm, Bypass, FeedForward
from ._conv import ConvolutionModule
from .config import Zipformer2Config

# per layer, in icefall's order
LAYER_STATES = ("cached_key", "cached_nonlin_attn", "cached_val1", "cached_val2", "cached_conv1", "cached_conv2")


class EncoderLayer(nn.Module):
    def __init__(self, cfg: Zipformer2Config, stack: int) -> None:
        super().__init__()
        dim, heads = cfg.encoder_dim[stack], cfg.num_heads[stack]
        ff, kernel = cfg.feedforward_dim[stack], cfg.cnn_module_kernel[stack]
        chunk, left = cfg.stack_chunk(stack), cfg.left_context(stack)
        self.chunk = chunk
        self.bypass = Bypass(dim)
        self.bypass_mid = Bypass(dim)
        self.self_attn_weights = RelPositionAttentionWeights(
            dim, cfg.pos_dim, heads, cfg.query_head_dim[stack], cfg.pos_head_dim[stack], chunk, left
        )
        self.self_attn1 = SelfAttention(dim, heads, cfg.value_head_dim[stack], chunk)
        self.self_attn2 = SelfAttention(dim, heads, cfg.value_head_dim[stack], chunk)
        self.feed_forward1 = FeedForward(dim, ff * 3 // 4)
        self.feed_forward2 = FeedForward(dim, ff)
        self.feed_forward3 = FeedForward(dim, ff * 5 // 4)
        self.nonlin_attention = NonlinAttention(dim, 3 * dim // 4, chunk)
        self.conv_module1 = ConvolutionModule(dim, kernel, chunk)
        self.conv_module2 = ConvolutionModule(dim, kernel, chunk)
        self.norm = BiasNorm(dim)

    def forward(self, src: Tensor, mask: Tensor, states: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        key, nonlin, val1, val2, conv1, conv2 = states
        src_orig = src
        weights, key = self.self_attn_weights(src, key, mask)
        src = src + self.feed_forward1(src)
        na, nonlin = self.nonlin_attention(src, weights[:1].reshape(self.chunk, -1), nonlin)
        src = src + na
        att, val1 = self.self_attn1(src, weights, val1)
        src = src + att
        conv, conv1 = self.conv_module1(src, conv1)
        src = src + conv
        src = src + self.feed_forward2(src)
        src = self.bypass_mid(src_orig, src)
        att, val2 = self.self_attn2(src, weights, val2)
        src = src + att
        conv, conv2 = self.conv_module2(src, conv2)
        src = src + conv
        src = src + self.feed_forward3(src)
        src = self.bypass(src_orig, self.norm(src))
        return src, [key, nonlin, val1, val2, conv1, conv2]


class Stack(nn.Module):
    """The layers of one stack (icefall's Zipformer2Encoder)."""

    def __init__(self, cfg: Zipformer2Config, stack: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderLayer(cfg, stack) for _ in range(cfg.num_encoder_layers[stack]))

    def forward(self, x: Tensor, mask: Tensor, states: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        new_states: List[Tensor] = []
        for i, layer in enumerate(self.layers):
            x, s = layer(x, mask, states[6 * i : 6 * i + 6])
            new_states += s
        return x, new_states


class Downsample(nn.Module):
    """Softmax-weighted sum of each group of ``factor`` frames (icefall SimpleDownsample)."""

    def __init__(self, factor: int, channels: int) -> None:
        super().__init__()
        self.factor, self.channels = factor, channels
        self.bias = nn.Parameter(torch.zeros(factor))
        self.register_buffer("weights", torch.full((factor, 1), 1.0 / factor), persistent=False)

    def refresh(self) -> None:
        self.weights = self.bias.detach().softmax(dim=0).unsqueeze(-1)

    def forward(self, x: Tensor) -> Tensor:
        return (x.reshape(-1, self.factor, self.channels) * self.weights).sum(dim=1)


def upsample(x: Tensor, factor: int, channels: int) -> Tensor:
    """Repeat each frame ``factor`` times: copies concatenated along channels, then reshaped,
    interleave them; ncnn runs this as Concat + Reshape instead of an expand."""
    return torch.cat([x] * factor, dim=1).reshape(-1, channels)


class DownsampledStack(nn.Module):
    """A stack run at 1/factor of the frame rate, upsampled and mixed back with its input."""

    def __init__(self, cfg: Zipformer2Config, stack: int) -> None:
        super().__init__()
        self.factor = cfg.downsampling_factor[stack]
        self.channels = cfg.encoder_dim[stack]
        self.downsample = Downsample(self.factor, self.channels)
        self.encoder = Stack(cfg, stack)
        self.out_combiner = Bypass(cfg.encoder_dim[stack])

    def forward(self, x: Tensor, mask: Tensor, states: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        y, new_states = self.encoder(self.downsample(x), mask, states)
        return self.out_combiner(x, upsample(y, self.factor, self.channels)), new_states


class Zipformer2Encoder(nn.Module):
    """All stacks, the full-width output and the final 2x downsampling (icefall Zipformer2)."""

    def __init__(self, cfg: Zipformer2Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoders = nn.ModuleList(
            Stack(cfg, i) if ds == 1 else DownsampledStack(cfg, i) for i, ds in enumerate(cfg.downsampling_factor)
        )
        self.downsample_output = Downsample(2, max(cfg.encoder_dim))
        dims = (cfg.encoder_dim[0],) + cfg.encoder_dim
        for i in range(cfg.num_stacks):
            # zeros that widen the previous stack's output to this stack's width
            extra = max(0, dims[i + 1] - dims[i])
            self.register_buffer(f"widen{i}", torch.zeros(cfg.chunk_size, extra), persistent=False)

    def forward(self, x: Tensor, mask: Tensor, states: List[Tensor]) -> Tuple[Tensor, List[Tensor]]:
        """x (chunk, encoder_dim[0]); mask (1, left_context_frames + chunk) additive, 0 or -1000."""
        cfg = self.cfg
        outputs: List[Tensor] = []
        new_states: List[Tensor] = []
        offset, prev = 0, cfg.encoder_dim[0]
        for i, module in enumerate(self.encoders):
            ds, dim = cfg.downsampling_factor[i], cfg.encoder_dim[i]
            if dim < prev:
                x = x[:, :dim]
            elif dim > prev:
                x = torch.cat([x, getattr(self, f"widen{i}")], dim=1)
            prev = dim
            n = 6 * cfg.num_encoder_layers[i]
            # every ds-th key slot, by reshape and slice: ncnn has no strided slice
            m = mask if ds == 1 else mask.reshape(-1, ds)[:, :1].reshape(1, -1)
            x, s = module(x, m, states[offset : offset + n])
            offset += n
            outputs.append(x)
            new_states += s
        return self.downsample_output(self._full_dim_output(outputs)), new_states

    def _full_dim_output(self, outputs: List[Tensor]) -> Tensor:
        # each channel from the latest stack that has it
        dims = self.cfg.encoder_dim
        pieces, cur = [outputs[-1]], dims[-1]
        for i in range(len(dims) - 2, -1, -1):
            if dims[i] > cur:
                pieces.append(outputs[i][:, cur : dims[i]])
                cur = dims[i]
        return torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]
