"""Stage 8: assemble the package's default model.

  python -m recipes.reference_lstm.bundle --out python/ncasr/models/reference-lstm-en \
      --testset-out tests/data/reference-lstm-en [--ncnn EXP/ncnn] [--test-utts 20] [--int8]

Copies the ncnn files + tokens.txt, writes a small test set (the first N test-split
utterances, held-out voices, + manifest test.tsv; default DIR/testset), with --int8 adds the
int8 encoder/decoder/joiner (ncasr.quantize calibrated on dev-split audio) beside the
float files, scores float and int8 with ncasr itself on the dev and test splits, and writes
MODEL_CARD.md (data, voices, held-out voices, parameters, training, WER tables).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
from pathlib import Path

from .common import corpus_dir, exp_dir, read_manifest, tsv_rows, write_manifest


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--ncnn", default=str(exp_dir() / "ncnn"))
    ap.add_argument("--test-utts", type=int, default=30)
    ap.add_argument("--max-testset-bytes", type=int, default=5_000_000)
    ap.add_argument("--testset-out", default="", help="test set folder (default OUT/testset)")
    ap.add_argument("--int8", action="store_true", help="add the int8 variant (calibrated on dev audio)")
    ap.add_argument("--calibration-utts", type=int, default=60)
    ap.add_argument("--training", default="", help="one line on how it was trained (steps, wall time), for the card")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    src = Path(args.ncnn)
    for k in ("encoder", "decoder", "joiner"):
        for ext in ("param", "bin"):
            shutil.copy(src / f"{k}_jit_trace-pnnx.ncnn.{ext}", out)
    shutil.copy(src / "tokens.txt", out)
    # test set
    ts = Path(args.testset_out) if args.testset_out else out / "testset"
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
    int8_note = add_int8(out, args.calibration_utts) if args.int8 else None
    scores = score_with_ncasr(out, args.int8, ts / "test.tsv")
    # model card
    rep = json.loads((src / "export_report.json").read_text())
    stats = json.loads((croot / "stats.json").read_text())
    voices = json.loads((croot / "voices.json").read_text())
    wers = bundled_evaluations(exp_dir() / "wer.json", rep["checkpoint"])
    cfg = rep["config"]
    lines = [
        "# Reference streaming LSTM transducer (ncasr default model)",
        "",
        "Built by `recipes/reference_lstm` (see its README for every command).",
        "",
        "## Model",
        "",
        f"icefall lstm_transducer_stateless2 contract: {cfg['num_layers']} LSTM layers, encoder_dim "
        f"{cfg['encoder_dim']}, rnn_hidden {cfg['rnn_hidden_size']}, feed-forward {cfg['dim_feedforward']}, "
        f"decoder/joiner dims {cfg['decoder_dim']}/{cfg['joiner_dim']}, vocab {cfg['vocab_size']} "
        "(sentencepiece unigram), context 2, blank 0; 9-frame segment, 4-frame offset.",
        f"Parameters: {parameter_count(cfg):,}. Weights: {'fp16' if rep.get('fp16_weights') else 'fp32'}. "
        f"Checkpoint: `{Path(rep['checkpoint']).name}`.",
        *([f"Training: {args.training}"] if args.training else []),
        "",
        "Export check (ncnn vs PyTorch, chunk by chunk with carried states): "
        f"encoder max rel err {rep['encoder_max_rel_err']:.2e} over {rep['encoder_chunks']} chunks, "
        f"decoder {rep['decoder_max_rel_err']:.2e}, joiner {rep['joiner_max_rel_err']:.2e}.",
        "",
        "## Data",
        "",
        "Synthetic English speech from Debian TTS engines (and the neural voices of piper and hibari from PyPI), "
        "prompts from WordNet examples + fortunes, "
        "sox/numpy augmentation (speed, pitch, reverb, telephone band, noise 5-30 dB SNR, gain, silence).",
        "",
        "| split | utterances | hours | engine+voice |",
        "|---|---|---|---|",
    ]
    for s in ("train", "dev", "test"):
        lines.append(f"| {s} | {stats[s]['utts']} | {stats[s]['hours']} | {stats[s]['voices']} |")
    lines += [
        "",
        "Training voices: " + training_voices(croot / "train.voices.tsv"),
        "",
        "Held-out test voices (never in training): " + ", ".join(f"{e}:{v}" for _, e, vs in voices["test"] for v in vs),
        "",
        "## WER (greedy, 1 symbol/frame)",
        "",
        "| what | split | WER % | CER % | words | utts |",
        "|---|---|---|---|---|---|",
    ]
    for w in wers:
        for kind, res in w["result"].items():
            name = "exp/ncnn" if kind == "ncnn" else Path(w["checkpoint"]).name
            for s, r in res.items():
                # older evaluations have no CER
                lines.append(f"| {kind} {name} | {s} | {r['wer']} | {r.get('cer', '')} | {r['words']} | {r['utts']} |")
    lines += by_voice_lines(wers)
    dev_wers = [r["wer"] for w in wers for res in w["result"].values() for sp, r in res.items() if sp == "dev"]
    if dev_wers and min(dev_wers) > 25:
        lines += [
            "",
            f"**Quality warning**: dev WER {min(dev_wers)} % (> 25 %): the model is under-trained "
            "(see the recipe README's Results) and only demonstrates the pipeline; do not rely "
            "on its transcripts.",
        ]
    lines += ["", f"Bundled test set: {len(rows)} test-split utterances (held-out voices), {total / 1e6:.1f} MB.", ""]
    lines += ncasr_wer_lines(scores, int8_note)
    (out / "MODEL_CARD.md").write_text("\n".join(lines))
    print(f"bundle -> {out} ({sum(p.stat().st_size for p in out.rglob('*') if p.is_file()) / 1e6:.1f} MB)")


def bundled_evaluations(wer_json: Path, checkpoint: str) -> list:
    """evaluate.py's records (wer.json lines) of the exported checkpoint only: the card must not
    show other checkpoints' numbers as this model's."""
    if not wer_json.exists():
        return []
    recs = [json.loads(l) for l in wer_json.read_text().splitlines() if l.strip()]
    want = Path(checkpoint).resolve()
    return [r for r in recs if r.get("checkpoint") and Path(r["checkpoint"]).resolve() == want]


def training_voices(voices_tsv: Path) -> str:
    """'engine: N voices, P % of utterances; ...' counted from the corpus's train.voices.tsv."""
    rows = tsv_rows(voices_tsv)
    by_engine = {}
    for r in rows:
        by_engine.setdefault(r[1], []).append(r[2])
    return "; ".join(
        f"{e}: {len(set(v))} voices, {100 * len(v) / len(rows):.1f} % of utterances"
        for e, v in sorted(by_engine.items(), key=lambda kv: -len(kv[1]))
    )


