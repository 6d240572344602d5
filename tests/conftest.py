"""Shared fixtures: the icefall-architecture test models in tests/data/icefall-arch."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# NCASR_FIXTURES may name another folder laid out the same way (an "icefall-arch" inside).
FIXTURES = Path(os.environ.get("NCASR_FIXTURES", REPO / "tests" / "data")) / "icefall-arch"

SMALL_MODELS = ["lstm-small", "conv-emformer-small", "zipformer-small"]
FULL_PARAMS = ["lstm-full-params", "conv-emformer-full-params", "zipformer-full-params"]

_fp32_root = None


def fixture_dir(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_dir():
        # A missing fixture is a broken checkout, not a reason to skip.
        raise FileNotFoundError(f"test fixture folder {path} is missing (set NCASR_FIXTURES)")
    return path


def fp32_dir(name: str) -> Path:
    """The small model `name` with fp32 weights: its fp32/ folder where the fixtures have one,
    else written once per test run from the fp16 files (the same numbers, widened)."""
    global _fp32_root
    stored = fixture_dir(name) / "fp32"
    if stored.is_dir():
        return stored
    if _fp32_root is None:
        _fp32_root = Path(tempfile.mkdtemp(prefix="ncasr-fp32-"))
        atexit.register(shutil.rmtree, _fp32_root, True)
    out = _fp32_root / name
    if not out.is_dir():
        from helpers.fp32_weights import widen_model

        widen_model(fixture_dir(name), out.with_name(name + ".part"))
        out.with_name(name + ".part").rename(out)
    return out


@pytest.fixture(scope="session")
def test_wavs(tmp_path_factory):
    """24 speech wavs (1-20 s, silences, noise) made with espeak-ng and sox."""
    from helpers.speech import make_test_wavs

    return make_test_wavs(tmp_path_factory.mktemp("wavs"))


@pytest.fixture
def model_copy(tmp_path):
    """Copy a fixture model into tmp_path so a test can damage it."""

    def make(name: str = "lstm-small") -> Path:
        dst = tmp_path / name
        shutil.copytree(fixture_dir(name), dst)
        for p in dst.rglob("*"):
            p.chmod(0o644 if p.is_file() else 0o755)
        return dst

    return make
