"""Stage 3: fbank features (80-dim, Kaldi-compatible, as the runtime) for every split.

Writes $NCASR_RECIPE_DIR/feats/<split>.npy (all frames concatenated, float16) and
<split>.index.tsv (offset, num_frames, text). Resumable per split.

  python -m recipes.reference_lstm.compute_features [--jobs 2] [--reuse OLD_FEATS]

--reuse: after `prepare_corpus --extend`, a manifest starts with the old corpus's rows in the
same order; their frames are copied from OLD_FEATS and only the new rows are computed (the
result equals a full run).
"""

from __future__ import annotations

import argparse
import os
import time
from multiprocessing import Pool

import numpy as np

from .common import SPLITS, corpus_dir, feats_dir, read_manifest
from .features import compute_fbank, load_wav


def _one(path):
    return compute_fbank(load_wav(path)).astype(np.float16)


def reusable_prefix(old_dir, split, rows):
    """(old frames, old index items) when OLD_DIR's index is a prefix of `rows` by text;
    (None, []) when OLD_DIR lacks the split; an error for a different corpus."""
    if not os.path.exists(os.path.join(old_dir, f"{split}.index.tsv")):
        return None, []
    arr, items = load_split(split, old_dir)
    if len(items) > len(rows) or any(t != r[2] for (_, _, t), r in zip(items, rows)):
        raise SystemExit(f"--reuse {old_dir}: {split}.index.tsv is not a prefix of the {split} manifest")
    if items and len(arr) != items[-1][0] + items[-1][1]:
        raise SystemExit(
            f"--reuse {old_dir}: {split}.npy has {len(arr)} frames, its index says {items[-1][0] + items[-1][1]}"
        )
    return arr, items


def write_features(npy, old, new_feats):
    """old frames then new_feats into npy through a memmap (no second copy in memory)."""
    total = (0 if old is None else len(old)) + sum(len(f) for f in new_feats)
    tmp = npy + ".tmp.npy"
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(total, 80))
    off = 0
    if old is not None:
        off = len(old)
        for i in range(0, off, 1 << 20):  # copy in slices: old is a memmap
            out[i : min(i + (1 << 20), off)] = old[i : i + (1 << 20)]
    for f in new_feats:
        out[off : off + len(f)] = f
        off += len(f)
    out.flush()
    del out
    os.replace(tmp, npy)
    return off


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(corpus_dir()))
    ap.add_argument("--out", default=str(feats_dir()))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--splits", default=",".join(SPLITS))
    ap.add_argument("--reuse", default=None, help="features of a corpus this one extends")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for split in args.splits.split(","):
        npy = os.path.join(args.out, f"{split}.npy")
        idx = os.path.join(args.out, f"{split}.index.tsv")
        if os.path.exists(npy) and os.path.exists(idx):
            print(f"{split}: exists, skipping")
            continue
        rows = read_manifest(os.path.join(args.corpus, f"{split}.tsv"))
        old, old_items = reusable_prefix(args.reuse, split, rows) if args.reuse else (None, [])
        t0 = time.time()
        with Pool(args.jobs) as pool:
            feats = pool.map(_one, [r[0] for r in rows[len(old_items) :]], chunksize=32)
        lens = [n for _, n, _ in old_items] + [len(f) for f in feats]
        off = write_features(npy, old, feats)
        offs = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(int) if lens else []
        with open(idx + ".tmp", "w") as f:
            f.write("offset\tframes\ttext\n")
            for o, n, r in zip(offs, lens, rows):
                f.write(f"{o}\t{n}\t{r[2]}\n")
        os.replace(idx + ".tmp", idx)
        if old_items:
            print(f"{split}: reused {len(old_items)} utts from {args.reuse}, computed {len(feats)}")
        print(f"{split}: {len(rows)} utts, {off} frames ({off / 360000:.2f} h) in {time.time() - t0:.0f}s")


def load_split(split, fdir=None):
    """Returns (feats_memmap (N_frames, 80) float16, [(offset, frames, text)])."""
    fdir = fdir or str(feats_dir())
    arr = np.load(os.path.join(fdir, f"{split}.npy"), mmap_mode="r")
    items = []
    with open(os.path.join(fdir, f"{split}.index.tsv")) as f:
        f.readline()
        for line in f:
            o, n, t = line.rstrip("\n").split("\t", 2)
            items.append((int(o), int(n), t))
    return arr, items


if __name__ == "__main__":
    main()
