"""NcasrLSTMInt8: ncnn's int8 LSTM on ncasr's int8 kernels, projection quantized too.

It tracks a float64 LSTM as closely as ncnn's int8 LSTM does; frames given at once or one by
one with carried states, and one or two threads, give identical results; only forward int8
LSTMs are replaced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers.layer_nets import write_lstm_net
from ncasr import _core


def make(rng, size, hidden, proj):
    w_xc = (rng.standard_normal((4 * hidden, size)) / np.sqrt(size)).astype(np.float32)
    b = (rng.standard_normal(4 * hidden) * 0.1).astype(np.float32)
    w_hc = (rng.standard_normal((4 * hidden, proj)) / np.sqrt(proj)).astype(np.float32)
    w_hr = None if proj == hidden else (rng.standard_normal((proj, hidden)) / np.sqrt(hidden)).astype(np.float32)
    return w_xc, b, w_hc, w_hr


def reference(x, h, c, w_xc, b, w_hc, w_hr):
    """float64 LSTM, gates I F O G, as ncnn defines it."""
    hidden = w_xc.shape[0] // 4
    h, c = h.astype(np.float64), c.astype(np.float64)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731 (a formula, kept as one)
    ys = []
    for xt in x.astype(np.float64):
        g = w_xc @ xt + b + w_hc @ h
        i, f, o, gg = (
            sig(g[:hidden]),
            sig(g[hidden : 2 * hidden]),
            sig(g[2 * hidden : 3 * hidden]),
            np.tanh(g[3 * hidden :]),
        )
        c = f * c + i * gg
        u = o * np.tanh(c)
        h = u if w_hr is None else w_hr @ u
        ys.append(h)
    return np.array(ys), h, c


def run(param, binf, x, h, c, **kw):
    return _core.run_net(param, binf, {"in0": x, "h0": h, "c0": c}, ["out0", "h1", "c1"], **kw)


@pytest.mark.parametrize("size,hidden,proj", [(40, 32, 16), (80, 64, 64), (33, 100, 48)])
@pytest.mark.parametrize("frames", [1, 7])
def test_tracks_float_like_ncnn_int8(tmp_path, size, hidden, proj, frames):
    rng = np.random.default_rng(size + hidden + proj + frames)
    w = make(rng, size, hidden, proj)
    x = rng.standard_normal((frames, size)).astype(np.float32)
    h0 = (rng.standard_normal(proj) * 0.5).astype(np.float32)
    c0 = (rng.standard_normal(hidden) * 0.5).astype(np.float32)
    ref = reference(x, h0, c0, *w)
    param, binf = write_lstm_net(tmp_path, *w, form="ncnn-int8")
    ncnn_out = run(param, binf, x, h0, c0)
    ours = run(param, binf, x, h0, c0, overrides=["lstm_int8"])
    assert ours["overrides"] == {"NcasrLSTMInt8": 1} and "overrides" not in ncnn_out
    for name, r in zip(("out0", "h1", "c1"), ref):
        err_ours = np.linalg.norm(ours[name].reshape(r.shape) - r) / np.linalg.norm(r)
        err_ncnn = np.linalg.norm(ncnn_out[name].reshape(r.shape) - r) / np.linalg.norm(r)
        # ncnn rounds x, h, W_xc and W_hc to int8 (relative steps of ~1/254 each); the int8
        # projection adds two more roundings of the same size (its input and W_hr), so the
        # error may reach about twice ncnn's; 2.5x, or 1 % where ncnn's is tiny, bounds it.
        assert err_ours < max(2.5 * err_ncnn, 0.01) and err_ours < 0.05, (name, err_ours, err_ncnn)
    assert not np.array_equal(ours["out0"], ncnn_out["out0"])  # its own rounding: it ran


def check_threads_and_frames_change_nothing(param, binf, x, h0, c0, override):
    """Two threads give one thread's bits; frames one by one with carried states give the
    frames-at-once bits."""
    once = run(param, binf, x, h0, c0, overrides=[override])
    two = run(param, binf, x, h0, c0, overrides=[override], num_threads=2)
    for name in ("out0", "h1", "c1"):
        np.testing.assert_array_equal(once[name], two[name])
    h, c, ys = h0, c0, []
    for t in range(len(x)):
        r = run(param, binf, x[t : t + 1], h, c, overrides=[override])
        ys.append(r["out0"][0])
        h, c = r["h1"], r["c1"]
    np.testing.assert_array_equal(once["out0"], np.array(ys))
    np.testing.assert_array_equal(once["h1"], h)
    np.testing.assert_array_equal(once["c1"], c)


def test_frames_at_once_equal_frames_one_by_one_and_threads_change_nothing(tmp_path):
    rng = np.random.default_rng(7)
    w = make(rng, 48, 96, 64)
    x = rng.standard_normal((6, 48)).astype(np.float32)
    param, binf = write_lstm_net(tmp_path, *w, form="ncnn-int8")
    check_threads_and_frames_change_nothing(
        param, binf, x, np.zeros(64, np.float32), np.zeros(96, np.float32), "lstm_int8"
    )


def test_float_lstm_is_never_replaced(tmp_path):
    rng = np.random.default_rng(2)
    w = make(rng, 8, 8, 4)
    param, binf = write_lstm_net(tmp_path, *w, form="fp32")
    x = rng.standard_normal((3, 8)).astype(np.float32)
    out = run(param, binf, x, np.zeros(4, np.float32), np.zeros(8, np.float32), overrides=["lstm_int8"])
    assert "overrides" not in out
    ref = reference(x, np.zeros(4), np.zeros(8), *w)[0]
    np.testing.assert_allclose(out["out0"], ref, rtol=1e-4, atol=1e-5)


def cell_reference(gates, cell):
    g = gates.astype(np.float64)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731 (a formula, kept as one)
    c = sig(g[1]) * cell + sig(g[0]) * np.tanh(g[3])
    return c, sig(g[2]) * np.tanh(c)


@pytest.mark.parametrize("hidden", [1, 5, 16, 37, 1024])
def test_cell_kernel_paths_equal_scalar_and_track_float64(hidden):
    rng = np.random.default_rng(hidden)
    gates = (rng.standard_normal((4, hidden)) * 4).astype(np.float32)
    gates[:, 0] = [100.0, -100.0, 0.0, -1e-8]  # clamped exp, saturation, zero
    cell = (rng.standard_normal(hidden) * 2).astype(np.float32)
    c_ref, h_ref = cell_reference(gates, cell.astype(np.float64))
    scalar = _core._testing.lstm_cell(gates, cell, "scalar")
    np.testing.assert_allclose(scalar[0], c_ref, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(scalar[1], h_ref, rtol=1e-5, atol=2e-6)
    for path in _core.kernel_paths():
        c, h, ran = _core._testing.lstm_cell(gates, cell, path)
        assert ran == path
        np.testing.assert_array_equal(c, scalar[0])
        np.testing.assert_array_equal(h, scalar[1])


def stateless_param(param, folder):
    """The same LSTM without its state inputs and outputs (ncnn then starts from zeros)."""
    lines = Path(param).read_text().splitlines()
    lstm = lines[-1].replace(" 3 3 in0 h0 c0 out0 h1 c1 ", " 1 1 in0 out0 ")
    stateless = Path(folder) / "stateless.param"
    stateless.write_text(f"7767517\n2 2\n{lines[2]}\n{lstm}\n")
    return stateless


def test_without_state_blobs_the_states_start_at_zero(tmp_path):
    rng = np.random.default_rng(4)
    w = make(rng, 24, 32, 16)
    param, binf = write_lstm_net(tmp_path, *w, form="ncnn-int8")
    stateless = stateless_param(param, tmp_path)
    x = rng.standard_normal((5, 24)).astype(np.float32)
    alone = _core.run_net(str(stateless), binf, {"in0": x}, ["out0"], overrides=["lstm_int8"])
    assert alone["overrides"] == {"NcasrLSTMInt8": 1}
    zero = run(param, binf, x, np.zeros(16, np.float32), np.zeros(32, np.float32), overrides=["lstm_int8"])
    np.testing.assert_array_equal(alone["out0"], zero["out0"])
