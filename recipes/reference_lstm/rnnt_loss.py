"""Pure-PyTorch RNN-T loss (full sum over the T x (U+1) lattice, log space).

Loop over time; inside a row the label transitions form a linear recurrence that is solved
with cumulative ops:
    alpha[t, u] = logaddexp(alpha[t-1, u] + blank[t-1, u], alpha[t, u-1] + label[t, u-1])
 => with C[u] = sum_{j<u} label[t, j] and b[k] = alpha[t-1, k] + blank[t-1, k]:
    alpha[t, u] = C[u] + logcumsumexp_k<=u (b[k] - C[k])
The lattice (N, T, U+1) is evaluated in float64 to keep the cumsum differences exact.
"""

from __future__ import annotations

import torch


def rnnt_log_probs(logits: torch.Tensor, targets: torch.Tensor, blank: int = 0):
    """logits (N, T, U+1, V), targets (N, U) -> blank_lp (N, T, U+1), label_lp (N, T, U)."""
    lse = torch.logsumexp(logits, dim=-1)  # (N, T, U+1)
    blank_lp = logits[..., blank] - lse
    n, t, u1, v = logits.shape
    idx = targets.unsqueeze(1).expand(n, t, u1 - 1).unsqueeze(-1)
    label_lp = torch.gather(logits[:, :, :-1, :], 3, idx).squeeze(-1) - lse[:, :, :-1]
    return blank_lp, label_lp


def rnnt_loss_from_lp(blank_lp, label_lp, logit_lens, target_lens):
    """Negative log-likelihood per utterance (N,). Computed in float64."""
    blank_lp = blank_lp.double()
    label_lp = label_lp.double()
    n, t_max, u1 = blank_lp.shape
    zeros = torch.zeros(n, 1, dtype=blank_lp.dtype, device=blank_lp.device)
    # Rows by unbind, not by indexing inside the loop: the backward of each index op fills a
    # whole (N, T, U+1) gradient with zeros (T of them, which dominated the loss's time).
    blank_rows, label_rows = blank_lp.unbind(1), label_lp.unbind(1)
    # row t = 0: only label transitions
    c0 = torch.cat([zeros, torch.cumsum(label_rows[0], dim=1)], dim=1)
    alpha = c0
    alphas = [alpha]
    for t in range(1, t_max):
        c = torch.cat([zeros, torch.cumsum(label_rows[t], dim=1)], dim=1)  # (N, U+1)
        b = alpha + blank_rows[t - 1]
        alpha = c + torch.logcumsumexp(b - c, dim=1)
        alphas.append(alpha)
    A = torch.stack(alphas, dim=1)  # (N, T, U+1)
    ar = torch.arange(n, device=A.device)
    tl = logit_lens.long() - 1
    ul = target_lens.long()
    ll = A[ar, tl, ul] + blank_lp[ar, tl, ul]
    return -ll


def rnnt_loss(logits, targets, logit_lens, target_lens, blank: int = 0, reduction: str = "sum"):
    blank_lp, label_lp = rnnt_log_probs(logits, targets, blank)
    loss = rnnt_loss_from_lp(blank_lp, label_lp, logit_lens, target_lens)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


def rnnt_loss_bruteforce(logits, targets, blank: int = 0):
    """Reference for ONE utterance: logits (T, U+1, V), targets (U,). Enumerates every
    alignment (path through the lattice) explicitly. Only for tiny T, U."""
    import itertools

    T, U1, V = logits.shape
    U = U1 - 1
    lp = torch.log_softmax(logits.double(), dim=-1)
    total = []
    # an alignment = positions of the U label emissions among T+U-1 non-final steps,
    # then a final blank at (T-1, U).
    steps = T - 1 + U
    for label_pos in itertools.combinations(range(steps), U):
        t = u = 0
        s = 0.0
        lpos = set(label_pos)
        for k in range(steps):
            if k in lpos:
                s = s + lp[t, u, targets[u]]
                u += 1
            else:
                s = s + lp[t, u, blank]
                t += 1
        s = s + lp[T - 1, U, blank]
        total.append(s)
    return -torch.logsumexp(torch.stack(total), dim=0)
