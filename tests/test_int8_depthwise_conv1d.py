"""NcasrDepthwiseConv1DInt8: the int8 depthwise Conv1D (kernel 31 in Zipformer and
Conv-Emformer) on ncasr's int8 kernel.

Every SIMD path (AVX-512 VNNI, AVX2, NEON under qemu) equals the scalar twin and an exact
NumPy model of the quantized arithmetic bit for bit, on every packed layout; the layer's
output stays within the error bound the scales imply; the converter writes it
(`--ncasr-int8-depthwise`) and marks the folder ncasr-only; the recognizer can run a float
model's depthwise layers in int8 at load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ncasr
from conftest import fixture_dir
from helpers.knf import knf_fbank
from helpers.layer_nets import write_depthwise_net
from ncasr import _core

F32 = np.float32


def np_scales(v):
    """127 / absmax per row (1 for a zero row), in float32 as the kernel computes it."""
    amax = np.abs(v).max(axis=1).astype(F32)
    return np.where(amax > 0, F32(127) / np.where(amax > 0, amax, F32(1)), F32(1)).astype(F32)


def np_quantize(v, s):
    return np.clip(np.rint(v * s[:, None]), -127, 127).astype(np.int64)


def exact_model(x, w, b, w_q=None, w_s=None):
    """The kernel's definition in NumPy: per-channel int8 taps and activations, exact int
    sums, float32 dequantize (multiply by 1 / (sx * sw), then add the bias)."""
    c, k = w.shape
    if w_q is None:
        w_s = np_scales(w)
        w_q = np_quantize(w, w_s)
    sx = np_scales(x)
    qx = np_quantize(x, sx)
    t = x.shape[1] - k + 1
    acc = np.zeros((c, t), np.int64)
    for i in range(k):
        acc += w_q[:, i : i + 1].astype(np.int64) * qx[:, i : i + t]
    deq = (F32(1) / (sx * w_s)).astype(F32)
    y = (acc.astype(F32) * deq[:, None]).astype(F32)
    return (y + (F32(0) if b is None else b[:, None])).astype(F32), sx, w_s


def float_reference(x, w, b):
    c, k = w.shape
    t = x.shape[1] - k + 1
    y = np.zeros((c, t), np.float64)
    for i in range(k):
        y += x[:, i : i + t].astype(np.float64) * w[:, i : i + 1]
    return y if b is None else y + b[:, None]


def error_bound(x, w, sx, sw):
    """|int8 - float| per output: each tap's activation and weight are off by at most half a
    step (0.5 / sx, 0.5 / sw), so sum_k |w| / (2 sx) + |x| / (2 sw) + 1 / (4 sx sw)."""
    c, k = w.shape
    t = x.shape[1] - k + 1
    dx, dw = 0.5 / sx.astype(np.float64), 0.5 / sw.astype(np.float64)
    ax = np.zeros((c, t))
    for i in range(k):
        ax += np.abs(x[:, i : i + t])
    return np.abs(w).sum(1)[:, None] * dx[:, None] + ax * dw[:, None] + k * (dx * dw)[:, None]


def simd_paths():
    return [p for p in _core.kernel_paths() if p != "scalar"]


SHAPES = [(16, 31, 16), (384, 31, 16), (48, 5, 7), (64, 1, 1), (16, 3, 2), (32, 31, 1), (8, 32, 9), (4, 7, 30)]


@pytest.mark.parametrize(
    "channels,kernel,out_w,pack", [(*s, p) for s in SHAPES for p in (1, 4, 8, 16) if s[0] % p == 0]
)
@pytest.mark.parametrize("with_bias", [False, True])
def test_every_path_equals_the_exact_model(channels, kernel, out_w, pack, with_bias):
    rng = np.random.default_rng(channels * 100 + kernel * 10 + out_w + pack)
    x = (rng.standard_normal((channels, out_w + kernel - 1)) * rng.uniform(0.01, 50)).astype(F32)
    w = rng.standard_normal((channels, kernel)).astype(F32)
    b = rng.standard_normal(channels).astype(F32) if with_bias else None
    expect, _, _ = exact_model(x, w, b)
    for path in _core.kernel_paths():
        y, ran = _core._testing.int8_depthwise_conv1d(x, w, b, pack, path)
        # plain rows (pack 1) run only on the scalar twin; AVX-512 without VNNI runs AVX2
        assert ran.split("+")[0] == ("scalar" if pack == 1 else path) or (path == "avx512" and ran == "avx2")
        assert y.tobytes() == expect.tobytes(), (path, pack)


@pytest.mark.parametrize("path", _core.kernel_paths())
def test_saturation_and_rounding_edges(path):
    """Rows at +-absmax (q = +-127), exact .5 ties (round half to even), all-zero and
    constant rows, a single spike, and weights at +-max: all paths equal the exact model."""
    c, k, t = 32, 31, 20
    rng = np.random.default_rng(7)
    x = rng.standard_normal((c, t + k - 1)).astype(F32)
    x[0] = 0.0  # zero row: scale 1, all zero
    x[1] = 3.0  # constant: every q = 127
    x[2] = -3.0
    x[3] = np.arange(x.shape[1]) - 20.5  # absmax 29.5: ...
    x[4] = 0.0
    x[4, 10] = 1e6  # one spike: the rest rounds to 0
    x[5] = np.tile([127.0, -127.0, 2.5, -3.5, 0.5, -0.5], 10)[: x.shape[1]]  # scale 1: exact ties
    x[6] = np.linspace(-1e-30, 1e-30, x.shape[1])  # tiny magnitudes
    w = rng.standard_normal((c, k)).astype(F32)
    w[0] = 0.0
    w[1] = 1.0
    w[2, 0], w[2, -1] = 50.0, -50.0
    w[3] = -np.abs(w[3])
    b = rng.standard_normal(c).astype(F32)
    expect, _, _ = exact_model(x, w, b)
    for pack in (4, 8, 16):
        y, _ = _core._testing.int8_depthwise_conv1d(x, w, b, pack, path)
        assert y.tobytes() == expect.tobytes(), pack
    q = np_quantize(x[5:6], np_scales(x[5:6]))[0]
    assert list(q[:6]) == [127, -127, 2, -4, 0, 0]  # the ties really are ties, rounded to even


@pytest.mark.parametrize("channels,kernel,out_w", [(384, 31, 16), (64, 31, 3), (16, 5, 40)])
def test_within_the_quantization_bound_of_float(channels, kernel, out_w):
    rng = np.random.default_rng(channels + kernel)
    x = rng.standard_normal((channels, out_w + kernel - 1)).astype(F32)
    x[:, ::7] *= 10  # uneven magnitudes along time
    w = rng.standard_normal((channels, kernel)).astype(F32)
    b = rng.standard_normal(channels).astype(F32)
    y, _ = _core._testing.int8_depthwise_conv1d(x, w, b, 16 if channels % 16 == 0 else 4)
    _, sx, sw = exact_model(x, w, b)
    ref = float_reference(x, w, b)
    err = np.abs(y - ref)
    bound = error_bound(x, w, sx, sw) * 1.0001 + 1e-5 * np.abs(ref) + 1e-6
    assert np.all(err <= bound), float((err / bound).max())
    # and the bound is not vacuous: the error uses a good part of it and is small overall
    assert (err / bound).max() > 0.05
    assert float(np.abs(y - ref).max() / np.abs(ref).max()) < 0.02


def test_bad_shapes_are_errors():
    x = np.zeros((8, 10), F32)
    with pytest.raises(ncasr.ConfigError):
        _core._testing.int8_depthwise_conv1d(x, np.zeros((7, 3), F32))  # channel mismatch
    with pytest.raises(ncasr.ConfigError):
        _core._testing.int8_depthwise_conv1d(x, np.zeros((8, 11), F32))  # kernel wider than the input
    with pytest.raises(ncasr.ConfigError):
        _core._testing.int8_depthwise_conv1d(x, np.zeros((8, 3), F32), None, 16)  # pack does not divide


@pytest.mark.parametrize("channels", [32, 12, 7])
@pytest.mark.parametrize("pad", [0, 2])
def test_layer_from_an_int8_file_and_from_float_weights(tmp_path, channels, pad):
    """The converter's file form (8=1: int8 taps, scales) and a float layer quantized at load
    both equal the exact model on packed (32, 12 channels) and plain (7) blobs, padded or not."""
    rng = np.random.default_rng(channels + pad)
    k, width = 31, 46
    w = rng.standard_normal((channels, k)).astype(F32)
    b = rng.standard_normal(channels).astype(F32)
    x = rng.standard_normal((channels, width)).astype(F32)
    xp = np.pad(x, ((0, 0), (pad, pad)))
    from helpers.layer_nets import quantize_weights

    q, s = quantize_weights(w, per_channel=True)
    want_file, _, _ = exact_model(xp, w, b, q.astype(np.int64), s)
    param, binf = write_depthwise_net(tmp_path / "int8", w, b, "ncasr-int8", pad=pad)
    got = _core.run_net(param, binf, {"in0": x}, ["out0"])
    assert got["out0"].reshape(want_file.shape).tobytes() == want_file.tobytes()

    want_load, _, _ = exact_model(xp, w, b)
    param, binf = write_depthwise_net(tmp_path / "f32", w, b, "fp32", pad=pad)
    got = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["depthwise_conv1d_int8"])
    assert got["overrides"] == {"NcasrDepthwiseConv1DInt8": 1}
    assert got["out0"].reshape(want_load.shape).tobytes() == want_load.tobytes()


def test_a_truncated_int8_file_is_an_error(tmp_path):
    w = np.ones((16, 31), F32)
    param, binf = write_depthwise_net(tmp_path, w, np.zeros(16, F32), "ncasr-int8")
    data = Path(binf).read_bytes()
    Path(binf).write_bytes(data[:-8])
    with pytest.raises(ncasr.ModelError, match="truncated|does not belong"):
        _core.run_net(param, binf, {"in0": np.zeros((16, 40), F32)}, ["out0"])


@pytest.mark.parametrize("name,expected", [("conv-emformer-small", 2), ("zipformer-small", 20)])
def test_recognizer_option_runs_the_encoder_in_int8_depthwise(name, expected, test_wavs):
    """depthwise_conv1d_int8 swaps every kernel-31 depthwise layer; the encoder stays within
    a few percent of float (random weights: no accuracy to lose, only the output to track)."""
    x, rate = ncasr.load_audio(test_wavs[2])
    feats = knf_fbank(x, rate)
    on = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False, depthwise_conv1d_int8=True)
    off = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False)
    assert on._r.encoder_overrides.get("NcasrDepthwiseConv1DInt8", 0) == expected
    assert "NcasrDepthwiseConv1D" not in on._r.encoder_overrides
    a, b = on._r.encode(feats), off._r.encode(feats)
    assert len(a) == len(b) > 0
    worst = max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b))
    assert 0 < worst < 0.05, worst
