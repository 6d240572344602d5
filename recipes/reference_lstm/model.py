"""Streaming LSTM transducer following icefall's lstm_transducer_stateless2 export contract.

Encoder (what sherpa-ncnn / ncasr feed, 9-frame segments, 4-frame offset):
  x (N, T, 80), x_lens (N,), h (L, N, D), c (L, N, H)
    -> encoder_out (N, ((T-3)//2-1)//2, D), out_lens, new_h, new_c
  Conv2d subsampling without time padding: conv(3x3,s1) -> conv(3x3,s2) -> conv(3x3,s2),
  each followed by DoubleSwish (x*sigmoid(x-1)); linear to D; BasicNorm.
  Output frame j depends only on input frames [4j, 4j+8], so a 9-frame segment gives
  exactly one frame and chunked inference equals full-utterance inference.
  L x [LSTM(D -> hidden H, proj_size D) + residual, feed-forward(D->F->D, DoubleSwish) + residual, BasicNorm].
Decoder: Embedding(V, Dd, padding_idx=0) -> depthwise Conv1d(kernel=context 2, no bias) -> ReLU.
Joiner: tanh(encoder_proj(enc) + decoder_proj(dec)) -> output_linear (projections inside).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore", message="LSTM with projections is not supported with oneDNN")


@dataclass
class ModelConfig:
    vocab_size: int = 256
    feature_dim: int = 80
    num_layers: int = 3
    encoder_dim: int = 192
    rnn_hidden_size: int = 512
    dim_feedforward: int = 768
    decoder_dim: int = 192
    joiner_dim: int = 256
    context_size: int = 2
    blank_id: int = 0
    dropout: float = 0.1
    layer1_channels: int = 8
    layer2_channels: int = 32
    layer3_channels: int = 128
    # fixed input normalisation (x - input_mean) / input_std with GLOBAL scalars measured on
    # the training fbank; folded into the first convolution at export (fold_input_norm), so
    # the exported graph still takes raw fbank and has exactly the same layers.
    input_mean: float = 0.0
    input_std: float = 1.0

    def to_dict(self):
        return asdict(self)


class DoubleSwish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x - 1.0)


class _BalanceGrad(torch.autograd.Function):
    """Identity forward; backward nudges each channel's gradient so that the channel keeps a
    share of positive values in [min_pos, max_pos] and a mean |x| below max_abs (the idea of
    icefall's ActivationBalancer, written from its description). Prevents the encoder from
    collapsing into a constant, input-independent offset early in CTC/RNN-T training."""

    @staticmethod
    def forward(ctx, x, min_pos: float, max_pos: float, max_abs: float, factor: float):
        with torch.no_grad():
            dims = tuple(range(x.dim() - 1))
            pos = (x > 0).float().mean(dim=dims)
            mabs = x.abs().mean(dim=dims)
            push = (pos < min_pos).float() - (pos > max_pos).float()  # +1: increase x
            shrink = (mabs > max_abs).float()
        ctx.save_for_backward(x, push, shrink)
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        x, push, shrink = ctx.saved_tensors
        f = ctx.factor
        ga = g.abs()
        g = g - ga * f * push + ga * f * shrink * torch.sign(x)
        return g, None, None, None, None


class ActivationBalancer(nn.Module):
    def __init__(self, min_pos=0.05, max_pos=0.95, max_abs=10.0, factor=0.04):
        super().__init__()
        self.args = (min_pos, max_pos, max_abs, factor)

    def forward(self, x):  # channel = last dim
        if not self.training or torch.jit.is_tracing() or not x.requires_grad:
            return x
        return _BalanceGrad.apply(x, *self.args)


class BasicNorm(nn.Module):
    """x * (mean(x^2) + eps)^-0.5 over the last dim, eps fixed (icefall, learn_eps=False)."""

    def __init__(self, eps: float = 0.25):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return x * torch.pow(torch.mean(x * x, dim=-1, keepdim=True) + self.eps, -0.5)


class Conv2dSubsampling(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c1, c2, c3 = cfg.layer1_channels, cfg.layer2_channels, cfg.layer3_channels
        self.conv = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, padding=0),
            DoubleSwish(),
            nn.Conv2d(c1, c2, kernel_size=3, stride=2),
            DoubleSwish(),
            nn.Conv2d(c2, c3, kernel_size=3, stride=2),
            DoubleSwish(),
        )
        f = cfg.feature_dim - 2  # conv1: kernel 3, no padding
        f = (f - 3) // 2 + 1  # conv2: stride 2
        f = (f - 3) // 2 + 1  # conv3: stride 2 (80 -> 18)
        self.out = nn.Linear(c3 * f, cfg.encoder_dim)
        self.out_norm = BasicNorm()
        self.input_mean = float(cfg.input_mean)
        self.input_scale = 1.0 / float(cfg.input_std)
        self.feature_dim = cfg.feature_dim
        self._init_scales()

    @torch.no_grad()
    def _init_scales(self, seed: int = 0):
        """Rescales the default (PyTorch) init so that every conv / the linear output has RMS ~1
        on unit-variance input (an LSUV-style init on random normal input). With the default
        init each conv+DoubleSwish shrinks the signal ~6x (DoubleSwish has slope 0.27 at 0), the
        front-end output came out at RMS ~0.003, BasicNorm (eps 0.25) kept it there and the
        LSTMs saw almost no input: the CTC/RNN-T loss sat on the unigram plateau."""
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(4, 1, 200, self.feature_dim, generator=g)
        for k in (0, 2, 4):
            conv = self.conv[k]
            y = conv(x)
            conv.weight.mul_(1.0 / float(y.pow(2).mean().sqrt()))
            conv.bias.zero_()
            x = self.conv[k + 1](conv(x))
        b, c, t, f = x.size()
        y = self.out(x.transpose(1, 2).reshape(b, t, c * f))
        self.out.weight.mul_(1.0 / float(y.pow(2).mean().sqrt()))
        self.out.bias.zero_()

    def forward(self, x):  # (N, T, F)
        if self.input_mean != 0.0 or self.input_scale != 1.0:
            x = (x - self.input_mean) * self.input_scale
        x = self.conv(x.unsqueeze(1))  # (N, C, T', F')
        b, c, t, f = x.size()
        x = self.out(x.transpose(1, 2).reshape(b, t, c * f))
        return self.out_norm(x)


class RNNEncoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d = cfg.encoder_dim
        self.lstm = nn.LSTM(d, cfg.rnn_hidden_size, proj_size=d, num_layers=1, batch_first=True)
        self.feed_forward = nn.Sequential(
            nn.Linear(d, cfg.dim_feedforward), DoubleSwish(), nn.Dropout(cfg.dropout), nn.Linear(cfg.dim_feedforward, d)
        )
        self.norm_final = BasicNorm()
        self.balancer = ActivationBalancer()
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x, h, c):  # x (N, T, D); h (1, N, D); c (1, N, H)
        y, (h, c) = self.lstm(x, (h, c))
        x = x + self.dropout(y)
        x = x + self.dropout(self.feed_forward(x))
        return self.norm_final(self.balancer(x)), h, c


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder_embed = Conv2dSubsampling(cfg)
        self.layers = nn.ModuleList([RNNEncoderLayer(cfg) for _ in range(cfg.num_layers)])

    @staticmethod
    def output_lengths(x_lens):
        if x_lens.is_floating_point():  # export: the runtime passes T as a float
            return torch.floor((torch.floor((x_lens - 3) / 2) - 1) / 2)
        return ((x_lens - 3) // 2 - 1) // 2

    def zero_states(self, n: int = 1, device=None):
        c = self.cfg
        return (
            torch.zeros(c.num_layers, n, c.encoder_dim, device=device),
            torch.zeros(c.num_layers, n, c.rnn_hidden_size, device=device),
        )

    def forward(self, x, x_lens, h, c):
        """x (N, T, 80); h (L, N, D); c (L, N, H). Returns out (N, T', D), lens, h, c."""
        x = self.encoder_embed(x)
        lens = self.output_lengths(x_lens)
        hs, cs = [], []
        for i, layer in enumerate(self.layers):
            x, hi, ci = layer(x, h[i : i + 1], c[i : i + 1])
            hs.append(hi)
            cs.append(ci)
        return x, lens, torch.cat(hs, dim=0), torch.cat(cs, dim=0)


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.context_size = cfg.context_size
        self.blank_id = cfg.blank_id
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.decoder_dim, padding_idx=cfg.blank_id)
        self.conv = nn.Conv1d(
            cfg.decoder_dim,
            cfg.decoder_dim,
            kernel_size=cfg.context_size,
            padding=0,
            groups=cfg.decoder_dim,
            bias=False,
        )

    def forward(self, y, need_pad: bool = True):
        """y (N, U) int64 -> (N, U, Dd). With need_pad=False, U must be >= context_size."""
        e = self.embedding(y).permute(0, 2, 1)
        if need_pad:
            e = F.pad(e, (self.context_size - 1, 0))
        e = self.conv(e).permute(0, 2, 1)
        return F.relu(e)


class Joiner(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.encoder_proj = nn.Linear(cfg.encoder_dim, cfg.joiner_dim)
        self.decoder_proj = nn.Linear(cfg.decoder_dim, cfg.joiner_dim)
        self.output_linear = nn.Linear(cfg.joiner_dim, cfg.vocab_size)

    def forward(self, enc, dec):
        return self.output_linear(torch.tanh(self.encoder_proj(enc) + self.decoder_proj(dec)))


class Transducer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.joiner = Joiner(cfg)

    def forward_encoder(self, x, x_lens):
        h, c = self.encoder.zero_states(x.size(0), x.device)
        out, lens, _, _ = self.encoder(x, x_lens, h, c)
        return out, lens

    def joint_logits(self, enc, ys_in):
        """enc (N, T, D); ys_in (N, U+1) = [blank, y1..yU]. Returns (N, T, U+1, V)."""
        return self.joint_logits_from_decoder(enc, self.decoder(ys_in))

    def joint_logits_from_decoder(self, enc, dec):
        """enc (N, T, D); dec (N, U+1, Dd) decoder outputs. Returns (N, T, U+1, V)."""
        e = self.joiner.encoder_proj(enc).unsqueeze(2)
        d = self.joiner.decoder_proj(dec).unsqueeze(1)
        return self.joiner.output_linear(torch.tanh(e + d))


@torch.no_grad()
def fold_input_norm(model: "Transducer") -> "Transducer":
    """Folds the fixed input normalisation into the first Conv2d (no padding, so exact):
    conv(w, (x - m) * s) + b = conv(w * s, x) + (b - m * s * sum(w)). Afterwards the model
    takes raw fbank with no extra op (cfg.input_mean = 0, cfg.input_std = 1)."""
    sub = model.encoder.encoder_embed
    m, s = sub.input_mean, sub.input_scale
    if m == 0.0 and s == 1.0:
        return model
    conv1 = sub.conv[0]
    assert conv1.padding in ((0, 0), 0, "valid"), conv1.padding
    w = conv1.weight.double()
    conv1.bias.copy_((conv1.bias.double() - m * s * w.sum(dim=(1, 2, 3))).float())
    conv1.weight.copy_((w * s).float())
    sub.input_mean, sub.input_scale = 0.0, 1.0
    model.cfg.input_mean, model.cfg.input_std = 0.0, 1.0
    return model


def count_parameters(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


@torch.no_grad()
def greedy_decode(model: Transducer, enc: torch.Tensor, enc_lens: torch.Tensor, unk_id: int = 2):
    """Batched greedy search, at most one symbol per frame; blank and <unk> do not emit
    (as sherpa-ncnn / ncasr). enc (N, T, D). Returns list of token-id lists."""
    n, t_max, _ = enc.shape
    cs = model.cfg.context_size
    blank = model.cfg.blank_id
    hyps = [[blank] * cs for _ in range(n)]
    ctx = torch.full((n, cs), blank, dtype=torch.long, device=enc.device)
    dec = model.joiner.decoder_proj(model.decoder(ctx, need_pad=False)[:, -1])  # (N, J)
    encp = model.joiner.encoder_proj(enc)  # (N, T, J)
    for t in range(t_max):
        logits = model.joiner.output_linear(torch.tanh(encp[:, t] + dec))
        y = logits.argmax(dim=-1)
        active = (t < enc_lens) & (y != blank) & (y != unk_id)
        if active.any():
            idx = active.nonzero(as_tuple=True)[0]
            for i in idx.tolist():
                hyps[i].append(int(y[i]))
            ctx = torch.tensor([h[-cs:] for h in hyps], dtype=torch.long, device=enc.device)
            new = model.joiner.decoder_proj(model.decoder(ctx[idx], need_pad=False)[:, -1])
            dec = dec.clone()
            dec[idx] = new
    return [h[cs:] for h in hyps]
