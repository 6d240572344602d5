"""Stage 4: train the streaming LSTM transducer (resumable).

  nohup nice -n 15 python -m recipes.reference_lstm.train > ~/.cache/ncasr-recipe/exp/train.log 2>&1 &

Re-running the same command resumes from $NCASR_RECIPE_EXP/checkpoint-latest.pt
(default ~/.cache/ncasr-recipe/exp). Writes:
  checkpoint-latest.pt      model+optimizer+position, every --ckpt-minutes and at epoch ends
  snapshots/step-*.pt       model weights only (for averaging), every --ckpt-minutes
  epoch-<E>.pt              model weights at the end of epoch E
  dev_wer.tsv               epoch/step, dev WER (greedy, 1 symbol per frame)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np
import torch

from .common import corpus_wer, exp_dir, feats_dir, lang_dir, read_tokens, tokens_to_text
from .compute_features import load_split
from .model import ModelConfig, Transducer, count_parameters, greedy_decode
from .pruned_rnnt import pruned_rnnt_loss, simple_lattice
from .rnnt_loss import rnnt_loss, rnnt_loss_from_lp


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ------------------------------------------------------------------ data


class Split:
    def __init__(self, name, sp, fdir, in_ram=True):
        arr, items = load_split(name, fdir)
        self.feats = np.array(arr) if in_ram else arr
        self.items = items
        self.texts = [t for _, _, t in items]
        self.ids = [sp.encode(t) for t in self.texts]

    def __len__(self):
        return len(self.items)

    def get(self, idxs):
        fs = [self.feats[self.items[i][0] : self.items[i][0] + self.items[i][1]] for i in idxs]
        t = max(len(f) for f in fs)
        x = np.zeros((len(fs), t, 80), np.float32)
        for k, f in enumerate(fs):
            x[k, : len(f)] = f
        lens = torch.tensor([len(f) for f in fs])
        return torch.from_numpy(x), lens


def padded_targets(split: Split, idxs):
    """Token ids of the utterances idxs: targets (N, U) zero-padded, lengths (N,), and the
    decoder input (N, U+1) = [blank, targets]."""
    ys = [split.ids[i] for i in idxs]
    ul = torch.tensor([len(y) for y in ys])
    tg = torch.zeros(len(ys), int(ul.max()), dtype=torch.long)
    for k, y in enumerate(ys):
        tg[k, : len(y)] = torch.tensor(y)
    ys_in = torch.cat([torch.zeros(len(ys), 1, dtype=torch.long), tg], dim=1)
    return tg, ul, ys_in


def make_batches(split: Split, max_frames: int, usable):
    order = sorted(usable, key=lambda i: split.items[i][1])
    batches, cur, cur_max = [], [], 0
    for i in order:
        n = split.items[i][1]
        if cur and max(cur_max, n) * (len(cur) + 1) > max_frames:
            batches.append(cur)
            cur, cur_max = [], 0
        cur.append(i)
        cur_max = max(cur_max, n)
    if cur:
        batches.append(cur)
    return batches


def spec_augment(
    x, lens, rng: random.Random, masks: int = 2, max_freq: int = 10, max_time: int = 20, max_time_frac: float = 0.1
):
    """Per utterance: `masks` frequency bands of up to max_freq bins and `masks` time spans of
    up to max_time frames (and at most max_time_frac of the utterance) replaced by their mean.
    The mean leaves out the batch padding's zeros, which would pull it towards 0."""
    n, t, f = x.shape
    for k in range(n):
        L = int(lens[k])  # the mean is taken over the utterance only: padding stays zero
        for _ in range(masks):
            w = rng.randint(0, max_freq)
            f0 = rng.randint(0, f - w)
            if w:
                x[k, :L, f0 : f0 + w] = x[k, :L, f0 : f0 + w].mean()
        for _ in range(masks):
            w = rng.randint(0, min(max_time, max(1, int(L * max_time_frac))))
            t0 = rng.randint(0, max(0, L - w))
            x[k, t0 : t0 + w, :] = x[k, :L].mean(dim=0)
    return x


def _mel(f):
    return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)


def _mel_inv(m):
    return 700.0 * np.expm1(np.asarray(m, dtype=np.float64) / 1127.0)


