"""Training-step time, full RNN-T loss vs the pruned loss, on the same dev batches.

  python -m recipes.reference_lstm.bench_loss [--checkpoint EXP/checkpoint-latest.pt]
      [--batches 4] [--rounds 3] [--threads 2] [--pruned-range 5]

One step = encoder + decoder forward, loss, backward (no optimiser update). Both losses run
interleaved on each batch; the table shows the best of --rounds per batch and the ratio.
Without --checkpoint a freshly initialised default model is used (the joiner's cost does
not depend on the weights, the pruning windows do).
"""
from __future__ import annotations

import argparse
import time

import torch

from .common import feats_dir, lang_dir
from .model import ModelConfig, Transducer
from .pruned_rnnt import pruned_rnnt_loss
from .rnnt_loss import rnnt_loss
from .train import Split, init_simple_heads, make_batches, padded_targets


def batch_tensors(split, b):
    x, xl = split.get(b)
    return (x, xl) + padded_targets(split, b)


def step_seconds(model, heads, batch, pruned_range):
    x, xl, tg, ul, ys_in = batch
    t0 = time.perf_counter()
    enc, el = model.forward_encoder(x, xl)
    dec = model.decoder(ys_in)
    if pruned_range:
        simple, pruned = pruned_rnnt_loss(enc, dec, model.joiner, heads["am"](enc), heads["lm"](dec),
                                          tg, el, ul, pruned_range)
        loss = pruned.sum() + 0.5 * simple.sum()
    else:
        loss = rnnt_loss(model.joint_logits_from_decoder(enc, dec), tg, el, ul, reduction="sum")
    loss.backward()
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
    heads = torch.nn.ModuleDict({"am": torch.nn.Linear(cfg.encoder_dim, cfg.vocab_size),
                                 "lm": torch.nn.Linear(cfg.decoder_dim, cfg.vocab_size)})
    init_simple_heads(heads, model.joiner)
    dev = Split("dev", sp, args.feats)
    all_b = make_batches(dev, args.max_frames, list(range(len(dev))))
    pick = [all_b[round(i * (len(all_b) - 1) / max(1, args.batches - 1))] for i in range(args.batches)]
    print(f"| batch | utts | frames (padded) | max tokens | full s | pruned (S={args.pruned_range}) s | full / pruned |")
    print("|---|---|---|---|---|---|---|")
    tot_f = tot_p = 0.0
    for k, b in enumerate(pick):
        batch = batch_tensors(dev, b)
        full, pruned = [], []
        for _ in range(args.rounds):
            full.append(step_seconds(model, heads, batch, 0))
            pruned.append(step_seconds(model, heads, batch, args.pruned_range))
        f, p = min(full), min(pruned)
        tot_f += f
        tot_p += p
        print(f"| {k} | {len(b)} | {batch[0].shape[1]} | {int(batch[3].max())} | {f:.3f} | {p:.3f} | {f / p:.2f} |")
    print(f"| all | | | | {tot_f:.3f} | {tot_p:.3f} | {tot_f / tot_p:.2f} |")


if __name__ == "__main__":
    main()
