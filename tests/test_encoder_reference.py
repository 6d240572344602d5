"""ncasr's encoder, chunk by chunk with carried states, equals an independent run of the
same param/bin in the `ncnn` Python package (with NumPy versions of the custom layers)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.knf import knf_fbank
from helpers.ncnn_reference import encode_chunks


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_encoder_matches_ncnn_python(name, test_wavs):
    info = ncasr.inspect_model(fixture_dir(name))
    rec = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False)
    samples, rate = sf.read(test_wavs[1], dtype="float32")  # 10 s: 8 to 250 chunks
    feats = knf_fbank(samples, rate)
    ours = rec._r.encode(feats)
    ref = encode_chunks(fixture_dir(name), info.model_type, info.raw_meta_data, feats)
    assert len(ours) == len(ref) >= 5
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.reshape(a.shape).shape
        rel = np.abs(a - b.reshape(a.shape)).max() / max(np.abs(b).max(), 1e-6)
        assert rel <= 1e-4, f"chunk {i}: relative error {rel:.2e}"