def by_voice_lines(wers) -> list:
    """WER per engine:voice of the newest evaluation that has the breakdown (evaluate.py)."""
    for w in reversed(wers):
        for kind, res in w["result"].items():
            if any(r.get("by_voice") for r in res.values()):
                name = "ncnn" if kind == "ncnn" else Path(w["checkpoint"]).name
                out = ["", f"WER by voice ({kind} {name}):", "", "| split | voice | WER % |", "|---|---|---|"]
                for s, r in res.items():
                    out += [f"| {s} | {v} | {x} |" for v, x in r.get("by_voice", {}).items()]
                return out
    return []


AUTO_EXCLUDE = 0.9995  # lowest per-chunk encoder cosine, int8 vs float


def add_int8(out: Path, calibration_utts: int) -> dict:
    """int8 files beside the float ones (ncasr finds them as the "int8" variant)."""
    import tempfile

    import ncasr

    dev = read_manifest(corpus_dir() / "dev.tsv")
    audio = [path for path, _, _ in dev[:: max(1, len(dev) // calibration_utts)][:calibration_utts]]
    with tempfile.TemporaryDirectory() as tmp:
        q = Path(tmp) / "int8"
        # Keep the layers below a 0.9995 chunk cosine float (the two front-end convs), with fp16
        # storage for them; only calibrated layers may stay float (letting the size budget also
        # keep a Gemm float cost size for no WER). Measured: EXPERIMENTS.md, "int8: keep only
        # the calibrated front-end convolutions float".
        options = ncasr.QuantizeOptions(
            calibration_method="kl", auto_exclude=AUTO_EXCLUDE, auto_exclude_dynamic=False, fp16_storage=True
        )
        report = ncasr.quantize(out, q, calibration=audio, options=options, progress=False)
        for f in q.iterdir():
            if ".int8." in f.name or f.name == "calibration.table":
                shutil.copy(f, out / f.name)
    print(report)
    kept = [
        l.name
        for l in report.layers
        if l.net == "encoder"
        and l.outcome is not ncasr.LayerOutcome.INT8
        and l.type in ("Convolution", "Gemm", "LSTM", "InnerProduct")
    ]
    nets = {net: dataclasses.asdict(size) for net, size in report.nets.items()}
    return {"calibration_utts": len(audio), "nets": nets, "kept_float": kept}


def parameter_count(cfg: dict) -> int:
    from .model import ModelConfig, Transducer

    return sum(p.numel() for p in Transducer(ModelConfig(**cfg)).parameters())


# (decoding method, active paths) scored through ncasr; greedy is what the issue reports
SEARCHES = (("greedy_search", 0), ("modified_beam_search", 4))


def score_with_ncasr(out: Path, with_int8: bool, bundled_manifest: Path) -> dict:
    """WER of the bundled files through ncasr (float, and int8 when present), greedy and beam."""
    import time

    import ncasr
    from ncasr.metrics import char_error_rate, word_error_rate

    result = {}
    for variant in ["float", "int8"] if with_int8 else ["float"]:
        for method, paths in SEARCHES:
            kw = {"method": method, "num_active_paths": paths} if paths else {"method": method}
            rec = ncasr.Recognizer.from_dir(out, variant=variant, **kw)
            for split in ("dev", "test", "bundled test set"):
                rows = read_manifest(bundled_manifest if split == "bundled test set" else corpus_dir() / f"{split}.tsv")
                hyps, audio_s, t0 = [], 0.0, time.perf_counter()
                for path, dur, _ in rows:
                    hyps.append(rec.transcribe(path).text)
                    audio_s += float(dur)
                refs = [t for _, _, t in rows]
                c = word_error_rate(refs, hyps)
                edits, chars = char_error_rate(refs, hyps)
                r = {
                    "wer": round(100 * c.wer, 2),
                    "cer": round(100 * edits / chars, 2),
                    "sub": c.substitutions,
                    "del": c.deletions,
                    "ins": c.insertions,
                    "words": c.ref_words,
                    "utts": len(rows),
                    "rtf": round((time.perf_counter() - t0) / audio_s, 4),
                }
                result[(variant, search_name(method, paths), split)] = r
                print(variant, method, split, r)
    return result


def search_name(method: str, paths: int) -> str:
    return "greedy" if method == "greedy_search" else f"beam {paths}"


def ncasr_wer_lines(scores: dict, int8_note) -> list:
    lines = [
        "## WER through ncasr (1 thread; greedy, and modified beam search with 4 active paths)",
        "",
        "| files | search | split | WER % | CER % | sub | del | ins | words | utts | RTF |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (variant, search, split), r in scores.items():
        lines.append(
            f"| {variant} | {search} | {split} | {r['wer']} | {r['cer']} | {r['sub']} | {r['del']} "
            f"| {r['ins']} | "
            f"{r['words']} | {r['utts']} | {r['rtf']} |"
        )
    if int8_note:
        sizes = ", ".join(
            f"{n} {d['bytes_out'] / 1e6:.2f} MB ({d['bytes_out'] / d['bytes_in']:.0%} of float)"
            for n, d in int8_note["nets"].items()
        )
        lines += [
            "",
            f"int8 files (`*.int8.*`): `ncasr.quantize`, KL calibration on "
            f"{int8_note['calibration_utts']} dev-split utterances, `auto_exclude={AUTO_EXCLUDE}` "
            "(calibrated layers only) "
            f"(kept float: {', '.join(int8_note['kept_float']) or 'none'}), fp16 storage for what "
            f'stays float; {sizes}. Load them with `variant="int8"`.',
        ]
    return lines + [""]


if __name__ == "__main__":
    main()
