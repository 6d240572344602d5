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
