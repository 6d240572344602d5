"""Depthwise Convolution1D on ncasr's SIMD kernel (NcasrDepthwiseConv1D, the default).

Every SIMD path equals the scalar twin bit for bit and stays within the float32 rounding
bound of a float64 reference. ncnn builds its scalar layer with -Ofast, which lets the
compiler reorder the sum, so whole encoders agree with ncnn's layer up to float rounding."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.knf import knf_fbank
from ncasr import _core

SHAPES = [(1, 1, 1), (3, 31, 1), (5, 31, 17), (8, 2, 33), (384, 31, 46), (13, 5, 100)]


def reference(x, w, b):
    """float64 NumPy depthwise convolution."""
    c, k = w.shape
    out_w = x.shape[1] - k + 1
    y = np.zeros((c, out_w), np.float64)
    for t in range(k):
        y += x[:, t : t + out_w].astype(np.float64) * w[:, t : t + 1].astype(np.float64)
    return y if b is None else y + b[:, None].astype(np.float64)


@pytest.mark.parametrize("channels,kernel,out_w", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_every_path_equals_scalar_and_float64(channels, kernel, out_w, with_bias):
    rng = np.random.default_rng(channels * 1000 + kernel * 10 + out_w)
    x = rng.standard_normal((channels, out_w + kernel - 1)).astype(np.float32)
    w = rng.standard_normal((channels, kernel)).astype(np.float32)
    b = rng.standard_normal(channels).astype(np.float32) if with_bias else None
    scalar, ran = _core._testing.depthwise_conv1d(x, w, b, "scalar")
    assert ran == "scalar" and scalar.shape == (channels, out_w)
    ref = reference(x, w, b)
    # float32 sums of `kernel` products: error within kernel * eps * sum|terms|
    bound = kernel * np.finfo(np.float32).eps * (reference(np.abs(x), np.abs(w), None if b is None else np.abs(b)))
    assert np.all(np.abs(scalar - ref) <= bound + 1e-30)
    for path in _core.kernel_paths():
        y, ran = _core._testing.depthwise_conv1d(x, w, b, path)
        assert ran == path
        assert y.tobytes() == scalar.tobytes(), path


def test_bad_shapes_are_errors():
    x = np.zeros((4, 10), np.float32)
    with pytest.raises(ncasr.ConfigError):
        _core._testing.depthwise_conv1d(x, np.zeros((3, 3), np.float32))  # channel mismatch
    with pytest.raises(ncasr.ConfigError):
        _core._testing.depthwise_conv1d(x, np.zeros((4, 11), np.float32))  # kernel wider than input
    with pytest.raises(ncasr.ConfigError):
        _core._testing.depthwise_conv1d(x, np.zeros((4, 3), np.float32), np.zeros(5, np.float32))


def encoder(name, simd):
    return ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False, depthwise_conv1d_simd=simd)


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_encoder_matches_ncnn_layer(name, test_wavs):
    x, rate = ncasr.load_audio(test_wavs[2])
    feats = knf_fbank(x, rate)
    ours, theirs = encoder(name, True), encoder(name, False)
    # the override ran on every kernel-31 depthwise layer (the LSTM encoder has none)
    expected = {"lstm-small": 0, "conv-emformer-small": 2, "zipformer-small": 20}[name]
    assert ours._r.encoder_overrides.get("NcasrDepthwiseConv1D", 0) == expected
    assert "NcasrDepthwiseConv1D" not in theirs._r.encoder_overrides
    a, b = ours._r.encode(feats), theirs._r.encode(feats)
    assert len(a) == len(b) > 0
    worst = max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b))
    assert worst < 1e-5, worst


@pytest.mark.parametrize("channels,kernel,out_w", [(16, 31, 16), (48, 3, 5), (384, 31, 46), (32, 1, 1), (64, 5, 7)])
@pytest.mark.parametrize("pack", [4, 8, 16])
def test_packed_layout_equals_unpacked_bit_for_bit(channels, kernel, out_w, pack):
    """ncnn's elempack layout (the layer takes packed blobs): same sums, same bits."""
    rng = np.random.default_rng(channels + kernel + out_w + pack)
    x = rng.standard_normal((channels, out_w + kernel - 1)).astype(np.float32)
    w = rng.standard_normal((channels, kernel)).astype(np.float32)
    b = rng.standard_normal(channels).astype(np.float32)
    for bias in (None, b):
        scalar, _ = _core._testing.depthwise_conv1d(x, w, bias, "scalar")
        for path in _core.kernel_paths():
            y, ran = _core._testing.depthwise_conv1d_packed(x, w, bias, pack, path)
            assert ran == path
            assert y.tobytes() == scalar.tobytes(), (path, pack)
    with pytest.raises(ncasr.ConfigError):
        _core._testing.depthwise_conv1d_packed(x[:3], w[:3], None, 4)  # pack must divide the channels


@pytest.mark.parametrize("channels", [32, 12, 7])
def test_layer_on_packed_and_plain_blobs(tmp_path, channels):
    """32 channels reach the layer packed (16 or 8 per row), 12 by 4, 7 unpacked: all equal
    the unpacked scalar kernel bit for bit."""
    from helpers.layer_nets import _tagged_fp32, _write

    rng = np.random.default_rng(channels)
    k, width = 31, 46
    w = rng.standard_normal((channels, k)).astype(np.float32)
    b = rng.standard_normal(channels).astype(np.float32)
    x = rng.standard_normal((channels, width)).astype(np.float32)
    line = (
        f"ConvolutionDepthWise1D dw                 1 1 in0 out0 0={channels} 1={k} 2=1 3=1 4=0 5=1 "
        f"6={channels * k} 7={channels}"
    )
    param, binf = _write(tmp_path, "dw", [line], _tagged_fp32(w) + b.astype("<f4").tobytes())
    ours = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["depthwise_conv1d"])
    assert ours["overrides"] == {"NcasrDepthwiseConv1D": 1}
    scalar, _ = _core._testing.depthwise_conv1d(x, w, b, "scalar")
    assert ours["out0"].reshape(scalar.shape).tobytes() == scalar.tobytes()
