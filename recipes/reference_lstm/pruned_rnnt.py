"""Pruned RNN-T loss in pure PyTorch (the idea of k2's rnnt_loss_pruned, written here).

The full loss evaluates the joiner on every (t, u) of the T x (U+1) lattice: (N, T, U+1, V)
logits, a third of a training step for the reference model. Most of that lattice carries no
probability mass. Two steps cut it down:

1. A "simple" joiner, logits = am[t] + lm[u] (linear heads on encoder_out and decoder_out,
   training only), gives a full lattice cheaply: its normaliser logsumexp_v(am + lm) is one
   (T x V) @ (V x U+1) matmul per utterance. Its loss trains the heads; its gradient with
   respect to the lattice edges is the occupation of every node.
2. For every frame t a window of S consecutive label positions [s_t, s_t + S) holding the
   most occupation is kept (constrained so that a complete path exists), and the real
   joiner runs only there: (N, T, S, V) logits. Edges outside the windows get a log-prob of
   NEG and the ordinary lattice recursion (rnnt_loss_from_lp) sums the rest.
"""

from __future__ import annotations

import torch

from .rnnt_loss import rnnt_loss_from_lp

NEG = -1.0e4  # log-prob of a pruned edge: finite, so the float64 recursion stays NaN-free


def simple_lattice(am, lm, targets, blank: int = 0):
    """am (N, T, V), lm (N, U+1, V), targets (N, U) -> blank_lp (N, T, U+1), label_lp (N, T, U)
    of the joiner logits am[t] + lm[u], without forming the (N, T, U+1, V) tensor."""
    am64, lm64 = am.double(), lm.double()
    am_max = am64.max(dim=-1, keepdim=True).values
    lm_max = lm64.max(dim=-1, keepdim=True).values
    prod = torch.matmul((am64 - am_max).exp(), (lm64 - lm_max).exp().transpose(1, 2))
    norm = prod.clamp_min(1e-300).log() + am_max + lm_max.transpose(1, 2)  # (N, T, U+1)
    blank_lp = am64[..., blank].unsqueeze(2) + lm64[..., blank].unsqueeze(1) - norm
    n, t, _ = am.shape
    u = targets.size(1)
    am_y = torch.gather(am64, 2, targets.unsqueeze(1).expand(n, t, u))  # (N, T, U)
    lm_y = torch.gather(lm64[:, :u], 2, targets.unsqueeze(2)).squeeze(2)  # (N, U)
    label_lp = am_y + lm_y.unsqueeze(1) - norm[:, :, :u]
    return blank_lp, label_lp


def prune_ranges(occupation, logit_lens, target_lens, s: int):
    """occupation (N, T, U+1) -> window starts (N, T) int64 such that every window
    [start, start + s) lies in [0, U_n], start is 0 at t = 0 and U_n + 1 - s at the last frame,
    never decreases and grows by at most s - 1 per frame (so some path survives)."""
    n, t_max, u1 = occupation.shape
    dev = occupation.device
    top = (target_lens.long() + 1 - s).clamp_min(0)  # largest start per utterance
    assert 1 <= s <= u1, (s, u1)
    cs = torch.nn.functional.pad(occupation.cumsum(dim=2), (1, 0))
    nwin = u1 - s + 1
    win = cs[:, :, s:] - cs[:, :, :nwin]  # occupation inside [start, start + s)
    pos = torch.arange(win.size(2), device=dev)
    win = win.masked_fill(pos.view(1, 1, -1) > top.view(-1, 1, 1), float("-inf"))
    start = win.argmax(dim=2)  # (N, T)
    # the band every feasible path allows: reachable from (0, 0) with at most s - 1 new labels
    # per frame, and still able to reach the last window by the last frame
    tt = torch.arange(t_max, device=dev).view(1, -1)
    last = (logit_lens.long() - 1).view(-1, 1)
    hi = torch.minimum(top.view(-1, 1), tt * (s - 1))
    lo = (top.view(-1, 1) - (last - tt) * (s - 1)).clamp_min(0)
    start = torch.minimum(torch.maximum(start, lo), hi)
    start = torch.cummax(start, dim=1).values
    # start_t >= start_k - (k - t)(s - 1) for every k > t: a reverse running max
    step = tt * (s - 1)
    back = torch.flip(torch.cummax(torch.flip(start - step, [1]), dim=1).values, [1]) + step
    return torch.maximum(start, back)


def pruned_rnnt_loss(enc, dec, joiner, am, lm, targets, logit_lens, target_lens, s_range: int = 5, blank: int = 0):
    """Returns (simple_loss, pruned_loss), each (N,) negative log-likelihoods.

    enc (N, T, De), dec (N, U+1, Dd): encoder and decoder outputs; joiner: a module with
    encoder_proj, decoder_proj, output_linear (tanh in between); am (N, T, V), lm (N, U+1, V):
    the simple heads' logits. s_range >= U + 1 gives the full loss."""
    simple_blank, simple_label = simple_lattice(am, lm, targets, blank)
    simple = rnnt_loss_from_lp(simple_blank, simple_label, logit_lens, target_lens)
    n, t_max, _ = enc.shape
    u1 = dec.size(1)
    s = max(1, min(s_range, u1))
    if simple_blank.requires_grad:  # training: reuse the simple loss's graph
        gb, gl = torch.autograd.grad(simple.sum(), (simple_blank, simple_label), retain_graph=True)
    else:
        with torch.enable_grad():
            b = simple_blank.detach().requires_grad_()
            l = simple_label.detach().requires_grad_()
            gb, gl = torch.autograd.grad(rnnt_loss_from_lp(b, l, logit_lens, target_lens).sum(), (b, l))
    with torch.no_grad():
        occ = -(gb + torch.nn.functional.pad(gl, (0, 1)))
        start = prune_ranges(occ, logit_lens, target_lens, s)
    idx = start.unsqueeze(2) + torch.arange(s, device=enc.device).view(1, 1, -1)  # (N, T, S)
    d = joiner.decoder_proj(dec)  # (N, U+1, J)
    d = torch.gather(d.unsqueeze(1).expand(n, t_max, u1, d.size(2)), 2, idx.unsqueeze(3).expand(n, t_max, s, d.size(2)))
    logits = joiner.output_linear(torch.tanh(joiner.encoder_proj(enc).unsqueeze(2) + d))
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))  # bf16 autocast -> fp32
    lse = torch.logsumexp(logits, dim=-1)  # (N, T, S)
    blank_p = logits[..., blank] - lse
    u = targets.size(1)
    tgt = torch.gather(targets.unsqueeze(1).expand(n, t_max, u), 2, idx.clamp_max(max(0, u - 1)))
    label_p = torch.gather(logits, 3, tgt.unsqueeze(3)).squeeze(3) - lse
    full_blank = torch.full((n, t_max, u1), NEG, dtype=logits.dtype, device=enc.device)
    full_blank = full_blank.scatter(2, idx, blank_p)
    full_label = torch.full((n, t_max, u1), NEG, dtype=logits.dtype, device=enc.device)
    full_label = full_label.scatter(2, idx, label_p)[:, :, :u]  # u = U has no label edge
    pruned = rnnt_loss_from_lp(full_blank, full_label, logit_lens, target_lens)
    return simple, pruned
