"""NcasrInt8Gemm: the int8 Linear / pointwise-conv layer on ncasr's int8 kernels.

Its activation quantization on every kernel path equals the scalar twin and a NumPy
reference; its output stays within the error bound the scales imply; packed inputs (ncnn's
elempack 4/8/16), several threads and odd shapes change nothing; it replaces ncnn's int8 Gemm
at load when asked; the converter writes it (per-channel weight scales) and marks the folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.layer_nets import quantize_weights, write_gemm_net
from ncasr import _core


def np_quantize_rows(x):
    absmax = np.abs(x).max(axis=1)
    scale = np.ones_like(absmax)
    scale[absmax > 0] = np.float32(127) / absmax[absmax > 0]
    q = np.clip(np.rint(x * scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


@pytest.mark.parametrize("path", _core.kernel_paths())
def test_activation_quantization_matches_numpy_on_every_path(path):
    rng = np.random.default_rng(1)
    for m, k in [(1, 1), (3, 5), (8, 37), (16, 384), (5, 1000)]:
        x = (rng.standard_normal((m, k)) * rng.uniform(0.01, 100)).astype(np.float32)
        x[0, 0] = 0.5 / (127 / np.abs(x[0]).max())  # an exact .5 after scaling: round half to even
        if m > 2:
            x[2] = 0.0  # an all-zero row: scale 1, all zero
        q, s, ran = _core._testing.quantize_int8_rows(x, path)
        assert ran == path or (path == "avx512" and ran == "avx2")  # AVX-512 without VNNI
        qr, sr = np_quantize_rows(x)
        np.testing.assert_array_equal(s, sr)
        np.testing.assert_array_equal(q, qr)
        assert np.abs(q).max() <= 127


def error_bound(x, w, sa, sw):
    """|y - x W^T| per element, from rounding x to 1/sa and W to 1/sw steps (half a step each)."""
    ax, aw = np.abs(x).astype(np.float64), np.abs(w).astype(np.float64)
    da, dw = 0.5 / sa.astype(np.float64), 0.5 / sw.astype(np.float64)
    k = x.shape[1]
    return ax.sum(1)[:, None] * dw[None, :] + da[:, None] * aw.sum(1)[None, :] + k * da[:, None] * dw[None, :]


def run(param, binf, x, **kw):
    return _core.run_net(param, binf, {"in0": x}, ["out0"], **kw)


@pytest.mark.parametrize("layout", ["rows", "columns"])
@pytest.mark.parametrize("form", ["ncasr-int8", "ncnn-int8"])
@pytest.mark.parametrize("t,k,n", [(1, 16, 7), (7, 100, 37), (16, 384, 200), (20, 96, 64)])
def test_output_within_the_quantization_bound(tmp_path, layout, form, t, k, n):
    rng = np.random.default_rng(t * 1000 + k + n)
    w = (rng.standard_normal((n, k)) * rng.uniform(0.2, 2.0, (n, 1)) * 0.05).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    x = rng.standard_normal((t, k)).astype(np.float32)
    param, binf = write_gemm_net(tmp_path, w, b, form, layout)
    overrides = [] if form == "ncasr-int8" else ["int8_gemm"]  # ncnn's params, ncasr's layer
    y = run(param, binf, x if layout == "rows" else np.ascontiguousarray(x.T), overrides=overrides)["out0"]
    if layout == "columns":
        y = y.T
    ref = x.astype(np.float64) @ w.T.astype(np.float64) + b
    _, sw = quantize_weights(w, per_channel=form == "ncasr-int8" or layout == "columns")
    sw = np.broadcast_to(sw, (n,))
    _, sa = np_quantize_rows(x)
    bound = error_bound(x, w, sa, sw) + 1e-5 * (np.abs(ref) + 1)  # + float32 sums
    err = np.abs(y - ref)
    assert (err <= bound).all(), float((err - bound).max())
    assert err.max() > 0  # it did quantize


def test_per_channel_scales_beat_one_scale(tmp_path):
    rng = np.random.default_rng(5)
    w = (rng.standard_normal((256, 256)) * np.geomspace(0.01, 1, 256)[:, None]).astype(np.float32)
    x = rng.standard_normal((16, 256)).astype(np.float32)
    ref = x.astype(np.float64) @ w.T
    errs = {}
    for form in ("ncasr-int8", "ncnn-int8"):
        p, bn = write_gemm_net(tmp_path / form, w, None, form, "rows")
        y = run(p, bn, x, overrides=["int8_gemm"])["out0"]
        errs[form] = np.linalg.norm(y - ref) / np.linalg.norm(ref)
    assert errs["ncasr-int8"] < 0.5 * errs["ncnn-int8"], errs


def emulate(rows, w, b):
    """The layer's arithmetic in NumPy: per-row int8 activations, per-channel int8 weights,
    exact int32 sums, then c * (1/sa * 1/sw) + b in float32, as the layer rounds it."""
    q, sa = np_quantize_rows(rows)
    wq, sw = quantize_weights(w, per_channel=True)
    c = q.astype(np.int64) @ wq.astype(np.int64).T
    inv = (np.float32(1) / sa)[:, None] * (np.float32(1) / sw)[None, :]
    return c.astype(np.float32) * inv + b


@pytest.mark.parametrize("layout", ["rows", "columns"])
@pytest.mark.parametrize("t", [3, 4, 8, 16, 32])
def test_packed_inputs_and_threads_change_nothing(tmp_path, layout, t):
    """A float Gemm first, so the int8 layer gets ncnn's packed blob (elempack 4, 8 or 16 on
    this CPU, by T or K); its output must equal the NumPy emulation of its arithmetic on that
    blob's values, with 1 or 2 threads (N = 200: the threads split inside a 64-column panel)."""
    rng = np.random.default_rng(t)
    k0, k, n = 48, 96, 200
    w0 = (rng.standard_normal((k, k0)) * 0.1).astype(np.float32)
    w = (rng.standard_normal((n, k)) * 0.1).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    p0, b0 = write_gemm_net(tmp_path, w0, None, "fp32", layout, name="first")
    p1, b1 = write_gemm_net(tmp_path, w, b, "ncasr-int8", layout, name="second")
    chain = tmp_path / "chain.param"
    first = Path(p0).read_text().splitlines()[3].replace("out0", "mid")
    second = Path(p1).read_text().splitlines()[3].replace(" in0 ", " mid ")
    chain.write_text(f"7767517\n3 3\nInput in0 0 1 in0\n{first}\n{second}\n")
    chain_bin = tmp_path / "chain.bin"
    chain_bin.write_bytes(Path(b0).read_bytes() + Path(b1).read_bytes())
    x = rng.standard_normal((t, k0) if layout == "rows" else (k0, t)).astype(np.float32)
    outs = [_core.run_net(str(chain), str(chain_bin), {"in0": x}, ["mid", "out0"], num_threads=nt) for nt in (1, 2)]
    np.testing.assert_array_equal(outs[0]["out0"], outs[1]["out0"])
    mid = outs[0]["mid"]
    if layout == "rows":
        np.testing.assert_array_equal(outs[0]["out0"], emulate(mid, w, b))
    else:
        np.testing.assert_array_equal(outs[0]["out0"], emulate(np.ascontiguousarray(mid.T), w, b).T)


