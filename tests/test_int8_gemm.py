"""ncasr's int8 matrix product (kernels/int8_gemm): exact int32 on every path this CPU has,
against an int64 NumPy reference, on streaming shapes and odd ones, at the int8 extremes."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from ncasr import _core

SHAPES = [(1, 1, 1), (3, 5, 7), (8, 128, 128), (9, 33, 130), (16, 512, 384), (64, 257, 1025)]


@pytest.mark.parametrize("m,n,k", SHAPES)
def test_every_path_is_exact(m, n, k):
    rng = np.random.default_rng(m * 7 + n * 13 + k)
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
    w = rng.integers(-128, 128, size=(n, k), dtype=np.int8)
    a[0, :] = -128  # (-128) * (-128) and (-128) * 127 everywhere in row 0
    w[0, :] = -128
    w[-1, :] = 127
    ref = a.astype(np.int64) @ w.astype(np.int64).T
    for path in _core.kernel_paths():
        c, ran = _core._testing.int8_gemm(a, w, path)
        assert c.dtype == np.int32 and c.shape == (m, n)
        assert np.array_equal(c.astype(np.int64), ref), path
        if path != "avx512":  # avx512 without VNNI would run the avx2 kernel
            assert ran == path


def test_shape_errors():
    with pytest.raises(ncasr.ConfigError):
        _core._testing.int8_gemm(np.zeros((2, 3), np.int8), np.zeros((4, 5), np.int8))
    with pytest.raises(ncasr.ConfigError):
        _core._testing.int8_gemm(np.zeros((2, 0), np.int8), np.zeros((4, 0), np.int8))


def test_packed_weights_run_repeatedly():
    rng = np.random.default_rng(5)
    w = rng.integers(-128, 128, size=(40, 70), dtype=np.int8)
    for path in _core.kernel_paths():
        g = _core._testing.PackedInt8Gemm(w, path)
        out = np.empty((6, 40), np.int32)
        for _ in range(2):  # packed once, reused
            a = rng.integers(-128, 128, size=(6, 70), dtype=np.int8)
            g.run(a, out)
            assert np.array_equal(out, a.astype(np.int64) @ w.astype(np.int64).T)
        with pytest.raises(ncasr.ConfigError):
            g.run(np.zeros((6, 71), np.int8), out)


@pytest.fixture
def avx2_variant():
    """Forces one AVX2-path kernel for the weights packed inside the test, then restores."""

    def force(v):
        _core._testing.set_int8_gemm_avx2_vnni256(v)

    yield force
    _core._testing.set_int8_gemm_avx2_vnni256(-1)


@pytest.mark.parametrize("m,n,k", SHAPES)
def test_every_avx2_variant_is_exact(m, n, k, avx2_variant):
    """The AVX2 path's kernels on this CPU: int16 (0) and, where AVX-512 VL + VNNI exists, the
    AVX-VNNI kernel's code built as EVEX (2); an AVX-VNNI CPU runs that code as VEX (1)."""
    if "avx2" not in _core.kernel_paths():
        pytest.skip("no AVX2 on this CPU")
    variants = _core._testing.int8_gemm_avx2_vnni256_variants()
    assert 0 in variants
    rng = np.random.default_rng(m + n + k)
    a = rng.integers(-128, 128, size=(m, k), dtype=np.int8)
    w = rng.integers(-128, 128, size=(n, k), dtype=np.int8)
    a[0, :], w[0, :], w[-1, :] = -128, -128, 127
    ref = a.astype(np.int64) @ w.astype(np.int64).T
    for v in variants:
        avx2_variant(v)
        g = _core._testing.PackedInt8Gemm(w, "avx2")
        assert g.vnni256 == v
        out = np.empty((m, n), np.int32)
        g.run(a, out)
        assert np.array_equal(out.astype(np.int64), ref), v
        q, scales, _ = _core._testing.quantize_int8_rows((a / 3.0).astype(np.float32), "avx2")
        q0, scales0, _ = _core._testing.quantize_int8_rows((a / 3.0).astype(np.float32), "scalar")
        assert np.array_equal(q, q0) and np.array_equal(scales, scales0), v


def test_unsupported_variant_is_an_error():
    with pytest.raises(ncasr.ConfigError):
        _core._testing.set_int8_gemm_avx2_vnni256(7)
