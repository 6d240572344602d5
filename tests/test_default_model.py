"""The bundled default model (recipes/reference_lstm): present, within its size budget, and
still as accurate as when it was bundled (a regression test for the model files, the
features and the decoding: any break sends the WER towards 100 %)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ncasr
from ncasr.data import read_manifest
from ncasr.metrics import char_error_rate, word_error_rate

TESTSET = Path(__file__).resolve().parent / "data" / "reference-lstm-en" / "test.tsv"

# Each bound is the bundled files' own WER / CER on the bundled test set (MODEL_CARD.md,
# "WER through ncasr", float and int8 through ncasr's int8 LSTM layer) plus a margin of 3 WER /
# 5 CER points for float rounding across CPUs (greedy ties flip a word or two). The model is
# under-trained, so the WER alone sits not far from what a broken pipeline scores; the
# character error rate separates them (empty or garbage output scores near 100).
BOUNDS = {"float": (74.1, 41.9), "int8": (73.4, 42.3)}


def error_rates(variant: str):
    rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir(), variant=variant)
    rows = read_manifest(TESTSET)
    assert len(rows) >= 10
    refs = [e.text for e in rows]
    hyps = [rec.transcribe(e.path).text for e in rows]
    edits, chars = char_error_rate(refs, hyps)
    return 100 * word_error_rate(refs, hyps).wer, 100 * edits / chars


def test_default_model_folder():
    folder = ncasr.default_model_dir()
    assert (folder / "MODEL_CARD.md").is_file() and (folder / "tokens.txt").is_file()
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size <= 20_000_000, size
    info = ncasr.inspect_model(folder)
    assert info.model_type == "lstm"


@pytest.mark.parametrize("variant", ["float", "int8"])
def test_error_rate_regression(variant):
    wer, cer = error_rates(variant)
    max_wer, max_cer = BOUNDS[variant]
    assert wer <= max_wer and cer <= max_cer, (wer, cer)


def run(*args):
    return subprocess.run([sys.executable, "-m", "ncasr", *args], capture_output=True, text=True)


def test_cli_transcribes_without_a_model_folder():
    wav = read_manifest(TESTSET)[0].path
    expected = ncasr.Recognizer.from_dir(ncasr.default_model_dir()).transcribe(wav).text
    for args in (
        ["transcribe", wav, "--json"],
        ["transcribe", str(ncasr.default_model_dir()), wav, "--json"],
        ["transcribe", "--model", str(ncasr.default_model_dir()), wav, "--json"],
    ):
        r = run(*args)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["text"] == expected


def test_cli_model_folder_without_audio_is_an_error():
    r = run("transcribe", str(ncasr.default_model_dir()))
    assert r.returncode != 0 and "no audio files" in r.stderr


def test_missing_default_model_is_a_clear_error(monkeypatch, tmp_path):
    from ncasr import default_model

    monkeypatch.setattr(default_model, "_MODELS_ROOT", tmp_path)
    with pytest.raises(ncasr.ModelFileNotFoundError, match="bundled default model is missing"):
        ncasr.default_model_dir()
