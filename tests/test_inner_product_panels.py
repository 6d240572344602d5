"""NcasrInnerProductPanels: float InnerProduct on the panel matrix-vector kernels.

One weight sweep per input row (the few-frame calls of streaming encoders). Against float64:
within float rounding on the float weights (fp32 storage) or on the fp16-rounded weights (fp16
storage); the same bits at one or two threads; only plain float InnerProducts are replaced."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from conftest import SMALL_MODELS, fixture_dir
from helpers.layer_nets import _tagged_fp32, _write
from ncasr import _core


def ip_net(tmp_path, w, bias=None, extra=""):
    n, k = w.shape
    blob = _tagged_fp32(w) + (np.asarray(bias, "<f4").tobytes() if bias is not None else b"")
    line = f"InnerProduct     ip                       1 1 in0 out0 0={n} 1={int(bias is not None)} 2={n * k}{extra}"
    return _write(tmp_path, "ip", [line], blob)


@pytest.mark.parametrize("n,k", [(1, 1), (17, 33), (64, 100), (200, 513), (2048, 64)])
@pytest.mark.parametrize("rows", [0, 1, 3])  # 0: a 1-D input
@pytest.mark.parametrize("with_bias", [False, True])
@pytest.mark.parametrize("fp16", [False, True])
def test_tracks_float64(tmp_path, n, k, rows, with_bias, fp16):
    rng = np.random.default_rng(n * 3 + k + rows)
    w = rng.standard_normal((n, k)).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32) if with_bias else None
    x = rng.standard_normal((rows, k) if rows else (k,)).astype(np.float32)
    param, binf = ip_net(tmp_path, w, b)
    ours = _core.run_net(param, binf, {"in0": x}, ["out0"], fp16=fp16, overrides=["inner_product"])
    assert ours["overrides"] == {"NcasrInnerProductPanels": 1}
    wr = (w.astype(np.float16) if fp16 else w).astype(np.float64)
    ref = np.atleast_2d(x).astype(np.float64) @ wr.T + (0 if b is None else b)
    terms = np.abs(np.atleast_2d(x).astype(np.float64)) @ np.abs(wr.T) + (0 if b is None else np.abs(b))
    got = ours["out0"].reshape(ref.shape)
    assert np.all(np.abs(got - ref) <= (k + 1) * np.finfo(np.float32).eps * terms + 1e-30)
    if not fp16:  # ncnn's own layer agrees within float rounding too
        theirs = _core.run_net(param, binf, {"in0": x}, ["out0"])
        assert "overrides" not in theirs
        np.testing.assert_allclose(got, theirs["out0"].reshape(ref.shape), rtol=1e-4, atol=1e-4 * np.abs(ref).max())


def test_threads_change_nothing(tmp_path):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((2048, 512)).astype(np.float32)  # big enough to split across threads
    x = rng.standard_normal((2, 512)).astype(np.float32)
    param, binf = ip_net(tmp_path, w, rng.standard_normal(2048).astype(np.float32))
    one = _core.run_net(param, binf, {"in0": x}, ["out0"], num_threads=1, overrides=["inner_product"])
    two = _core.run_net(param, binf, {"in0": x}, ["out0"], num_threads=2, overrides=["inner_product"])
    assert one["out0"].tobytes() == two["out0"].tobytes()


def test_fused_activation_is_left_to_ncnn(tmp_path):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((16, 8)).astype(np.float32)
    x = rng.standard_normal(8).astype(np.float32)
    param, binf = ip_net(tmp_path, w, None, " 9=1")  # fused ReLU
    out = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["inner_product"])
    assert "overrides" not in out
    np.testing.assert_allclose(out["out0"], np.maximum(w @ x, 0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_recognizer_uses_it_in_lstm_encoders_only(name):
    d = fixture_dir(name)
    on = ncasr.Recognizer.from_dir(d)
    off = ncasr.Recognizer.from_dir(d, inner_product_panels=False)
    replaced = on._r.encoder_overrides.get("NcasrInnerProductPanels", 0)
    assert "NcasrInnerProductPanels" not in off._r.encoder_overrides
    if not name.startswith("lstm"):  # 8-32 frames per call there: ncnn's Gemm is faster
        assert replaced == 0
        return
    assert replaced > 0
    rng = np.random.default_rng(5)
    feats = (rng.standard_normal((300, 80)) * 2 - 8).astype(np.float32)
    a, b = on._r.encode(feats), off._r.encode(feats)
    assert len(a) == len(b) > 0
    # fp16 weight storage: both round the weights to fp16; the sum order and ncnn's rounding
    # of its fp16 weights differ
    worst = max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b))
    assert worst < 2e-3, worst
