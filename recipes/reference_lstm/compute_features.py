"""Stage 3: fbank features (80-dim, Kaldi-compatible, as the runtime) for every split.

Writes $NCASR_RECIPE_DIR/feats/<split>.npy (all frames concatenated, float16) and
<split>.index.tsv (offset, num_frames, text). Resumable per split.

  python -m recipes.reference_lstm.compute_features [--jobs 2]
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


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(corpus_dir()))
    ap.add_argument("--out", default=str(feats_dir()))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--splits", default=",".join(SPLITS))
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for split in args.splits.split(","):
        npy = os.path.join(args.out, f"{split}.npy")
        idx = os.path.join(args.out, f"{split}.index.tsv")
        if os.path.exists(npy) and os.path.exists(idx):
            print(f"{split}: exists, skipping")
            continue
        rows = read_manifest(os.path.join(args.corpus, f"{split}.tsv"))
        t0 = time.time()
        with Pool(args.jobs) as pool:
            feats = pool.map(_one, [r[0] for r in rows], chunksize=32)
        offs, off = [], 0
        for f in feats:
            offs.append(off)
            off += len(f)
        allf = np.concatenate(feats, axis=0)
        np.save(npy + ".tmp.npy", allf)
        os.replace(npy + ".tmp.npy", npy)
        with open(idx + ".tmp", "w") as f:
            f.write("offset\tframes\ttext\n")
            for o, fe, r in zip(offs, feats, rows):
                f.write(f"{o}\t{len(fe)}\t{r[2]}\n")
        os.replace(idx + ".tmp", idx)
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
