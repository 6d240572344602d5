"""Stage 8 (optional): assemble a bundle for the package's default model.

  python -m recipes.reference_lstm.bundle --out DIR [--ncnn EXP/ncnn] [--test-utts 30]

Copies the ncnn files + tokens.txt, writes MODEL_CARD.md (data, voices, held-out voices,
parameters, training time, WER table from EXP/wer.json) and a small test set
(DIR/testset/: the first N test-split utterances, held-out voices, + manifest test.tsv).
The bundle directory is chosen by the caller (e.g. the package's model folder).
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from .common import corpus_dir, exp_dir, read_manifest, write_manifest


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--ncnn", default=str(exp_dir() / "ncnn"))
    ap.add_argument("--test-utts", type=int, default=30)
    ap.add_argument("--max-testset-bytes", type=int, default=5_000_000)
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src = Path(args.ncnn)
    for k in ("encoder", "decoder", "joiner"):
        for ext in ("param", "bin"):
            shutil.copy(src / f"{k}_jit_trace-pnnx.ncnn.{ext}", out)
    shutil.copy(src / "tokens.txt", out)
    # test set
    ts = out / "testset"
    (ts / "wav").mkdir(parents=True, exist_ok=True)
    rows, total = [], 0
    croot = corpus_dir()
    for path, dur, text in read_manifest(croot / "test.tsv")[: args.test_utts]:
        size = Path(path).stat().st_size
        if total + size > args.max_testset_bytes:
            break
        shutil.copy(path, ts / "wav" / Path(path).name)
        rows.append((f"wav/{Path(path).name}", dur, text))
        total += size
    write_manifest(ts / "test.tsv", rows)
    # model card
    rep = json.loads((src / "export_report.json").read_text())
    stats = json.loads((croot / "stats.json").read_text())
    voices = json.loads((croot / "voices.json").read_text())
    wers = [json.loads(l) for l in (exp_dir() / "wer.json").read_text().splitlines()] \
        if (exp_dir() / "wer.json").exists() else []
    cfg = rep["config"]
    lines = [
        "# Reference streaming LSTM transducer (ncasr default model)", "",
        "Built by `recipes/reference_lstm` (see its README for every command).", "",
        "## Model", "",
        f"icefall lstm_transducer_stateless2 contract: {cfg['num_layers']} LSTM layers, encoder_dim "
        f"{cfg['encoder_dim']}, rnn_hidden {cfg['rnn_hidden_size']}, feed-forward {cfg['dim_feedforward']}, "
        f"decoder/joiner dims {cfg['decoder_dim']}/{cfg['joiner_dim']}, vocab {cfg['vocab_size']} "
        "(sentencepiece unigram), context 2, blank 0; 9-frame segment, 4-frame offset.",
        f"Weights: {'fp16' if rep.get('fp16_weights') else 'fp32'}. Checkpoint: `{Path(rep['checkpoint']).name}`.",
        "",
        "Export check (ncnn vs PyTorch, chunk by chunk with carried states): "
        f"encoder max rel err {rep['encoder_max_rel_err']:.2e} over {rep['encoder_chunks']} chunks, "
        f"decoder {rep['decoder_max_rel_err']:.2e}, joiner {rep['joiner_max_rel_err']:.2e}.", "",
        "## Data", "",
        "Synthetic English speech from Debian TTS engines, prompts from WordNet examples + fortunes, "
        "sox/numpy augmentation (speed, pitch, reverb, telephone band, noise 5-30 dB SNR, gain, silence).", "",
        "| split | utterances | hours | engine+voice |", "|---|---|---|---|",
    ]
    for s in ("train", "dev", "test"):
        lines.append(f"| {s} | {stats[s]['utts']} | {stats[s]['hours']} | {stats[s]['voices']} |")
    lines += ["", "Training voices: " + "; ".join(f"{e} ({len(v)} voices, share {sh})" for sh, e, v in voices["train"]),
              "", "Held-out test voices (never in training): " +
              ", ".join(f"{e}:{v}" for _, e, vs in voices["test"] for v in vs), "",
              "## WER (greedy, 1 symbol/frame)", "", "| what | split | WER % | words | utts |", "|---|---|---|---|---|"]
    for w in wers:
        for kind, res in w["result"].items():
            name = w["ncnn"] if kind == "ncnn" else Path(w["checkpoint"]).name
            for s, r in res.items():
                lines.append(f"| {kind} {name} | {s} | {r['wer']} | {r['words']} | {r['utts']} |")
    dev_wers = [r["wer"] for w in wers for res in w["result"].values() for sp, r in res.items() if sp == "dev"]
    if dev_wers and min(dev_wers) > 25:
        lines += ["", f"**Quality warning**: dev WER {min(dev_wers)} % (> 25 %): the model is under-trained "
                      "(see the recipe README's Status) and only demonstrates the pipeline; do not rely "
                      "on its transcripts."]
    lines += ["", f"Bundled test set: {len(rows)} test-split utterances (held-out voices), {total / 1e6:.1f} MB.", ""]
    (out / "MODEL_CARD.md").write_text("\n".join(lines))
    print(f"bundle -> {out} ({sum(p.stat().st_size for p in out.rglob('*') if p.is_file()) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
