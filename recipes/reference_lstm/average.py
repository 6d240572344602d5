"""Stage 5: average model weights of several checkpoints -> EXP/averaged.pt.

  python -m recipes.reference_lstm.average [--last 5] [--epochs 4,5,6]

Default: the last --last periodic snapshots (EXP/snapshots/step-*.pt). With --epochs,
averages EXP/epoch-<E>.pt instead.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from .common import exp_dir


def average_state_dicts(paths):
    avg, meta = None, None
    for p in paths:
        st = torch.load(p, map_location="cpu", weights_only=False)
        sd = st["model"]
        if avg is None:
            avg = {k: v.detach().clone().double() if v.is_floating_point() else v.clone() for k, v in sd.items()}
            meta = st
        else:
            for k, v in sd.items():
                if v.is_floating_point():
                    avg[k] += v.double()
    n = len(paths)
    out = {k: (v / n).float() if v.is_floating_point() else v for k, v in avg.items()}
    return out, meta


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", default=str(exp_dir()))
    ap.add_argument("--last", type=int, default=5)
    ap.add_argument("--epochs", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    exp = Path(args.exp)
    if args.epochs:
        paths = [exp / f"epoch-{e}.pt" for e in args.epochs.split(",")]
    else:
        paths = sorted((exp / "snapshots").glob("step-*.pt"))[-args.last:]
    if not paths:
        raise SystemExit(f"no checkpoints found in {exp}")
    sd, meta = average_state_dicts(paths)
    out = Path(args.out) if args.out else exp / "averaged.pt"
    torch.save({"model": sd, "config": meta["config"], "averaged_from": [str(p) for p in paths],
                "step": meta.get("step"), "epoch": meta.get("epoch")}, out)
    print(f"averaged {len(paths)} checkpoints -> {out}")
    for p in paths:
        print("  ", p)


if __name__ == "__main__":
    main()