def vtlp_positions(alpha: float, bins: int = 80, low_hz: float = 20.0, high_hz: float = 7600.0):
    """Fractional source bin for every output bin when the spectrum is warped f -> alpha * f
    (a vocal-tract-length change: alpha > 1 moves formants up). Bin centres as in the Kaldi
    fbank the runtime computes (uniform in mel between low_hz and high_hz)."""
    lo, hi = _mel(low_hz), _mel(high_hz)
    step = (hi - lo) / (bins + 1)
    centres_hz = _mel_inv(lo + step * np.arange(1, bins + 1))
    src = (_mel(centres_hz / alpha) - lo) / step - 1.0
    return np.clip(src, 0.0, bins - 1.0)


def vtlp(x, rng: random.Random, p: float, lo: float = 0.85, hi: float = 1.15):
    """Per utterance, with probability p, warp the log-mel axis by a random factor in
    [lo, hi] (linear interpolation between bins): a speaker perturbation for held-out voices."""
    n, _, f = x.shape
    for k in range(n):
        if rng.random() >= p:
            continue
        pos = torch.from_numpy(vtlp_positions(rng.uniform(lo, hi), f)).float()
        i0 = pos.floor().long().clamp(max=f - 2)
        w = (pos - i0.float()).to(x.dtype)
        x[k] = x[k, :, i0] * (1.0 - w) + x[k, :, i0 + 1] * w
    return x


def random_eq_curve(rng: random.Random, bins: int, max_db: float, terms: int = 3):
    """A smooth random gain over the mel axis, in natural-log power units (the fbank's):
    sum_k a_k cos(pi k (i + 0.5) / bins), a_k ~ U(-max_db, max_db) / k. Spectral tilt and
    broad resonances differ between speakers and channels; this draws new ones."""
    i = (np.arange(bins) + 0.5) / bins
    db = sum(rng.uniform(-max_db, max_db) / k * np.cos(np.pi * k * i) for k in range(1, terms + 1))
    return db * (np.log(10.0) / 10.0)


def random_eq(x, rng: random.Random, p: float, max_db: float):
    """Per utterance, with probability p, add one random_eq_curve to every frame."""
    n, _, f = x.shape
    for k in range(n):
        if rng.random() < p:
            x[k] += torch.from_numpy(random_eq_curve(rng, f, max_db)).to(x.dtype)
    return x


@torch.no_grad()
def init_simple_heads(heads, joiner):
    """The joiner with tanh taken as identity splits into am(enc) + lm(dec):
    W_out (W_e e + b_e + W_d d + b_d) + b_out. Starting the simple heads there gives a
    trained model sensible pruning windows at once (Adam moves a random head by about lr
    per step: thousands of steps to learn a blank bias of a few nats)."""
    w = joiner.output_linear.weight
    heads["am"].weight.copy_(w @ joiner.encoder_proj.weight)
    heads["am"].bias.copy_(w @ joiner.encoder_proj.bias + joiner.output_linear.bias)
    heads["lm"].weight.copy_(w @ joiner.decoder_proj.weight)
    heads["lm"].bias.copy_(w @ joiner.decoder_proj.bias)


# ------------------------------------------------------------------ schedule


def eden_lr(base, step, epoch_f, warmup, lr_steps, lr_epochs):
    w = min(1.0, (step + 1) / warmup)
    return (
        base
        * w
        * ((step**2 + lr_steps**2) / lr_steps**2) ** -0.25
        * ((epoch_f**2 + lr_epochs**2) / lr_epochs**2) ** -0.25
    )


# ------------------------------------------------------------------ eval


@torch.no_grad()
def evaluate_wer(model, split: Split, tokens, max_utts=None, batch_frames=20000):
    model.eval()
    idxs = list(range(len(split)))[:max_utts] if max_utts else list(range(len(split)))
    pairs = []
    for b in make_batches(split, batch_frames, idxs):
        x, lens = split.get(b)
        enc, el = model.forward_encoder(x, lens)
        hyps = greedy_decode(model, enc, el)
        for i, h in zip(b, hyps):
            pairs.append((split.texts[i], tokens_to_text(tokens, h)))
    model.train()
    return corpus_wer(pairs), pairs


# ------------------------------------------------------------------ main


