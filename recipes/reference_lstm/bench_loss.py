"""Training-step time: full RNN-T loss vs the pruned loss, and the pruned loss under bf16
autocast (train --amp bf16), on the same dev batches.

  python -m recipes.reference_lstm.bench_loss [--checkpoint EXP/checkpoint-latest.pt]
      [--batches 4] [--rounds 3] [--threads 2] [--pruned-range 5]

One step = encoder + decoder forward, loss, backward (no optimiser update), as train.py runs
it (train.transducer_losses). The three variants run interleaved on each batch; the table
shows the best of --rounds per batch and the ratios against the full loss.
Without --checkpoint a freshly initialised default model is used (the joiner's cost does
not depend on the weights, the pruning windows do).
"""

from __future__ import annotations

import argparse
import time

import torch

from .common import feats_dir, lang_dir
from .model import ModelConfig, Transducer
from .train import Split, init_simple_heads, make_batches, padded_targets, transducer_losses


def batch_tensors(split, b):
    x, xl = split.get(b)
    return (x, xl) + padded_targets(split, b)


def step_seconds(model, heads, batch, pruned_range, bf16=False):
    x, xl, tg, ul, ys_in = batch
    t0 = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        _, _, loss, simple = transducer_losses(
            model, heads, x, xl, tg, ul, ys_in, pruned_range, pruned=pruned_range > 0
        )
    (loss + 0.5 * simple if simple is not None else loss).backward()
    model.zero_grad(set_to_none=True)
    heads.zero_grad(set_to_none=True)
    return time.perf_counter() - t0


def main(argv=None):
    import sentencepiece as spm

    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default="")
    ap.add_argument("--feats", default=str(feats_dir()))
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pruned-range", type=int, default=5)
    ap.add_argument("--max-frames", type=int, default=8000)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    sp = spm.SentencePieceProcessor(model_file=str(lang_dir() / "bpe.model"))
    if args.checkpoint:
        st = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
        model = Transducer(ModelConfig(**st["config"]))
        model.load_state_dict(st["model"])
    else:
        model = Transducer(ModelConfig(vocab_size=sp.get_piece_size()))
    model.train()
    cfg = model.cfg
    heads = torch.nn.ModuleDict(
        {"am": torch.nn.Linear(cfg.encoder_dim, cfg.vocab_size), "lm": torch.nn.Linear(cfg.decoder_dim, cfg.vocab_size)}
    )
    init_simple_heads(heads, model.joiner)
    dev = Split("dev", sp, args.feats)
    all_b = make_batches(dev, args.max_frames, list(range(len(dev))))
    pick = [all_b[round(i * (len(all_b) - 1) / max(1, args.batches - 1))] for i in range(args.batches)]
    print(
        f"| batch | utts | frames (padded) | max tokens | full s | pruned (S={args.pruned_range}) s "
        "| pruned bf16 s | full / pruned | full / pruned bf16 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    tot = [0.0, 0.0, 0.0]
    for k, b in enumerate(pick):
        batch = batch_tensors(dev, b)
        runs = [[], [], []]
        for _ in range(args.rounds):
            runs[0].append(step_seconds(model, heads, batch, 0))
            runs[1].append(step_seconds(model, heads, batch, args.pruned_range))
            runs[2].append(step_seconds(model, heads, batch, args.pruned_range, bf16=True))
        f, p, q = (min(r) for r in runs)
        tot = [tot[0] + f, tot[1] + p, tot[2] + q]
        print(
            f"| {k} | {len(b)} | {batch[0].shape[1]} | {int(batch[3].max())} | {f:.3f} | {p:.3f} | {q:.3f} "
            f"| {f / p:.2f} | {f / q:.2f} |"
        )
    f, p, q = tot
    print(f"| all | | | | {f:.3f} | {p:.3f} | {q:.3f} | {f / p:.2f} | {f / q:.2f} |")


if __name__ == "__main__":
    main()
