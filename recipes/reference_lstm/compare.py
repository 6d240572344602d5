"""Is checkpoint B really better than A? A paired bootstrap over utterances of two hyps files
(evaluate.py's hyps_<what>_<split>.txt, same split in the same order).

  python -m recipes.reference_lstm.compare A/hyps_torch_test.txt B/hyps_torch_test.txt

Prints both WERs, B - A, its 95 % interval and how often B was better over resamples of the
utterances. Errors are counted per utterance once; each resample draws utterances with
replacement and pairs A's and B's errors on the same draws, so the sentences both get wrong
do not count as noise twice. On the 200-utterance test split the interval is about ±1.8
points, so gains smaller than that are not re-bundled.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .common import corpus_wer


def read_hyps(path) -> list[tuple[str, str]]:
    """(ref, hyp) pairs from REF:/HYP: line pairs."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if len(lines) % 2 or any(
        not r.startswith("REF:") or not h.startswith("HYP:") for r, h in zip(lines[::2], lines[1::2])
    ):
        raise ValueError(f"{path}: not REF:/HYP: line pairs")
    return [(r[len("REF:") :].strip(), h[len("HYP:") :].strip()) for r, h in zip(lines[::2], lines[1::2])]


def paired_bootstrap(a, b, rounds: int = 2000, seed: int = 0) -> dict:
    """a, b: (ref, hyp) pairs of the same utterances. WERs in %, B - A with its 2.5/97.5 %
    percentiles over `rounds` resamples, and the share of resamples where B is better."""
    if len(a) != len(b) or any(x[0] != y[0] for x, y in zip(a, b)):
        raise ValueError("the two files do not hold the same references in the same order")
    ea = np.array([corpus_wer([p])[1] for p in a], dtype=np.float64)
    eb = np.array([corpus_wer([p])[1] for p in b], dtype=np.float64)
    n = np.array([len(r.split()) for r, _ in a], dtype=np.float64)
    idx = np.random.default_rng(seed).integers(0, len(a), size=(rounds, len(a)))
    words = n[idx].sum(1)
    delta = 100 * (eb[idx].sum(1) - ea[idx].sum(1)) / words
    return {
        "wer_a": 100 * ea.sum() / n.sum(),
        "wer_b": 100 * eb.sum() / n.sum(),
        "delta": 100 * (eb.sum() - ea.sum()) / n.sum(),
        "low": float(np.percentile(delta, 2.5)),
        "high": float(np.percentile(delta, 97.5)),
        "p_b_better": float((delta < 0).mean()),
        "utts": len(a),
        "words": int(n.sum()),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args(argv)
    r = paired_bootstrap(read_hyps(args.a), read_hyps(args.b), args.rounds)
    print(
        f"{r['utts']} utterances, {r['words']} words: A {r['wer_a']:.2f} %, B {r['wer_b']:.2f} %, "
        f"B - A {r['delta']:+.2f} (95 % interval {r['low']:+.2f} … {r['high']:+.2f}), "
        f"B better in {100 * r['p_b_better']:.1f} % of {args.rounds} resamples"
    )
    return r


if __name__ == "__main__":
    main()
