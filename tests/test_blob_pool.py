"""ncasr's BlobPool allocator (the default) in place of ncnn's pool allocator changes no result.

Blocks come back to the next layer uninitialised with another layer's data, so a layer that
read memory it never wrote would give different outputs from call to call here; each
encoder runs twice on the pool and once on ncnn's allocator, and all three must be equal
bit for bit."""

from __future__ import annotations

import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.knf import knf_fbank


def models():
    yield from ((name, fixture_dir(name), "") for name in SMALL_MODELS)
    yield "bundled-int8", ncasr.default_model_dir(), "int8"


@pytest.mark.parametrize("name,model_dir,variant", list(models()), ids=lambda v: str(v))
def test_pool_changes_no_output(name, model_dir, variant, test_wavs):
    x, rate = ncasr.load_audio(test_wavs[1])
    feats = knf_fbank(x, rate)
    pooled = ncasr.Recognizer.from_dir(model_dir, variant=variant, blob_pool=True)
    plain = ncasr.Recognizer.from_dir(model_dir, variant=variant, blob_pool=False)
    first, second, ref = pooled._r.encode(feats), pooled._r.encode(feats), plain._r.encode(feats)
    assert len(ref) > 0 and len(first) == len(second) == len(ref)
    for a, b, r in zip(first, second, ref):
        assert a.tobytes() == r.tobytes() and b.tobytes() == r.tobytes()
    assert pooled.transcribe(x, rate).tokens == plain.transcribe(x, rate).tokens


def test_pool_is_configurable():
    config = ncasr.RecognizerConfig(model_dir=ncasr.default_model_dir())
    assert config.runtime.blob_pool is True
    assert "blob_pool" in repr(ncasr.RecognizerConfig.from_dir(ncasr.default_model_dir(), blob_pool=False))
