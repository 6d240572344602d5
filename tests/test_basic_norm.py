"""NcasrBasicNorm: pnnx's six-layer BasicNorm fused into one in-place layer.

The fused layer equals x * (mean(x^2 over the last axis) + eps)^-0.5 in float64 within float
rounding, packed or not (a packed 1-D blob is one row, not pack-many); a chain that is not
exactly BasicNorm is left alone; whole encoders of every architecture load with it (their
.bin read to the end) and fuse the expected count."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.layer_nets import _write
from ncasr import _core


def net(tmp_path, axes="1,-1", power="-5.000000e-01", tops=("a", "b", "c")):
    a, b, c = tops
    lines = [
        "Split            split                    1 3 in0 a b c",
        f"BinaryOp         square                   2 1 {a} {b} q 0=2",
        f"Reduction        mean                     1 1 q m 0=3 1=0 -23303={axes} 4=1 5=1",
        "BinaryOp         eps                      1 1 m e 0=0 1=1 2=2.500000e-01",
        f"BinaryOp         pow                      1 1 e s 0=6 1=1 2={power}",
        f"BinaryOp         scale                    2 1 {c} s out0 0=2",
    ]
    return _write(tmp_path, "bn", lines, b"")


@pytest.mark.parametrize("shape", [(7,), (64,), (16, 48), (12, 5), (3, 40), (32, 2, 24)])
@pytest.mark.parametrize("tops", [("a", "b", "c"), ("c", "a", "b")])
def test_fused_equals_float64_packed_or_not(tmp_path, shape, tops):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    param, binf = net(tmp_path, tops=tops)
    fused = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["basic_norm"])
    layers = _core.run_net(param, binf, {"in0": x}, ["out0"])
    assert fused["overrides"] == {"NcasrBasicNorm": 1} and "overrides" not in layers
    x64 = x.astype(np.float64)
    ref = x64 * (np.mean(x64 * x64, axis=-1, keepdims=True) + 0.25) ** -0.5
    np.testing.assert_allclose(fused["out0"].reshape(shape), ref, rtol=1e-5, atol=1e-30)
    np.testing.assert_allclose(fused["out0"], layers["out0"], rtol=1e-5, atol=1e-30)


@pytest.mark.parametrize("kw", [dict(axes="1,0"), dict(power="-2.500000e-01")])
def test_other_chains_are_left_alone(tmp_path, kw):
    param, binf = net(tmp_path, **kw)
    out = _core.run_net(param, binf, {"in0": np.ones((4, 6), np.float32)}, ["out0"], overrides=["basic_norm"])
    assert "overrides" not in out


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_encoders_fuse_and_agree(name, test_wavs):
    from helpers.knf import knf_fbank

    x, rate = ncasr.load_audio(test_wavs[1])
    feats = knf_fbank(x, rate)
    fused = ncasr.Recognizer.from_dir(fixture_dir(name), use_fp16_storage=False)
    plain = ncasr.Recognizer.from_dir(
        fixture_dir(name), use_fp16_storage=False, fuse_basic_norm=False, fuse_double_swish=False
    )
    assert fused._r.encoder_overrides.get("NcasrBasicNorm", 0) > 0
    assert "NcasrBasicNorm" not in plain._r.encoder_overrides
    a, b = fused._r.encode(feats), plain._r.encode(feats)
    assert len(a) == len(b) > 0
    worst = max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b))
    assert worst < 1e-4, worst


@pytest.mark.parametrize("axes,shape", [("1,1", (16, 48)), ("1,1", (3, 40)), ("1,2", (32, 2, 24)), ("1,2", (4, 3, 8))])
def test_last_axis_written_as_its_index_is_fused(tmp_path, axes, shape):
    # pnnx writes the last axis as its index in some exports (the bundled LSTM's encoder).
    x = (np.random.default_rng(len(shape)).standard_normal(shape) * 3).astype(np.float32)
    param, binf = net(tmp_path, axes=axes)
    fused = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["basic_norm"])
    layers = _core.run_net(param, binf, {"in0": x}, ["out0"])
    assert fused["overrides"] == {"NcasrBasicNorm": 1}
    np.testing.assert_allclose(fused["out0"], layers["out0"], rtol=1e-5, atol=1e-30)


def test_index_that_is_not_the_last_axis_is_an_error(tmp_path):
    # Axis 1 of a 3-D blob is its rows, not BasicNorm's axis: the fused layer refuses it.
    param, binf = net(tmp_path, axes="1,1")
    x = np.ones((4, 3, 8), np.float32)
    with pytest.raises(ncasr.NcasrError):
        _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["basic_norm"])