def save_atomic(obj, path):
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def transducer_losses(model, simple_heads, x, xl, tg, ul, ys_in, pruned_range: int, pruned: bool):
    """One batch's forward pass: (encoder_out, lengths, transducer loss, simple loss or None),
    losses summed over the batch. Under bf16 autocast the networks run in bfloat16 and every
    loss is computed from float32 logits (the lattice recursions run in float64)."""
    enc, el = model.forward_encoder(x, xl)
    dec = model.decoder(ys_in)
    # the simple heads see detached inputs: their loss trains them only (they just place the
    # pruning windows), the model learns from the transducer and CTC losses
    am, lm = simple_heads["am"](enc.detach()), simple_heads["lm"](dec.detach())
    if pruned:
        simple, pr = pruned_rnnt_loss(enc, dec, model.joiner, am, lm, tg, el, ul, pruned_range)
        return enc, el, pr.sum(), simple.sum()
    loss = rnnt_loss(model.joint_logits_from_decoder(enc, dec).float(), tg, el, ul, reduction="sum")
    simple = None
    if pruned_range > 0:  # warm-up before pruning starts
        sb, sl = simple_lattice(am, lm, tg)
        simple = rnnt_loss_from_lp(sb, sl, el, ul).sum()
    return enc, el, loss, simple


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", default=str(exp_dir()))
    ap.add_argument("--feats", default=str(feats_dir()))
    ap.add_argument("--lang", default=str(lang_dir()))
    ap.add_argument("--num-epochs", type=int, default=12)
    ap.add_argument("--max-frames", type=int, default=8000, help="padded input frames per batch")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--lr-steps", type=float, default=3000)
    ap.add_argument("--lr-epochs", type=float, default=3)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--keep-snapshots", type=int, default=30)
    ap.add_argument("--dev-every", type=int, default=500, help="quick dev WER every N steps (0: off)")
    ap.add_argument(
        "--ctc-weight",
        type=float,
        default=0.5,
        help="auxiliary CTC loss on encoder_out (training-only head, not exported)",
    )
    ap.add_argument("--spec-aug", type=float, default=0.5, help="probability per batch")
    ap.add_argument("--spec-aug-masks", type=int, default=2, help="frequency and time masks each")
    ap.add_argument("--spec-aug-freq", type=int, default=10, help="widest frequency mask (mel bins)")
    ap.add_argument(
        "--spec-aug-time", type=int, default=20, help="widest time mask (frames; also at most a tenth of the utterance)"
    )
    ap.add_argument(
        "--vtlp", type=float, default=0.0, help="probability per utterance of a vocal-tract-length warp of the fbank"
    )
    ap.add_argument("--vtlp-range", type=float, default=0.15, help="warp factors are drawn from [1 - r, 1 + r]")
    ap.add_argument(
        "--eq",
        type=float,
        default=0.0,
        help="probability per utterance of a random smooth spectral gain (speaker/channel)",
    )
    ap.add_argument(
        "--eq-db", type=float, default=6.0, help="largest first-term gain of --eq in dB (later terms are smaller)"
    )
    ap.add_argument(
        "--pruned-range",
        type=int,
        default=0,
        help="pruned RNN-T loss with this many label positions per frame (0: full loss); "
        "adds training-only simple heads, see pruned_rnnt.py",
    )
    ap.add_argument(
        "--simple-scale", type=float, default=0.5, help="weight of the simple loss (it trains the simple heads only)"
    )
    ap.add_argument(
        "--pruned-warmup",
        type=int,
        default=300,
        help="steps after the simple heads are created during which the full loss is "
        "kept and only the heads learn from the simple loss",
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument(
        "--amp",
        choices=("off", "bf16"),
        default="off",
        help="bf16: run the networks under bfloat16 autocast (CPUs with AVX512-BF16/AMX; "
        "~1.3x faster steps here), losses stay float32/float64",
    )
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (benchmarking)")
    ap.add_argument("--model-config", default="", help="JSON overrides of ModelConfig")
    ap.add_argument(
        "--dropout",
        type=float,
        default=None,
        help="override the model's dropout, also when resuming (the new value is saved "
        "with the checkpoints); default: the config's (0.1 for new runs)",
    )
    ap.add_argument(
        "--no-input-norm",
        action="store_true",
        help="do not measure the global fbank mean/std (new runs only; by default they "
        "are stored in the config, applied at the encoder input and folded into "
        "the first conv at export)",
    )
    ap.add_argument(
        "--ctc-weight-start",
        type=float,
        default=None,
        help="CTC weight at step 0, decaying linearly to --ctc-weight over --ctc-decay-steps",
    )
    ap.add_argument("--ctc-decay-steps", type=int, default=1000)
    ap.add_argument(
        "--sort-first-epoch",
        action="store_true",
        help="epoch 0 visits the batches shortest first (curriculum) instead of shuffled",
    )
    ap.add_argument(
        "--overfit",
        type=int,
        default=0,
        help="sanity check: train on the first N usable training utterances and report WER on the same utterances",
    )
    ap.add_argument("--dev-utts", type=int, default=200, help="utterances in the quick dev WER")
    ap.add_argument(
        "--init-from",
        default="",
        help="new runs only: start from this checkpoint's weights and config (e.g. "
        "import_ncnn.py's), at its step and epoch, with a fresh optimizer; the CTC "
        "and simple heads start as the joiner without tanh",
    )
    ap.add_argument(
        "--ctc-head-warmup",
        type=int,
        default=1000,
        help="after --init-from: steps during which the CTC loss trains only the CTC head",
    )
    ap.add_argument(
        "--max-minutes",
        type=float,
        default=0,
        help="stop (after a checkpoint) once this many minutes of training have passed",
    )
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # settable once per process; a second main() (tests) keeps the first
        pass
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.lang, "bpe.model"))
    tokens = read_tokens(os.path.join(args.lang, "tokens.txt"))
    exp = Path(args.exp)
    (exp / "snapshots").mkdir(parents=True, exist_ok=True)

    latest = exp / "checkpoint-latest.pt"
    state = torch.load(latest, map_location="cpu", weights_only=False) if latest.exists() else None
    init = None
    if state is None and args.init_from:
        init = torch.load(args.init_from, map_location="cpu", weights_only=False)
    if state is not None:
        cfg = ModelConfig(**state["config"])
    elif init is not None:
        cfg = ModelConfig(**init["config"])
    else:
        over = json.loads(args.model_config or "{}")
        if not args.no_input_norm and "input_mean" not in over:
            arr, _ = load_split("train", args.feats)
            sub = np.asarray(arr[:: max(1, len(arr) // 500000)], dtype=np.float64)
            over["input_mean"] = round(float(sub.mean()), 4)
            over["input_std"] = round(float(sub.std()), 4)
            log(f"input normalisation (global fbank mean/std): {over['input_mean']} / {over['input_std']}")
        cfg = ModelConfig(vocab_size=sp.get_piece_size(), **over)
    if args.dropout is not None and args.dropout != cfg.dropout:
        log(f"dropout {cfg.dropout} -> {args.dropout}")
        cfg.dropout = args.dropout
    assert cfg.vocab_size == len(tokens)
    torch.manual_seed(args.seed)
    model = Transducer(cfg)
    # auxiliary CTC head on encoder_out: speeds up alignment learning; dropped at export
    ctc_head = torch.nn.Linear(cfg.encoder_dim, cfg.vocab_size)
    # simple heads of the pruned loss (am on encoder_out, lm on decoder_out); dropped at export
    simple_heads = torch.nn.ModuleDict(
        {"am": torch.nn.Linear(cfg.encoder_dim, cfg.vocab_size), "lm": torch.nn.Linear(cfg.decoder_dim, cfg.vocab_size)}
    )
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    step, epoch, batch_pos = 0, 0, 0
    # --init-from: the optimizer starts afresh there, so the lr warms up again from that step
    restart_step = (state or {}).get("restart_step")
    heads = [list(ctc_head.parameters()), list(simple_heads.parameters())]
    if state is not None:
        model.load_state_dict(state["model"])
        # param groups: model, CTC head, simple heads; older checkpoints lack the later ones
        have = 1 + ("ctc_head" in state) + ("simple_heads" in state)
        for g in heads[: have - 1]:
            opt.add_param_group({"params": g})
        opt.load_state_dict(state["optimizer"])
        for g in heads[have - 1 :]:
            opt.add_param_group({"params": g})
        if "ctc_head" in state:
            ctc_head.load_state_dict(state["ctc_head"])
        if "simple_heads" in state:
            simple_heads.load_state_dict(state["simple_heads"])
        else:
            init_simple_heads(simple_heads, model.joiner)
        step, epoch, batch_pos = state["step"], state["epoch"], state["batch_pos"]
        log(f"resumed from {latest}: epoch {epoch} batch {batch_pos} step {step}")
    else:
        if init is not None:
            model.load_state_dict(init["model"])
            step, epoch = int(init.get("step", 0)), int(init.get("epoch", 0))
            restart_step = step
        init_simple_heads(simple_heads, model.joiner)
        if init is not None:
            # nearer a CTC head than a random one, but still far (~10 nats/token): the CTC
            # loss trains it alone for --ctc-head-warmup steps (below)
            ctc_head.load_state_dict(simple_heads["am"].state_dict())
            log(f"initialised from {args.init_from} at epoch {epoch} step {step}")
        for g in heads:
            opt.add_param_group({"params": g})
    # first step of the pruned loss: saved with the simple heads, else after their warm-up
    prune_from = (state or {}).get("prune_from", step + args.pruned_warmup)
    with open(exp / "config.json", "w") as f:
        json.dump({"model": cfg.to_dict(), "train_args": vars(args)}, f, indent=1)
    log(
        f"model parameters: {count_parameters(model):,} (encoder {count_parameters(model.encoder):,}, "
        f"decoder {count_parameters(model.decoder):,}, joiner {count_parameters(model.joiner):,})"
    )

    t_load = time.time()
    train = Split("train", sp, args.feats)
    dev = Split("dev", sp, args.feats)
    usable = [i for i in range(len(train)) if 0 < len(train.ids[i]) <= ((train.items[i][1] - 3) // 2 - 1) // 2]
    if args.overfit:
        usable = usable[: args.overfit]
        dev = train  # WER on the very utterances it trains on
        log(f"OVERFIT CHECK on {len(usable)} training utterances")
    log(f"loaded train {len(train)} ({len(usable)} usable), dev {len(dev)} in {time.time() - t_load:.0f}s")
    batches = make_batches(train, args.max_frames, usable)
    total_frames = sum(train.items[i][1] for i in usable)
    model.train()
    t_ckpt = time.time()
    t_start = time.time()
    acc_loss = acc_tok = acc_frames = acc_ctc = acc_simple = 0.0
    t_log = time.time()

    def checkpoint(pos, ep):
        nonlocal t_ckpt
        save_atomic(
            {
                "model": model.state_dict(),
                "optimizer": opt.state_dict(),
                "config": cfg.to_dict(),
                "ctc_head": ctc_head.state_dict(),
                "simple_heads": simple_heads.state_dict(),
                "prune_from": prune_from,
                "restart_step": restart_step,
                "step": step,
                "epoch": ep,
                "batch_pos": pos,
            },
            latest,
        )
        save_atomic(
            {"model": model.state_dict(), "config": cfg.to_dict(), "step": step, "epoch": ep},
            exp / "snapshots" / f"step-{step:07d}.pt",
        )
        snaps = sorted((exp / "snapshots").glob("step-*.pt"))
        for old in snaps[: -args.keep_snapshots]:
            old.unlink()
        t_ckpt = time.time()
        log(f"checkpoint saved: step {step} epoch {ep} batch {pos}")

    while epoch < args.num_epochs:
        order = list(range(len(batches)))
        if epoch == 0 and args.sort_first_epoch:
            order.sort(key=lambda k: max(train.items[i][1] for i in batches[k]))
        else:
            random.Random(args.seed + epoch).shuffle(order)
        rng = random.Random(args.seed * 1000 + epoch * 7 + batch_pos)
        for pos in range(batch_pos, len(order)):
            b = batches[order[pos]]
            x, xl = train.get(b)
            if args.spec_aug > 0 and rng.random() < args.spec_aug:
                x = spec_augment(x, xl, rng, args.spec_aug_masks, args.spec_aug_freq, args.spec_aug_time)
            if args.vtlp > 0:
                x = vtlp(x, rng, args.vtlp, 1.0 - args.vtlp_range, 1.0 + args.vtlp_range)
            if args.eq > 0:
                x = random_eq(x, rng, args.eq, args.eq_db)
            tg, ul, ys_in = padded_targets(train, b)
            epoch_f = epoch + pos / len(order)
            lr = eden_lr(args.lr, step, epoch_f, args.warmup, args.lr_steps, args.lr_epochs)
            if restart_step is not None:
                lr *= min(1.0, (step - restart_step + 1) / args.warmup)
            for g in opt.param_groups:
                g["lr"] = lr
            ctc_w = args.ctc_weight
            if args.ctc_weight_start is not None:
                a = min(1.0, step / max(1, args.ctc_decay_steps))
                ctc_w = args.ctc_weight_start + a * (args.ctc_weight - args.ctc_weight_start)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.amp == "bf16"):
                enc, el, loss, simple = transducer_losses(
                    model,
                    simple_heads,
                    x,
                    xl,
                    tg,
                    ul,
                    ys_in,
                    args.pruned_range,
                    pruned=args.pruned_range > 0 and step >= prune_from,
                )
                total = loss
                if simple is not None:
                    total = total + args.simple_scale * simple
                    acc_simple += float(simple.detach())
                if ctc_w > 0:
                    # after --init-from the CTC head first learns on its own (detached input):
                    # started from the joiner it is far from a CTC head (loss ~10/token)
                    ctc_in = (
                        enc.detach() if restart_step is not None and step < restart_step + args.ctc_head_warmup else enc
                    )
                    logits = ctc_head(torch.nn.functional.dropout(ctc_in, 0.1)).float()
                    lp = torch.log_softmax(logits, dim=-1)
                    ctc = torch.nn.functional.ctc_loss(
                        lp.transpose(0, 1), tg, el, ul, blank=0, reduction="sum", zero_infinity=True
                    )
                    total = total + ctc_w * ctc
                    acc_ctc += float(ctc.detach())
            opt.zero_grad(set_to_none=True)
            (total / len(b)).backward()
            gn = torch.nn.utils.clip_grad_norm_(
                list(model.parameters()) + list(ctc_head.parameters()) + list(simple_heads.parameters()), args.clip
            )
            if torch.isfinite(gn):
                opt.step()
            else:
                log(f"non-finite grad at step {step}, skipped")
            step += 1
            acc_loss += float(loss.detach())
            acc_tok += float(ul.sum())
            acc_frames += float(xl.sum())
            if step % args.log_every == 0:
                dt = time.time() - t_log
                log(
                    f"epoch {epoch} batch {pos + 1}/{len(order)} step {step} loss/token {acc_loss / acc_tok:.4f} "
                    f"ctc/token {acc_ctc / acc_tok:.4f} "
                    + (f"simple/token {acc_simple / acc_tok:.4f} " if args.pruned_range else "")
                    + f"lr {lr:.2e} grad {float(gn):.2f} speed {acc_frames / 100 / dt:.1f}x realtime"
                )
                acc_loss = acc_tok = acc_frames = acc_ctc = acc_simple = 0.0
                t_log = time.time()
            if args.dev_every and step % args.dev_every == 0:
                (w, e, n), qp = evaluate_wer(model, dev, tokens, max_utts=args.dev_utts)
                log(
                    f"quick dev WER ({args.dev_utts} utts) at step {step}: {100 * w:.2f}% ({e}/{n}); "
                    f"{time.time() - t_start:.0f}s"
                )
                for r, h in qp[:2]:
                    log(f"  REF: {r}\n           HYP: {h}")
                with open(exp / "dev_wer.tsv", "a") as f:
                    f.write(f"step\t{step}\t{epoch_f:.3f}\t{100 * w:.2f}\t{args.dev_utts}utts\n")
            if time.time() - t_ckpt > args.ckpt_minutes * 60:
                checkpoint(pos + 1, epoch)
            if args.max_steps and step >= args.max_steps:
                log(f"max steps reached; {time.time() - t_start:.0f}s")
                return
            if args.max_minutes and time.time() - t_start > args.max_minutes * 60:
                checkpoint(pos + 1, epoch)
                log(f"max minutes reached at step {step}; {time.time() - t_start:.0f}s")
                return
        epoch += 1
        batch_pos = 0
        checkpoint(0, epoch)
        save_atomic(
            {"model": model.state_dict(), "config": cfg.to_dict(), "step": step, "epoch": epoch},
            exp / f"epoch-{epoch}.pt",
        )
        (w, e, n), pairs = evaluate_wer(model, dev, tokens, max_utts=args.overfit or None)
        log(f"epoch {epoch} done (step {step}, {total_frames / 360000:.1f} h/epoch): dev WER {100 * w:.2f}% ({e}/{n})")
        for r, h in pairs[:3]:
            log(f"  REF: {r}\n           HYP: {h}")
        with open(exp / "dev_wer.tsv", "a") as f:
            f.write(f"epoch\t{step}\t{epoch}\t{100 * w:.2f}\tfull\n")
    log("training finished")


if __name__ == "__main__":
    main()
