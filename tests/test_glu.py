"""NcasrGLU: GLU along axis 0 on ncasr's SIMD kernel, on ncnn's packed blobs.

Each kernel path equals the scalar twin bit for bit and tracks float64; the layer equals a
NumPy GLU for 1-, 2- and 3-D blobs, packed (halves on whole packs) or not (halves inside a
pack: unpacked first), and only axis-0 GLUs are replaced."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.layer_nets import _write
from ncasr import _core


def sigmoid64(v):
    return 1 / (1 + np.exp(-v.astype(np.float64)))


@pytest.mark.parametrize("n", [1, 3, 4, 15, 16, 17, 100, 1031])
def test_every_path_equals_scalar_and_float64(n):
    rng = np.random.default_rng(n)
    a = (rng.standard_normal(n) * 5).astype(np.float32)
    b = (rng.standard_normal(n) * 10).astype(np.float32)
    b[: min(n, 4)] = [100.0, -100.0, 0.0, -1e-8][: min(n, 4)]  # clamped exp, saturation, zero
    scalar, ran = _core._testing.glu(a, b, path="scalar")
    assert ran == "scalar"
    np.testing.assert_allclose(scalar, a * sigmoid64(b), rtol=2e-6, atol=1e-30)
    for path in _core.kernel_paths():
        out, ran = _core._testing.glu(a, b, path=path)
        assert ran == path
        assert out.tobytes() == scalar.tobytes(), path


def glu_net(tmp_path, axis=0):
    return _write(tmp_path, "glu", [f"GLU              glu                      1 1 in0 out0 0={axis}"], b"")


@pytest.mark.parametrize("shape", [(64,), (6,), (768, 16), (40, 7), (2, 5), (32, 3, 4), (6, 2, 3)])
def test_layer_equals_numpy_packed_or_not(tmp_path, shape):
    # 768 rows pack by 16 with whole packs per half; 40 rows pack by 8 into 5 packs: the halves
    # split inside a pack and the layer unpacks first; 2, 6 and 6 channels stay unpacked.
    rng = np.random.default_rng(len(shape) * 100 + shape[0])
    x = (rng.standard_normal(shape) * 3).astype(np.float32)
    param, binf = glu_net(tmp_path)
    ours = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["glu"])
    ncnn_out = _core.run_net(param, binf, {"in0": x}, ["out0"])
    assert ours["overrides"] == {"NcasrGLU": 1} and "overrides" not in ncnn_out
    half = shape[0] // 2
    ref = x[:half].astype(np.float64) * sigmoid64(x[half:])
    got = ours["out0"].reshape(ref.shape)
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-30)
    np.testing.assert_allclose(got, ncnn_out["out0"].reshape(ref.shape), rtol=2e-6, atol=1e-30)


def test_other_axes_keep_ncnns_glu(tmp_path):
    param, binf = glu_net(tmp_path, axis=1)
    x = np.ones((4, 6), np.float32)
    out = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["glu"])
    assert "overrides" not in out
