"""Shared fixtures: the icefall-architecture models in ../shared/fixtures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("NCASR_FIXTURES", REPO.parent / "shared" / "fixtures")) / "icefall-arch"

SMALL_MODELS = ["lstm-small", "conv-emformer-small", "zipformer-small"]
FULL_PARAMS = ["lstm-full-params", "conv-emformer-full-params", "zipformer-full-params"]


def fixture_dir(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_dir():
        # A missing fixture is a broken checkout, not a reason to skip.
        raise FileNotFoundError(f"test fixture folder {path} is missing (set NCASR_FIXTURES)")
    return path


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
