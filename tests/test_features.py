"""ncasr's fbank is bit-identical to kaldi-native-fbank (what sherpa-ncnn computes; int8
models quantize the features with a fixed scale, so a one-ulp difference can change the
decoded tokens); streaming in any piece size is bit-identical; the resampler equals a float64
NumPy evaluation of the same windowed-sinc formula."""

from __future__ import annotations

import glob
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import ncasr
from helpers.knf import knf_fbank
from ncasr import _core

REFERENCE_WAVS = sorted(glob.glob(str(Path(__file__).parent / "data/reference-lstm-en/wav/*.wav")))


def ours(samples: np.ndarray, piece: int = 0, rate: int = 16000) -> np.ndarray:
    opts = _core.FbankOptions()
    opts.sample_rate = rate
    fb = _core.OnlineFbank(opts)
    piece = piece or max(1, samples.size)
    for i in range(0, samples.size, piece):
        fb.accept_waveform(samples[i : i + piece])
    fb.input_finished()
    return fb.frames(0, fb.num_frames_ready)


def assert_bit_identical(got: np.ndarray, ref: np.ndarray, label: str = "") -> None:
    assert got.shape == ref.shape, f"{label}: shape {got.shape} vs knf {ref.shape}"
    differ = got.view(np.uint32) != ref.view(np.uint32)
    assert not differ.any(), (
        f"{label}: {differ.sum()} of {differ.size} values differ from knf, "
        f"first at {np.argwhere(differ)[0]}: {got[differ][0]!r} vs {ref[differ][0]!r}"
    )


def signals():
    rng = np.random.default_rng(7)
    t = np.arange(16000 * 2) / 16000
    harmonics = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate([140, 280, 420, 700], 1))
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 3 * t))
    return {
        "noise": rng.uniform(-1, 1, 16000 + 37).astype(np.float32),
        "harmonic": (0.3 * harmonics * envelope + rng.normal(0, 0.01, t.size)).astype(np.float32),
        "quiet": (rng.normal(0, 1e-4, 4321)).astype(np.float32),
        "tiny": (rng.normal(0, 1e-7, 4321)).astype(np.float32),  # log energies at the floor
        "loud": np.clip(rng.normal(0, 3, 8000), -1, 1).astype(np.float32),
        "zeros": np.zeros(3000, np.float32),
        "dc": np.full(3000, 0.25, np.float32),
    }


@pytest.mark.parametrize("kind", ["noise", "harmonic", "quiet", "tiny", "loud", "zeros", "dc"])
def test_fbank_is_bit_identical_to_kaldi_native_fbank(kind):
    x = signals()[kind]
    assert_bit_identical(ours(x), knf_fbank(x), kind)


def test_fbank_on_reference_wavs():
    assert len(REFERENCE_WAVS) >= 10
    for path in REFERENCE_WAVS:
        x, rate = sf.read(path, dtype="float32")
        assert_bit_identical(ours(x, rate=rate), knf_fbank(x, rate), Path(path).name)


def test_fbank_on_speech(test_wavs):
    for path in test_wavs:
        x, rate = sf.read(path, dtype="float32")
        got = ours(x, rate=rate)
        assert got.shape[0] > 50
        assert_bit_identical(got, knf_fbank(x, rate), Path(path).name)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000])
def test_other_rates_resampled_to_16k(rate):
    """What the recognizer does with other rates: resample to 16 kHz, then fbank; knf gets
    the same resampled samples."""
    t = np.arange(int(1.7 * rate)) / rate
    rng = np.random.default_rng(rate)
    x = (0.3 * np.sin(2 * np.pi * 330 * t) * np.sin(2 * np.pi * 2 * t) + 0.02 * rng.standard_normal(t.size)).astype(
        np.float32
    )
    y = _core.LinearResampler(rate, 16000).resample(x, True)
    assert_bit_identical(ours(y), knf_fbank(y), f"{rate} Hz resampled")


