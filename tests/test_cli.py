"""The `ncasr` command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import fixture_dir


def run(*args):
    return subprocess.run([sys.executable, "-m", "ncasr", *args], capture_output=True, text=True)


def test_info_json():
    r = run("info", str(fixture_dir("conv-emformer-small")), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model"]["model_type"] == "conv_emformer"
    assert out["model"]["meta_data"]["chunk_length"] == "32"
    assert out["build"]["ncnn_version"].endswith("20261020")


def test_info_text():
    r = run("info", str(fixture_dir("lstm-small")))
    assert r.returncode == 0, r.stderr
    assert "model type:   lstm" in r.stdout and "SIMD paths active" in r.stdout


def test_info_error_is_one_clear_line(tmp_path):
    r = run("info", str(tmp_path / "missing"))
    assert r.returncode == 2
    assert "ncasr: error:" in r.stderr and "model folder not found" in r.stderr
    assert "Traceback" not in r.stderr


def test_transcribe_json_matches_api(test_wavs):
    import soundfile as sf

    import ncasr

    model = fixture_dir("zipformer-small")
    r = run("transcribe", str(model), str(test_wavs[0]), str(test_wavs[3]), "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["file"] for d in lines] == [str(test_wavs[0]), str(test_wavs[3])]
    for d in lines:
        assert {"file", "text", "tokens", "timestamps", "duration", "rtf"} <= set(d)
        assert d["rtf"] > 0 and len(d["tokens"]) == len(d["timestamps"])
    expected = ncasr.Recognizer.from_dir(model).transcribe(test_wavs[0])
    assert lines[0]["token_ids"] == expected.token_ids
    assert abs(lines[0]["duration"] - sf.info(test_wavs[0]).duration) < 1e-3


def test_transcribe_text_prints_rtf(test_wavs):
    r = run(
        "transcribe", str(fixture_dir("lstm-small")), str(test_wavs[0]), "--decoding-method", "modified_beam_search"
    )
    assert r.returncode == 0, r.stderr
    assert "RTF = " in r.stdout


def test_transcribe_unreadable_audio(tmp_path):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"nope")
    r = run("transcribe", str(fixture_dir("lstm-small")), str(bad))
    assert r.returncode == 2 and "x.wav: cannot read audio" in r.stderr


def test_quantize_cli(tmp_path):
    import shutil

    src = tmp_path / "model"
    shutil.copytree(fixture_dir("lstm-small"), src)
    r = run("quantize", str(src), str(tmp_path / "q"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["nets"]["encoder"]["quantized"] >= 3
    again = run("quantize", str(src), str(tmp_path / "q"))
    assert again.returncode == 2 and "output folder is not empty" in again.stderr
