"""cpp/features' fbank is bit-identical to kaldi-native-fbank 1.23 for every option the
harness (fbank_harness.cc, built by test_fbank_reference.py's fixture) can set, in one
piece and streamed; test_fbank_reference.py keeps the tolerance checks against float64."""

from __future__ import annotations

import numpy as np
import pytest
from test_fbank_reference import Runner, harness, speech_like  # noqa: F401 (fixtures used by name)

FRAME_OPTS = {
    "window": "window_type",
    "snip_edges": "snip_edges",
    "preemph_coeff": "preemph_coeff",
    "remove_dc_offset": "remove_dc_offset",
    "sample_rate": "samp_freq",
    "frame_length_ms": "frame_length_ms",
    "frame_shift_ms": "frame_shift_ms",
}
MEL_OPTS = {"num_bins": "num_bins", "low_freq": "low_freq", "high_freq": "high_freq"}


@pytest.fixture
def run(harness, tmp_path) -> Runner:  # noqa: F811 (this file's own `run` fixture)
    return Runner(harness, tmp_path)


def knf(x: np.ndarray, **opts) -> np.ndarray:
    """kaldi-native-fbank with ncasr's defaults (sherpa-ncnn's settings), then `opts`."""
    import kaldi_native_fbank as knf

    o = knf.FbankOptions()
    o.frame_opts.dither = 0
    o.frame_opts.snip_edges = False
    o.mel_opts.num_bins = 80
    o.mel_opts.high_freq = -400
    for k, v in opts.items():
        if k in FRAME_OPTS:
            setattr(o.frame_opts, FRAME_OPTS[k], v)
        elif k in MEL_OPTS:
            setattr(o.mel_opts, MEL_OPTS[k], v)
        else:  # FbankOptions' own fields: use_energy, use_power, ...
            setattr(o, k, v)
    fb = knf.OnlineFbank(o)
    fb.accept_waveform(o.frame_opts.samp_freq, np.asarray(x, np.float32).tolist())
    fb.input_finished()
    n = fb.num_frames_ready
    return np.array([fb.get_frame(i) for i in range(n)], np.float32).reshape(n, fb.dim)


def assert_bit_identical(got: np.ndarray, ref: np.ndarray, label: str) -> None:
    assert got.shape == ref.shape, f"{label}: shape {got.shape} vs knf {ref.shape}"
    differ = got.view(np.uint32) != ref.view(np.uint32)
    assert not differ.any(), f"{label}: {differ.sum()} of {differ.size} values differ from knf"


OPTIONS = [
    {},
    {"window": "hamming"},
    {"window": "hanning"},
    {"window": "hann"},  # knf's hann is periodic, its hanning symmetric
    {"window": "rectangular"},
    {"window": "blackman"},
    {"snip_edges": True},
    {"use_energy": True},
    {"use_energy": True, "energy_floor": 1.0},
    {"use_power": False},
    {"use_log_fbank": False},
    {"num_bins": 23, "high_freq": 0},
    {"num_bins": 40, "low_freq": 0, "high_freq": 6000},
    {"preemph_coeff": 0.0, "remove_dc_offset": False},
    {"sample_rate": 8000},  # 256-point FFT: kiss_fft's radix-2 stage
    {"sample_rate": 22050, "num_bins": 64},  # 1024 points, radix 2 too
    {"sample_rate": 48000},  # 2048 points
    {"frame_length_ms": 32, "frame_shift_ms": 16},  # a window that fills the FFT
    {"frame_length_ms": 1, "num_bins": 3, "high_freq": 0},  # 16 samples: a tiny FFT
]


@pytest.mark.parametrize("opts", OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "defaults")
def test_options_bit_identical(run, opts):
    rate = int(opts.get("sample_rate", 16000))
    x = speech_like(rate + 321, rate=rate, seed=5)
    x[rate // 3 : rate // 3 + 2000] *= 1e-6  # a near-silent stretch: log values near the floor
    whole = run.fbank(x, **opts)
    assert_bit_identical(whole, knf(x, **opts), str(opts))
    assert run.fbank(x, chunk=777, pop=True, **opts).tobytes() == whole.tobytes()


def test_white_noise_bit_identical(run):
    """Noise has the most spectral bins near rounding boundaries."""
    x = np.random.default_rng(1).uniform(-1, 1, 5 * 16000 + 17).astype(np.float32)
    assert_bit_identical(run.fbank(x), knf(x), "white noise")
