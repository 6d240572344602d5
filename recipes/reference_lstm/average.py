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

# Config fields that change no weight shape or value: runs that differ only here can be averaged.
_NO_WEIGHT_FIELDS = {"dropout"}


def _architecture(config):
    return {k: v for k, v in config.items() if k not in _NO_WEIGHT_FIELDS}


def average_state_dicts(paths):
    """Averages the checkpoints' weights; SystemExit names the first whose architecture
    differs from paths[0]'s (runs forked from one checkpoint may differ only in dropout)."""
    avg, meta = None, None
    for p in paths:
        st = torch.load(p, map_location="cpu", weights_only=False)
        sd = st["model"]
        if meta is not None:
            # fields an older checkpoint lacks were at their defaults then: compare the shared ones
            a, b = _architecture(meta["config"]), _architecture(st["config"])
            diff = sorted(k for k in set(a) & set(b) if a[k] != b[k])
            if diff:
                raise SystemExit(f"{p}: architecture differs from {paths[0]} in {', '.join(diff)}")
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
    ap.add_argument(
        "--exp",
        action="append",
        default=None,
        help="experiment folder; repeat to average across runs (default: NCASR_RECIPE_EXP)",
    )
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
            found = sorted((exp / "snapshots").glob("step-*.pt"))[-args.last :]
        if not found:
            raise SystemExit(f"no checkpoints found in {exp}")
        paths += found
    sd, meta = average_state_dicts(paths)
    out = Path(args.out) if args.out else exps[0] / "averaged.pt"
    torch.save(
        {
            "model": sd,
            "config": meta["config"],
            "averaged_from": [str(p) for p in paths],
            "step": meta.get("step"),
            "epoch": meta.get("epoch"),
        },
        out,
    )
    print(f"averaged {len(paths)} checkpoints -> {out}")
    for p in paths:
        print("  ", p)


if __name__ == "__main__":
    main()