@pytest.mark.parametrize("rate", [8000, 22050, 44100])
def test_fbank_at_other_rates(rate):
    """FFT sizes 256, 1024 and 2048 (kiss_fft plans with and without a radix-2 stage)."""
    x = np.random.default_rng(rate).uniform(-0.5, 0.5, rate + 91).astype(np.float32)
    assert_bit_identical(ours(x, rate=rate), knf_fbank(x, rate), f"{rate} Hz")


@pytest.mark.parametrize("n", [0, 1, 100, 239, 240, 399, 400, 401, 560, 16000 + 79, 16000 + 80])
def test_short_and_odd_lengths_are_bit_identical(n):
    x = np.random.default_rng(n).uniform(-0.5, 0.5, n).astype(np.float32)
    got = ours(x)
    assert got.shape[0] == (n + 80) // 160
    assert_bit_identical(got, knf_fbank(x), f"{n} samples")


@pytest.mark.parametrize("piece", [1, 160, 1600, 7919])
def test_streaming_is_bit_identical(piece):
    x = signals()["harmonic"]
    whole = ours(x)
    assert np.array_equal(ours(x, piece), whole)
    assert_bit_identical(ours(x, piece), knf_fbank(x), f"pieces of {piece}")


def test_frames_are_released_after_pop():
    fb = _core.OnlineFbank(_core.FbankOptions())
    fb.accept_waveform(np.zeros(16000, np.float32))
    n = fb.num_frames_ready
    fb.pop(n - 1)
    assert fb.frames(n - 1, 1).shape == (1, 80)
    with pytest.raises(IndexError, match="not available"):
        fb.frames(0, 1)


def reference_resample(x: np.ndarray, rin: int, rout: int, num_zeros: int = 6) -> np.ndarray:
    """Float64 evaluation of the windowed-sinc resampler, output count as Kaldi's flush."""
    cutoff = 0.99 * 0.5 * min(rin, rout)
    width = num_zeros / (2 * cutoff)
    tick = rin * rout // math.gcd(rin, rout)
    interval = x.size * (tick // rin)
    last = interval // (tick // rout)
    if last * (tick // rout) == interval:
        last -= 1
    out = np.zeros(last + 1)
    for k in range(last + 1):
        t = k / rout
        j = np.arange(math.ceil((t - width) * rin), math.floor((t + width) * rin) + 1)
        d = j / rin - t
        w = np.where(np.abs(d) < width, 0.5 * (1 + np.cos(2 * np.pi * cutoff / num_zeros * d)), 0.0)
        s = np.where(d != 0, np.sin(2 * np.pi * cutoff * d) / (np.pi * np.where(d != 0, d, 1)), 2 * cutoff)
        valid = (j >= 0) & (j < x.size)
        out[k] = np.sum((s * w / rin)[valid] * x[j[valid]])
    return out


@pytest.mark.parametrize("rin", [8000, 22050, 44100, 48000])
def test_resampler_matches_float64_reference(rin):
    x = np.random.default_rng(rin).uniform(-0.5, 0.5, rin // 5).astype(np.float32)
    ref = reference_resample(x.astype(np.float64), rin, 16000)
    whole = _core.LinearResampler(rin, 16000).resample(x, True)
    assert whole.shape == ref.shape
    assert np.abs(whole - ref).max() <= 1e-5
    r = _core.LinearResampler(rin, 16000)
    pieces = [r.resample(x[i : i + 333], False) for i in range(0, x.size, 333)]
    pieces.append(r.resample(np.zeros(0, np.float32), True))
    assert np.allclose(np.concatenate(pieces), whole, atol=1e-6)


def test_bad_feature_options():
    opts = _core.FbankOptions()
    opts.num_bins = 1
    with pytest.raises(ncasr.ConfigError, match="num_bins"):
        _core.OnlineFbank(opts)
