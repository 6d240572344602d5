"""ncasr's encoder, chunk by chunk with carried states, equals an independent run of the
same param/bin in the `ncnn` Python package (with NumPy versions of the custom layers)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.ncnn_reference import encode_chunks


def knf_features(samples: np.ndarray, rate: int) -> np.ndarray:
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0
    opts.frame_opts.snip_edges = False
    opts.frame_opts.samp_freq = rate
    opts.mel_opts.num_bins = 80
    opts.mel_opts.high_freq = -400
    fb = knf.OnlineFbank(opts)
    fb.accept_waveform(rate, samples.tolist())
    fb.input_finished()
    return np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)])


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_encoder_matches_ncnn_python(name, test_wavs):
    info = ncasr.inspect_model(fixture_dir(name))
    rec = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False)
    samples, rate = sf.read(test_wavs[1], dtype="float32")  # 10 s: 8 to 250 chunks
    feats = knf_features(samples, rate).astype(np.float32)
    ours = rec._r.encode(feats)
    ref = encode_chunks(fixture_dir(name), info.model_type, info.raw_meta_data, feats)
    assert len(ours) == len(ref) >= 5
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.reshape(a.shape).shape
        rel = np.abs(a - b.reshape(a.shape)).max() / max(np.abs(b).max(), 1e-6)
        assert rel <= 1e-4, f"chunk {i}: relative error {rel:.2e}"
