"""NcasrDoubleSwish: pnnx's four-layer DoubleSwish fused into one in-place layer.

The fused layer equals x * sigmoid(x - 1) in float64 within float rounding, packed or not;
only the exact pattern is fused (a shifted subtraction, an extra consumer or a scalar mul
leave the graph alone); the .bin is read as before (whole encoders load with it)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.layer_nets import _write
from ncasr import _core


def net(tmp_path, sub="0=1 1=1 2=1.000000e+00", mul="0=2", extra=False):
    lines = [
        "Split            split                    1 2 in0 a b",
        f"BinaryOp         minus                    1 1 a s {sub}",
        "Sigmoid          sig                      1 1 s g",
    ]
    if extra:  # the sigmoid's output also leaves the graph: not fusable
        lines = [
            lines[0],
            lines[1],
            "Sigmoid          sig                      1 1 s g0",
            "Split            split2                   1 2 g0 g gx",
        ]
    lines.append(f"BinaryOp         mul                      2 1 b g out0 {mul}")
    return _write(tmp_path, "ds", lines, b"")


@pytest.mark.parametrize("shape", [(7,), (32, 5), (48, 3, 4), (5, 3)])
def test_fused_equals_float64_packed_or_not(tmp_path, shape):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    param, binf = net(tmp_path)
    fused = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["double_swish"])
    layers = _core.run_net(param, binf, {"in0": x}, ["out0"])
    assert fused["overrides"] == {"NcasrDoubleSwish": 1} and "overrides" not in layers
    ref = x.astype(np.float64) / (1 + np.exp(-(x.astype(np.float64) - 1)))
    np.testing.assert_allclose(fused["out0"].reshape(shape), ref, rtol=2e-6, atol=1e-30)
    np.testing.assert_allclose(fused["out0"], layers["out0"], rtol=2e-6, atol=1e-30)


@pytest.mark.parametrize(
    "kw", [dict(sub="0=1 1=1 2=2.000000e+00"), dict(sub="0=0 1=1 2=1.000000e+00"), dict(extra=True)]
)
def test_other_patterns_are_left_alone(tmp_path, kw):
    param, binf = net(tmp_path, **kw)
    x = np.linspace(-3, 3, 12, dtype=np.float32)
    out = _core.run_net(param, binf, {"in0": x}, ["out0"], overrides=["double_swish"])
    assert "overrides" not in out


def test_glu_kernel_shift_is_double_swish():
    x = np.linspace(-20, 20, 101, dtype=np.float32)
    scalar, _ = _core._testing.glu(x, x, -1.0, "scalar")
    np.testing.assert_allclose(scalar, x / (1 + np.exp(-(x.astype(np.float64) - 1))), rtol=2e-6, atol=1e-30)
    for path in _core.kernel_paths():
        out, ran = _core._testing.glu(x, x, -1.0, path)
        assert ran == path and out.tobytes() == scalar.tobytes()
