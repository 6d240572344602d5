"""Stage 5: average model weights of several checkpoints -> EXP/averaged.pt.

  python -m recipes.reference_lstm.average [--last 5] [--epochs 4,5,6]
  python -m recipes.reference_lstm.average --exp EXP_A --exp EXP_B --last 8 --out soup.pt

Default: the last --last periodic snapshots (EXP/snapshots/step-*.pt). With --epochs,
averages EXP/epoch-<E>.pt instead. --exp may be given several times to average runs that
forked from one checkpoint (a "model soup"): each folder gives its own last --last
snapshots, and every architecture field of their configs must agree (dropout may differ;
it holds no weights).
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


# Config fields that change no weight shape or value: runs that differ only here can be averaged.
_NO_WEIGHT_FIELDS = {"dropout"}


def check_same_architecture(paths):
    """Raises SystemExit naming the first checkpoint whose architecture differs from paths[0]'s."""
    ref = None
    for p in paths:
        cfg = torch.load(p, map_location="cpu", weights_only=False)["config"]
        arch = {k: v for k, v in cfg.items() if k not in _NO_WEIGHT_FIELDS}
        if ref is None:
            ref = arch
        elif arch != ref:
            diff = sorted(k for k in set(ref) | set(arch) if ref.get(k) != arch.get(k))
            raise SystemExit(f"{p}: architecture differs from {paths[0]} in {', '.join(diff)}")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--exp", action="append", default=None,
                    help="experiment folder; repeat to average across runs (default: NCASR_RECIPE_EXP)")
    ap.add_argument("--last", type=int, default=5)
    ap.add_argument("--epochs", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    exps = [Path(e) for e in (args.exp or [str(exp_dir())])]
    paths = []
    for exp in exps:
        if args.epochs:
            found = [exp / f"epoch-{e}.pt" for e in args.epochs.split(",")]
        else:
            found = sorted((exp / "snapshots").glob("step-*.pt"))[-args.last:]
        if not found:
            raise SystemExit(f"no checkpoints found in {exp}")
        paths += found
    if len(exps) > 1:
        check_same_architecture(paths)
    sd, meta = average_state_dicts(paths)
    out = Path(args.out) if args.out else exps[0] / "averaged.pt"
    torch.save({"model": sd, "config": meta["config"], "averaged_from": [str(p) for p in paths],
                "step": meta.get("step"), "epoch": meta.get("epoch")}, out)
    print(f"averaged {len(paths)} checkpoints -> {out}")
    for p in paths:
        print("  ", p)


if __name__ == "__main__":
    main()
