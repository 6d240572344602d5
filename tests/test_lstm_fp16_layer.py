"""Panel matrix-vector kernels (fp16 or float weights) and the LSTM layers on them:
NcasrLSTMFp16 (float LSTM with fp16 weights) and NcasrLSTMFp32 (float weights).

Every kernel path equals the scalar twin bit for bit and the twin tracks float64 on the same
(fp16-rounded or float) weights; the layers track a float64 LSTM on the float weights within
the weights' fp16 rounding (NcasrLSTMFp16) or float rounding (NcasrLSTMFp32), are the same at
one or two threads and frames at once or one by one, and replace only forward float LSTMs,
each only in its storage mode."""

from __future__ import annotations

import numpy as np
import pytest

import ncasr
from helpers.layer_nets import write_lstm_net
from ncasr import _core
from test_lstm_int8_layer import check_threads_and_frames_change_nothing, make, reference, run, stateless_param

SHAPES = [(1, 1), (15, 3), (16, 16), (17, 33), (64, 100), (65, 7), (200, 513), (4096, 64)]


@pytest.mark.parametrize("rows,cols", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_every_path_equals_scalar_and_float64(rows, cols, with_bias):
    rng = np.random.default_rng(rows * 7 + cols)
    w = rng.standard_normal((rows, cols)).astype(np.float32)
    w.flat[:4] = [65504.0, -6.1e-5, 3e-8, 0.0][: min(4, w.size)]  # largest, smallest normal, subnormal
    x = rng.standard_normal(cols).astype(np.float32)
    b = rng.standard_normal(rows).astype(np.float32) if with_bias else None
    scalar, ran, _ = _core._testing.f16_gemv(w, x, b, "scalar")
    assert ran == "scalar" and scalar.shape == (rows,)
    w16 = w.astype(np.float16).astype(np.float64)
    ref = w16 @ x.astype(np.float64) + (0 if b is None else b)
    # a float32 sum of cols rounded products: within (cols + 1) eps sum|terms|
    terms = np.abs(w16) @ np.abs(x.astype(np.float64)) + (0 if b is None else np.abs(b))
    assert np.all(np.abs(scalar - ref) <= (cols + 1) * np.finfo(np.float32).eps * terms + 1e-30)
    for path in _core.kernel_paths():
        y, ran, _ = _core._testing.f16_gemv(w, x, b, path)
        assert ran == path
        assert y.tobytes() == scalar.tobytes(), path


def test_bad_shapes_are_errors():
    with pytest.raises(ncasr.ConfigError):
        _core._testing.f16_gemv(np.zeros((4, 3), np.float32), np.zeros(4, np.float32))
    with pytest.raises(ncasr.ConfigError):
        _core._testing.f16_gemv(np.zeros((4, 3), np.float32), np.zeros(3, np.float32), np.zeros(5, np.float32))


@pytest.mark.parametrize("size,hidden,proj", [(40, 32, 16), (80, 64, 64), (33, 100, 48)])
@pytest.mark.parametrize("frames", [1, 7])
def test_layer_tracks_float64_within_fp16_rounding(tmp_path, size, hidden, proj, frames):
    rng = np.random.default_rng(size + hidden + proj + frames)
    w = make(rng, size, hidden, proj)
    x = rng.standard_normal((frames, size)).astype(np.float32)
    h0 = (rng.standard_normal(proj) * 0.5).astype(np.float32)
    c0 = (rng.standard_normal(hidden) * 0.5).astype(np.float32)
    param, binf = write_lstm_net(tmp_path, *w, form="fp32")
    ours = run(param, binf, x, h0, c0, overrides=["lstm_fp16"])
    ncnn_out = run(param, binf, x, h0, c0)
    assert ours["overrides"] == {"NcasrLSTMFp16": 1} and "overrides" not in ncnn_out
    # against float64 on the fp16-rounded weights: float32 rounding only
    w16 = [None if a is None else (a if a is w[1] else a.astype(np.float16).astype(np.float32)) for a in w]
    ref16 = reference(x, h0, c0, *w16)
    ref = reference(x, h0, c0, *w)
    for name, r16, r in zip(("out0", "h1", "c1"), ref16, ref):
        got = ours[name].reshape(r.shape)
        assert np.linalg.norm(got - r16) / np.linalg.norm(r16) < 1e-5, name
        # against the float weights: fp16 rounds each weight by at most 2^-11 relative
        assert np.linalg.norm(got - r) / np.linalg.norm(r) < 2e-3, name
    assert not np.array_equal(ours["out0"], ncnn_out["out0"])  # its own rounding: it ran


def test_threads_and_frames_one_by_one_change_nothing(tmp_path):
    rng = np.random.default_rng(11)
    w = make(rng, 256, 512, 256)  # 2048 x 512 gates: big enough to split across threads
    x = rng.standard_normal((5, 256)).astype(np.float32)
    param, binf = write_lstm_net(tmp_path, *w, form="fp32")
    check_threads_and_frames_change_nothing(
        param, binf, x, np.zeros(256, np.float32), np.zeros(512, np.float32), "lstm_fp16"
    )


def test_int8_lstm_is_never_replaced_and_stateless_form_runs(tmp_path):
    rng = np.random.default_rng(3)
    w = make(rng, 24, 32, 16)
    param, binf = write_lstm_net(tmp_path, *w, form="ncnn-int8")
    x = rng.standard_normal((3, 24)).astype(np.float32)
    out = run(param, binf, x, np.zeros(16, np.float32), np.zeros(32, np.float32), overrides=["lstm_fp16"])
    assert "overrides" not in out
    fparam, fbin = write_lstm_net(tmp_path / "f", *w, form="fp32")
    stateless = stateless_param(fparam, tmp_path)
    alone = _core.run_net(str(stateless), fbin, {"in0": x}, ["out0"], overrides=["lstm_fp16"])
    assert alone["overrides"] == {"NcasrLSTMFp16": 1}
    zero = run(fparam, fbin, x, np.zeros(16, np.float32), np.zeros(32, np.float32), overrides=["lstm_fp16"])
    np.testing.assert_array_equal(alone["out0"], zero["out0"])


def test_recognizer_uses_it_only_with_fp16_storage():
    model = ncasr.default_model_dir()
    on = ncasr.Recognizer.from_dir(model, variant="float")
    off = ncasr.Recognizer.from_dir(model, variant="float", lstm_fp16_weights=False)
    fp32 = ncasr.Recognizer.from_dir(model, variant="float", use_fp16_storage=False)
    layers = on._r.encoder_overrides.get("NcasrLSTMFp16", 0)
    assert layers > 0
    assert "NcasrLSTMFp16" not in off._r.encoder_overrides
    assert "NcasrLSTMFp16" not in fp32._r.encoder_overrides


@pytest.mark.parametrize("rows,cols", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_f32_every_path_equals_scalar_and_float64(rows, cols, with_bias):
    rng = np.random.default_rng(rows * 5 + cols)
    w = rng.standard_normal((rows, cols)).astype(np.float32)
    w.flat[:3] = [3.0e38, -1.2e-38, 1e-45][: min(3, w.size)]  # huge, smallest normal, subnormal
    x = rng.standard_normal(cols).astype(np.float32)
    x[0] = 1e-30  # keeps the huge weight's product finite
    b = rng.standard_normal(rows).astype(np.float32) if with_bias else None
    scalar, ran, _ = _core._testing.f32_gemv(w, x, b, "scalar")
    assert ran == "scalar" and scalar.shape == (rows,)
    ref = w.astype(np.float64) @ x.astype(np.float64) + (0 if b is None else b)
    terms = np.abs(w.astype(np.float64)) @ np.abs(x.astype(np.float64)) + (0 if b is None else np.abs(b))
    assert np.all(np.abs(scalar - ref) <= (cols + 1) * np.finfo(np.float32).eps * terms + 1e-30)
    for path in _core.kernel_paths():
        y, ran, _ = _core._testing.f32_gemv(w, x, b, path)
        assert ran == path
        assert y.tobytes() == scalar.tobytes(), path


@pytest.mark.parametrize("size,hidden,proj", [(40, 32, 16), (80, 64, 64), (33, 100, 48)])
@pytest.mark.parametrize("frames", [1, 7])
def test_fp32_layer_tracks_float64(tmp_path, size, hidden, proj, frames):
    rng = np.random.default_rng(size * 3 + hidden + proj + frames)
    w = make(rng, size, hidden, proj)
    x = rng.standard_normal((frames, size)).astype(np.float32)
    h0 = (rng.standard_normal(proj) * 0.5).astype(np.float32)
    c0 = (rng.standard_normal(hidden) * 0.5).astype(np.float32)
    param, binf = write_lstm_net(tmp_path, *w, form="fp32")
    ours = run(param, binf, x, h0, c0, overrides=["lstm_fp32"])
    ncnn_out = run(param, binf, x, h0, c0)
    assert ours["overrides"] == {"NcasrLSTMFp32": 1} and "overrides" not in ncnn_out
    for name, r in zip(("out0", "h1", "c1"), reference(x, h0, c0, *w)):
        got = ours[name].reshape(r.shape)
        assert np.linalg.norm(got - r) / np.linalg.norm(r) < 1e-5, name
        np.testing.assert_allclose(got, ncnn_out[name].reshape(r.shape), rtol=1e-4, atol=1e-5)


def test_fp32_threads_and_frames_one_by_one_change_nothing(tmp_path):
    rng = np.random.default_rng(12)
    w = make(rng, 256, 512, 256)
    x = rng.standard_normal((5, 256)).astype(np.float32)
    param, binf = write_lstm_net(tmp_path, *w, form="fp32")
    check_threads_and_frames_change_nothing(
        param, binf, x, np.zeros(256, np.float32), np.zeros(512, np.float32), "lstm_fp32"
    )


def test_recognizer_uses_fp32_panels_only_with_fp32_storage():
    model = ncasr.default_model_dir()
    fp32 = ncasr.Recognizer.from_dir(model, variant="float", use_fp16_storage=False)
    ncnn_lstm = ncasr.Recognizer.from_dir(model, variant="float", use_fp16_storage=False, lstm_fp32_panels=False)
    fp16 = ncasr.Recognizer.from_dir(model, variant="float")
    assert fp32._r.encoder_overrides.get("NcasrLSTMFp32", 0) > 0
    assert "NcasrLSTMFp32" not in ncnn_lstm._r.encoder_overrides
    assert "NcasrLSTMFp32" not in fp16._r.encoder_overrides
    rng = np.random.default_rng(5)
    feats = (rng.standard_normal((300, 80)) * 2 - 8).astype(np.float32)  # fbank-like level
    a, b = fp32._r.encode(feats), ncnn_lstm._r.encode(feats)
    assert len(a) == len(b) > 0
    worst = max(float(np.abs(u - v).max() / np.abs(v).max()) for u, v in zip(a, b))
    assert worst < 1e-4, worst