def test_replaces_ncnn_int8_gemm_only_when_asked(tmp_path):
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((64, 32)) * 0.1).astype(np.float32)
    x = rng.standard_normal((8, 32)).astype(np.float32)
    p, bn = write_gemm_net(tmp_path, w, None, "ncnn-int8", "rows")
    ncnn_out = run(p, bn, x)
    ours = run(p, bn, x, overrides=["int8_gemm"])
    assert "overrides" not in ncnn_out and ours["overrides"] == {"NcasrInt8Gemm": 1}
    ref = x @ w.T
    for y in (ncnn_out["out0"], ours["out0"]):
        assert np.linalg.norm(y - ref) / np.linalg.norm(ref) < 0.02
    assert not np.array_equal(ncnn_out["out0"], ours["out0"])  # another rounding: ours ran


def test_float_gemm_is_never_replaced(tmp_path):
    w = np.ones((16, 8), np.float32)
    p, bn = write_gemm_net(tmp_path, w, None, "fp32", "rows")
    out = run(p, bn, np.ones((2, 8), np.float32), overrides=["int8_gemm"])
    assert "overrides" not in out
    np.testing.assert_array_equal(out["out0"], np.full((2, 16), 8, np.float32))


def test_bad_input_is_an_error_not_a_crash(tmp_path):
    w = np.ones((16, 8), np.float32)
    p, bn = write_gemm_net(tmp_path, w, None, "ncasr-int8", "rows")
    with pytest.raises(Exception, match="out0"):
        run(p, bn, np.ones((2, 9), np.float32))  # K = 9, the layer has 8


def test_peak_is_measured_where_the_vnni_loop_exists():
    peak = _core._testing.int8_peak_gops(0.05)
    if "avx512" in _core.kernel_paths():
        assert peak > 10.0
    else:
        assert peak == 0.0


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_avx2_path_kernels_give_the_same_layer_output(tmp_path, layout):
    """On the AVX2 path the layer runs the int16 kernel or, where the CPU has it, the 256-bit
    VNNI one (here its EVEX build): exact int32 either way, so the same output bits."""
    if "avx2" not in _core.kernel_paths():
        pytest.skip("no AVX2 on this CPU")
    rng = np.random.default_rng(17)
    t, k, n = 12, 72, 40
    w = (rng.standard_normal((n, k)) * 0.1).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    param, binf = write_gemm_net(tmp_path, w, b, "ncasr-int8", layout)
    x = rng.standard_normal((t, k) if layout == "rows" else (k, t)).astype(np.float32)
    outs = []
    try:
        _core.set_kernel_path("avx2")
        for v in _core._testing.int8_gemm_avx2_vnni256_variants():
            _core._testing.set_int8_gemm_avx2_vnni256(v)
            outs.append(_core.run_net(param, binf, {"in0": x}, ["out0"])["out0"])
    finally:
        _core._testing.set_int8_gemm_avx2_vnni256(-1)
        _core.set_kernel_path("auto")
    ref = emulate(x, w, b) if layout == "rows" else emulate(np.ascontiguousarray(x.T), w, b).T
    for out in outs:
        np.testing.assert_array_equal(out, ref)
