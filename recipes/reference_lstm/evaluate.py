"""Stage 7: WER and CER (greedy, 1 symbol per frame) of a checkpoint and/or the exported ncnn model.

  python -m recipes.reference_lstm.evaluate [--checkpoint EXP/averaged.pt] [--splits dev,test]
  python -m recipes.reference_lstm.evaluate --ncnn EXP/ncnn [--splits test] [--max-utts 200]

PyTorch: full-utterance encoder on precomputed features (== streaming, see test_recipe.py).
ncnn (PyPI `ncnn`, stock layers; the SherpaMetaData line is skipped when loading): features
computed from the wavs exactly as the runtime (kaldi-native-fbank, 0.3 s tail padding like
sherpa-ncnn's CLI), encoder fed 9-frame segments with 4-frame offset and carried states,
greedy search with the decoder/joiner nets. Writes EXP/wer_<what>_<split>.txt (+ hyps).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from .common import (
    corpus_cer,
    corpus_dir,
    corpus_wer,
    exp_dir,
    feats_dir,
    lang_dir,
    read_manifest,
    read_tokens,
    tokens_to_text,
    tsv_rows,
)


def eval_torch(ckpt, splits, max_utts):
    import sentencepiece as spm

    from .export import load_model
    from .train import Split, evaluate_wer

    model = load_model(ckpt)
    sp = spm.SentencePieceProcessor(model_file=str(lang_dir() / "bpe.model"))
    tokens = read_tokens(lang_dir() / "tokens.txt")
    res = {}
    for s in splits:
        split = Split(s, sp, str(feats_dir()), in_ram=False)
        t0 = time.time()
        (w, e, n), pairs = evaluate_wer(model, split, tokens, max_utts=max_utts or None)
        res[s] = {
            "wer": round(100 * w, 2),
            "cer": round(100 * corpus_cer(pairs), 2),
            "errors": e,
            "words": n,
            "utts": len(pairs),
            "seconds": round(time.time() - t0, 1),
            "by_voice": wer_by_voice(pairs, s),
        }
        write_hyps(exp_dir() / f"hyps_torch_{s}.txt", pairs)
    return res


def strip_meta_data(param):
    """A temporary copy of param without the SherpaMetaData line (PyPI's ncnn does not know
    it), layer count fixed; the caller removes it."""
    lines = Path(param).read_text().splitlines()
    body = [l for l in lines[2:] if l.strip() and l.split()[0] != "SherpaMetaData"]
    fd, tmp = tempfile.mkstemp(suffix=".param")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join([lines[0], f"{len(body)} {lines[1].split()[1]}"] + body) + "\n")
    return tmp


class NcnnTransducer:
    def __init__(self, d, threads=1):
        from .export import ncnn_net

        d = Path(d)
        self.nets = {}
        for k in ("encoder", "decoder", "joiner"):
            p = strip_meta_data(d / f"{k}_jit_trace-pnnx.ncnn.param")
            self.nets[k] = ncnn_net(p, str(d / f"{k}_jit_trace-pnnx.ncnn.bin"))
            self.nets[k].opt.num_threads = threads
            os.remove(p)
        meta = [
            l
            for l in (d / "encoder_jit_trace-pnnx.ncnn.param").read_text().splitlines()
            if l.startswith("SherpaMetaData")
        ][0]
        kv = dict(x.split("=") for x in meta.split()[4:])
        self.L, self.D, self.H = int(kv["1"]), int(kv["2"]), int(kv["3"])
        self.tokens = read_tokens(d / "tokens.txt")

    def decode(self, feats):
        from .export import ncnn_run

        h = np.zeros((self.L, self.D), np.float32)
        c = np.zeros((self.L, self.H), np.float32)
        hyp = [0, 0]
        (dec,) = ncnn_run(self.nets["decoder"], {"in0": np.array(hyp[-2:], np.int32)}, ["out0"])
        s = 0
        while s + 9 <= len(feats):
            o, _, h, c = ncnn_run(
                self.nets["encoder"],
                {"in0": feats[s : s + 9], "in1": np.array([9], np.float32), "in2": h, "in3": c},
                ["out0", "out1", "out2", "out3"],
            )
            h = h.reshape(self.L, self.D)
            c = c.reshape(self.L, self.H)
            for frame in o.reshape(-1, self.D):
                (lg,) = ncnn_run(self.nets["joiner"], {"in0": frame[None], "in1": dec.reshape(1, -1)}, ["out0"])
                y = int(np.argmax(lg))
                if y not in (0, 2):
                    hyp.append(y)
                    (dec,) = ncnn_run(self.nets["decoder"], {"in0": np.array(hyp[-2:], np.int32)}, ["out0"])
            s += 4
        return tokens_to_text(self.tokens, hyp[2:])


def eval_ncnn(d, splits, max_utts, threads=1):
    from .features import compute_fbank, load_wav

    m = NcnnTransducer(d, threads)
    res = {}
    for s in splits:
        rows = read_manifest(corpus_dir() / f"{s}.tsv")[: max_utts or None]
        pairs, audio, t_dec = [], 0.0, 0.0
        for path, dur, text in rows:
            x = load_wav(path)
            x = np.concatenate([x, np.zeros(int(0.3 * 16000), np.float32)])
            f = compute_fbank(x)
            t0 = time.time()
            pairs.append((text, m.decode(f)))
            t_dec += time.time() - t0
            audio += dur
        (w, e, n) = corpus_wer(pairs)
        res[s] = {
            "wer": round(100 * w, 2),
            "cer": round(100 * corpus_cer(pairs), 2),
            "errors": e,
            "words": n,
            "utts": len(pairs),
            "rtf_python_loop_1thread": round(t_dec / audio, 4),
            "by_voice": wer_by_voice(pairs, s),
        }
        write_hyps(exp_dir() / f"hyps_ncnn_{s}.txt", pairs)
    return res


def voice_group(engine, voice):
    """espeak voices by accent (its variants are too many to list), the others by voice."""
    return f"espeak:{voice.split('+')[0]}" if engine == "espeak" else f"{engine}:{voice}"


def wer_by_voice(pairs, split):
    """{engine:voice: WER %} over the first len(pairs) utterances of the split, from the
    corpus's <split>.voices.tsv (same order as the manifest); {} if the corpus has none."""
    path = corpus_dir() / f"{split}.voices.tsv"
    if not path.exists():
        return {}
    rows = tsv_rows(path)
    groups = {}
    for (ref, hyp), r in zip(pairs, rows):
        groups.setdefault(voice_group(r[1], r[2]), []).append((ref, hyp))
    return {k: round(100 * corpus_wer(v)[0], 2) for k, v in sorted(groups.items())}


def write_hyps(path, pairs):
    with open(path, "w") as f:
        for r, h in pairs:
            f.write(f"REF: {r}\nHYP: {h}\n")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default="")
    ap.add_argument("--ncnn", default="")
    ap.add_argument("--splits", default="dev,test")
    ap.add_argument("--max-utts", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    if not args.checkpoint and not args.ncnn:
        args.checkpoint = str(exp_dir() / "averaged.pt")
    splits = args.splits.split(",")
    exp_dir().mkdir(parents=True, exist_ok=True)  # hyps and wer.json go there
    out = {}
    if args.checkpoint:
        out["torch"] = eval_torch(args.checkpoint, splits, args.max_utts)
    if args.ncnn:
        out["ncnn"] = eval_ncnn(args.ncnn, splits, args.max_utts, args.threads)
    print(json.dumps(out, indent=1))
    with open(exp_dir() / "wer.json", "a") as f:
        f.write(
            json.dumps({"checkpoint": args.checkpoint, "ncnn": args.ncnn, "max_utts": args.max_utts, "result": out})
            + "\n"
        )


if __name__ == "__main__":
    main()
