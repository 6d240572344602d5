"""The calibration runner feeds the real streaming pipeline and observes layer inputs."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from ncasr import _core


def our_features(samples: np.ndarray) -> np.ndarray:
    fb = _core.OnlineFbank(_core.FbankOptions())
    fb.accept_waveform(np.concatenate([samples, np.zeros(8000, np.float32)]))
    fb.input_finished()
    return fb.frames(0, fb.num_frames_ready)


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_targets_cover_every_calibrated_layer(name):
    runner = _core.ActivationRunner(str(fixture_dir(name)))
    info = ncasr.inspect_model(fixture_dir(name))
    types = {"InnerProduct", "Convolution", "ConvolutionDepthWise", "Convolution1D", "ConvolutionDepthWise1D"}
    for net in ("encoder", "decoder", "joiner"):
        expected = sum(n for t, n in getattr(info, net).layer_types.items() if t in types)
        assert sum(t["net"] == net for t in runner.targets) == expected


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_joiner_input_stats_equal_the_encoder_output(name, test_wavs):
    samples, rate = sf.read(test_wavs[0], dtype="float32")
    runner = _core.ActivationRunner(str(fixture_dir(name)))
    absmax, count = runner.absmax(samples, rate)
    targets = runner.targets
    # The joiner's first projection reads the encoder frames, frame by frame.
    proj = next(i for i, t in enumerate(targets) if t["net"] == "joiner" and t["blob"] == "in0")
    rec = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False)
    feats = our_features(samples)
    chunks = rec._r.encode(feats[:-1])  # the stream decodes while frames > start + segment
    frames = np.concatenate(chunks)
    assert count[proj] == frames.shape[0]
    assert absmax[proj] == pytest.approx(float(np.abs(frames).max()), rel=1e-6)
    enc = [i for i, t in enumerate(targets) if t["net"] == "encoder"]
    assert all(count[i] == len(chunks) for i in enc) and all(absmax[i] > 0 for i in enc)


def test_empty_audio_is_refused():
    runner = _core.ActivationRunner(str(fixture_dir("lstm-small")))
    with pytest.raises(ncasr.AudioError, match="calibration audio is empty"):
        runner.absmax(np.zeros(0, np.float32), 16000)
