"""Calibration statistics: SIMD kernels vs their scalar twins, the histogram collector,
KL / ACIQ / percentile / minmax thresholds vs float64 NumPy references, per-channel weight
quantization and ncnn2table's scale-table format."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

import ncasr
from ncasr.errors import ConfigError, ModelError, ModelFileNotFoundError, NcasrError
from ncasr.quantization.statistics import (
    HistogramCollector,
    ScaleTable,
    abs_histogram,
    abs_max,
    aciq_threshold,
    activation_scale_table,
    dequantize_per_channel,
    forced_kernel_path,
    kernel_path,
    kernel_paths,
    kl_threshold,
    minmax_threshold,
    per_channel_scales,
    percentile_threshold,
    quantize_per_channel,
    set_kernel_path,
)

PATHS = kernel_paths()
SIMD_PATHS = [p for p in PATHS if p != "scalar"]
F32_MAX = np.finfo(np.float32).max


def cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def edge_data(n: int, seed: int, with_nonfinite: bool = True) -> np.ndarray:
    """Gaussian values salted with zeros, -0, denormals, huge values, NaN and inf."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * rng.choice([1e-3, 1.0, 30.0], n)).astype(np.float32)
    specials = [0.0, -0.0, 1e-45, -1e-45, 1e-39, 3e38, -F32_MAX, F32_MAX, 1.0, -2.0]
    if with_nonfinite:
        specials += [np.nan, np.inf, -np.inf, -np.nan]
    if n:
        k = max(1, n // 10)
        x[rng.integers(0, n, k)] = rng.choice(np.array(specials, dtype=np.float32), k)
    return x


def np_histogram_ref(x: np.ndarray, range_: float, bins: int):
    """The documented rule in NumPy: bin = min(trunc(|x| * float32(bins / range)), bins-1)."""
    a = np.abs(x.astype(np.float32))
    finite = np.isfinite(a)
    nz = finite & (a > 0)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.float32(bins) / np.float32(range_)
        f = np.minimum(a[nz] * scale, np.float32(bins - 1))
    idx = f.astype(np.int64)
    return np.bincount(idx, minlength=bins).astype(np.uint64), int((finite & (a == 0)).sum()), int((~finite).sum())


# ---------------------------------------------------------------------------- kernels


def test_paths_cover_cpu_features():
    flags = cpu_flags()
    assert PATHS[0] == "scalar"
    if "avx2" in flags:
        assert "avx2" in PATHS
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"} <= flags:
        assert "avx512" in PATHS
    if "asimd" in flags:
        assert "neon" in PATHS
    assert kernel_path() == PATHS[-1]


def test_forcing_a_path_is_reported_and_undone():
    x = edge_data(1000, 1)
    for p in PATHS:
        with forced_kernel_path(p):
            assert kernel_path() == p
            assert abs_max(x).path == p
            assert abs_histogram(x, 4.0).path == p
    assert kernel_path() == PATHS[-1]
    with pytest.raises(ConfigError, match="unknown kernel path 'sse9'"):
        set_kernel_path("sse9")
    missing = [p for p in ("avx2", "avx512", "neon") if p not in PATHS]
    for p in missing:
        with pytest.raises(ConfigError, match=f"'{p}' is not available"):
            set_kernel_path(p)
    assert kernel_path() == PATHS[-1]


LENGTHS = [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 1000, 4099, 40_001, 100_003]


@pytest.mark.parametrize("path", SIMD_PATHS)
@pytest.mark.parametrize("n", LENGTHS)
def test_abs_max_simd_equals_scalar(path, n):
    for seed in range(3):
        x = edge_data(n, seed * 1000 + n)
        ref = abs_max(x, "scalar")
        got = abs_max(x, path)
        assert got.path == path
        assert np.float32(got.value).tobytes() == np.float32(ref.value).tobytes()
        assert got.nonfinite == ref.nonfinite
        a = np.abs(x[np.isfinite(x)])
        assert ref.value == (a.max() if a.size else 0.0)
        assert ref.nonfinite == int((~np.isfinite(x)).sum())


@pytest.mark.parametrize("path", SIMD_PATHS)
def test_abs_max_at_every_position(path):
    # The maximum (and a NaN) at each lane of the vector body and of the tail.
    for n in (37, 70):
        for pos in range(n):
            x = np.linspace(-1, 1, n).astype(np.float32)
            x[pos] = -7.5
            x[(pos + 3) % n] = np.nan
            r = abs_max(x, path)
            assert (r.value, r.nonfinite) == (7.5, 1), (n, pos)


@pytest.mark.parametrize("path", SIMD_PATHS)
@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("bins", [2048, 7, 1])
def test_abs_histogram_simd_equals_scalar(path, n, bins):
    x = edge_data(n, n + bins)
    for range_ in (4.0, 3.7, float(F32_MAX)):
        ref = abs_histogram(x, range_, bins, "scalar")
        got = abs_histogram(x, range_, bins, path)
        assert got.path == path
        np.testing.assert_array_equal(got.counts, ref.counts)
        assert (got.zeros, got.nonfinite) == (ref.zeros, ref.nonfinite)
        counts, zeros, nonfinite = np_histogram_ref(x, range_, bins)
        np.testing.assert_array_equal(ref.counts, counts)
        assert (ref.zeros, ref.nonfinite) == (zeros, nonfinite)
        assert int(ref.counts.sum()) + ref.zeros + ref.nonfinite == n


@pytest.mark.parametrize("path", PATHS)
def test_histogram_bin_edges(path):
    bins = 2048
    # range 2048 makes the scale exactly 1: value k lands in bin k, k - ulp in bin k-1.
    k = np.arange(1, bins, dtype=np.float32)
    below = np.nextafter(k, np.float32(0))
    x = np.concatenate([k, below, -k, [2048.0, 2049.0, 1e30]]).astype(np.float32)
    h = abs_histogram(x, 2048.0, bins, path).counts
    expect = np.zeros(bins, np.uint64)
    expect[1:] += 2  # k and -k
    expect[:-1] += 1  # k - ulp
    expect[-1] += 3  # >= range clamps into the last bin
    np.testing.assert_array_equal(h, expect)
    # An arbitrary range: the edges of float32(bins / range) exactly, both sides.
    range_ = 3.3
    s = np.float32(bins) / np.float32(range_)
    edges = (np.arange(1, bins, dtype=np.float32) / s).astype(np.float32)
    x = np.concatenate([edges, np.nextafter(edges, np.float32(0)), np.nextafter(edges, np.float32(10))])
    got = abs_histogram(x, range_, bins, path).counts
    np.testing.assert_array_equal(got, np_histogram_ref(x, range_, bins)[0])
    np.testing.assert_array_equal(got, abs_histogram(x, range_, bins, "scalar").counts)


@pytest.mark.parametrize("path", PATHS)
def test_histogram_huge_scale_and_denormals(path):
    x = np.array([1e-45, -1e-44, 1e-39, 0.0, 5e-41] * 9, dtype=np.float32)
    # range a denormal: bins / range overflows to inf, every nonzero value -> last bin.
    r = abs_histogram(x, 1e-44, 2048, path)
    assert r.counts[-1] == 36 and r.counts.sum() == 36 and r.zeros == 9
    x = np.concatenate([x, np.float32([1e-36, 5e-36, 9.99e-36, 2e-35])])
    r = abs_histogram(x, 1e-35, 2048, path)
    np.testing.assert_array_equal(r.counts, np_histogram_ref(x, 1e-35, 2048)[0])
    assert r.counts[-1] == 1 and r.counts[0] == 36


def test_histogram_rejects_bad_range():
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigError, match="range must be a positive finite number"):
            abs_histogram(np.ones(4, np.float32), bad)


# -------------------------------------------------------------------------- collector


def chunks(seed: int, count: int = 12):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = int(rng.integers(1, 5000))
        x = rng.standard_normal(n).astype(np.float32) * (1 + i)  # ranges grow: online doubles
        x[rng.integers(0, n, n // 5)] = 0.0
        out.append(x)
    return out


def two_pass(data_by_key, workers: int = 1) -> HistogramCollector:
    main = HistogramCollector("two_pass")
    for pass_no in (1, 2):
        if pass_no == 2:
            main.finish_absmax_pass()
        forks = [main.fork() for _ in range(workers)]
        for key, xs in data_by_key.items():
            for i, x in enumerate(xs):
                forks[i % workers].observe(key, x)
        for f in forks:
            main.merge(f)
    return main


def test_two_pass_matches_ncnn2table_scheme():
    data = {"enc/fc1": chunks(1), "joiner/fc": chunks(2)}
    c = two_pass(data)
    assert c.keys() == ["enc/fc1", "joiner/fc"] and c.pass_number == 2
    for key, xs in data.items():
        allx = np.concatenate(xs)
        s = c.stats(key)
        absmax = float(np.abs(allx).max())
        assert s["absmax"] == absmax and s["range"] == absmax
        assert s["elements"] == allx.size and s["observations"] == len(xs)
        assert s["max_observation"] == max(x.size for x in xs)
        expect, zeros, _ = np_histogram_ref(allx, absmax, 2048)
        np.testing.assert_array_equal(s["histogram"], expect)
        assert s["zeros"] == zeros and s["hist_observations"] == len(xs)
        assert s["histogram"][-1] >= 1  # the absmax value itself


def test_two_pass_workers_merge_to_the_same_result():
    data = {f"layer{i}": chunks(10 + i) for i in range(3)}
    one = two_pass(data, 1)
    three = two_pass(data, 3)
    for key in data:
        a, b = one.stats(key), three.stats(key)
        for field in ("absmax", "elements", "zeros", "observations", "max_observation", "range"):
            assert a[field] == b[field], field
        np.testing.assert_array_equal(a["histogram"], b["histogram"])
    assert one.threshold("layer0", "kl") == three.threshold("layer0", "kl")


def test_online_is_exact_and_order_independent():
    xs = chunks(5, 20)
    allx = np.concatenate(xs)
    absmax = float(np.abs(allx).max())
    results = []
    for order in (
        range(20),
        reversed(range(20)),
        [3, 17, 0, 19, 8] + [i for i in range(20) if i not in (3, 17, 0, 19, 8)],
    ):
        c = HistogramCollector("online")
        for i in order:
            c.observe("t", xs[i])
        results.append(c.stats("t"))
    r = results[0]
    # Range: the smallest power of two above absmax.
    assert r["range"] > absmax and r["range"] <= 2 * absmax and math.log2(r["range"]).is_integer()
    expect, zeros, _ = np_histogram_ref(allx, r["range"], 2048)
    for s in results:
        assert s["absmax"] == absmax and s["range"] == r["range"] and s["zeros"] == zeros
        np.testing.assert_array_equal(s["histogram"], expect)


def test_online_threads_fork_and_merge():
    xs = chunks(7, 16)
    main = HistogramCollector("online")
    workers = [main.fork() for _ in range(4)]

    def run(w, part):
        for x in part:
            w.observe("blob", x)

    threads = [threading.Thread(target=run, args=(w, xs[i::4])) for i, w in enumerate(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        main.merge(w)
    single = HistogramCollector("online")
    for x in xs:
        single.observe("blob", x)
    a, b = main.stats("blob"), single.stats("blob")
    assert (a["range"], a["absmax"], a["elements"], a["zeros"]) == (b["range"], b["absmax"], b["elements"], b["zeros"])
    np.testing.assert_array_equal(a["histogram"], b["histogram"])


def test_shared_collector_from_many_threads():
    xs = chunks(9, 16)
    c = HistogramCollector("online")
    threads = [threading.Thread(target=lambda p=xs[i::4]: [c.observe("k", x) for x in p]) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s = c.stats("k")
    assert s["elements"] == sum(x.size for x in xs) and s["observations"] == 16
    assert int(s["histogram"].sum()) + s["zeros"] == s["elements"]


def test_collector_errors():
    c = HistogramCollector("two_pass")
    c.observe("a", np.ones(4, np.float32))
    c.observe("zero", np.zeros(8, np.float32))
    with pytest.raises(NcasrError, match="no histogram yet"):
        c.threshold("a", "kl")
    c.finish_absmax_pass()
    with pytest.raises(ConfigError, match="called twice"):
        c.finish_absmax_pass()
    with pytest.raises(ConfigError, match="'b' was not seen in the absmax pass"):
        c.observe("b", np.ones(4, np.float32))
    c.observe("zero", np.zeros(8, np.float32))
    with pytest.raises(NcasrError, match=r"tensor 'zero' \(kl\): every value was zero"):
        c.threshold("zero", "kl")
    with pytest.raises(NcasrError, match="tensor 'zero' .*absmax 0"):
        c.threshold("zero", "minmax")
    with pytest.raises(ConfigError, match="unknown calibration method 'kld'"):
        c.threshold("a", "kld")
    with pytest.raises(ConfigError, match="no statistics for tensor 'nope'"):
        c.stats("nope")
    with pytest.raises(ConfigError, match="different passes"):
        c.merge(HistogramCollector("two_pass"))
    with pytest.raises(ConfigError, match="cannot merge a online collector"):
        c.merge(HistogramCollector("online"))
    with pytest.raises(ConfigError, match="power-of-two bin count"):
        HistogramCollector("online", 1000)
    with pytest.raises(ConfigError, match="unknown histogram mode"):
        HistogramCollector("three_pass")
    with pytest.raises(ConfigError, match="online collects in one pass"):
        HistogramCollector("online").finish_absmax_pass()
    with pytest.raises(NcasrError, match="tensor 'zero'"):
        activation_scale_table(c, "minmax")
    table = activation_scale_table(c, "minmax", skip_zero=True)
    assert list(table) == ["a"] and table["a"] == pytest.approx(127.0)


def test_nonfinite_values_are_counted_not_used():
    c = HistogramCollector("online")
    c.observe("x", np.array([1.0, np.nan, -np.inf, 2.0, 0.0], np.float32))
    s = c.stats("x")
    assert (s["absmax"], s["nonfinite"], s["zeros"], int(s["histogram"].sum())) == (2.0, 2, 1, 2)


# ------------------------------------------------------------------------- thresholds


def kl_reference(hist: np.ndarray, target: int = 128):
    """ncnn2table's KL search in float64: returns the KL divergence of every candidate."""
    p = hist.astype(np.float64) / hist.sum()
    nbins = p.size
    eps = 1e-4
    kls = {}
    for t in range(target, nbins):
        clip = p[:t] + eps
        clip[-1] += p[t:].sum()
        w = t / target
        edges = np.arange(target + 1) * w
        edges[-1] = t
        q = np.zeros(target)
        expand = np.full(t, eps)
        # coverage[j, k]: the part of candidate bin k inside target bin j.
        lo, hi = edges[:-1, None], edges[1:, None]
        k = np.arange(t)[None, :]
        cover = np.clip(np.minimum(hi, k + 1) - np.maximum(lo, k), 0, None)
        q = (cover * p[:t]).sum(axis=1) / cover.sum(axis=1)
        expand += (cover * q[:, None]).sum(axis=0)
        kls[t] = float((clip * np.log(clip / expand)).sum())
    return kls


def synthetic(kind: str, n: int = 200_000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "gaussian":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "laplacian":
        return rng.laplace(0, 1, n).astype(np.float32)
    if kind == "uniform":
        return rng.uniform(-3, 3, n).astype(np.float32)
    x = rng.standard_normal(n).astype(np.float32)  # outliers: 0.01 % at 40-60 sigma
    x[rng.integers(0, n, n // 10000)] = rng.uniform(40, 60, n // 10000) * rng.choice([-1, 1], n // 10000)
    return x


KINDS = ["gaussian", "laplacian", "uniform", "outliers"]


@pytest.mark.parametrize("kind", KINDS)
def test_kl_matches_float64_reference(kind):
    x = synthetic(kind)
    absmax = float(np.abs(x).max())
    hist = abs_histogram(x, absmax).counts
    got = kl_threshold(hist, absmax)
    kls = kl_reference(hist)
    best = min(kls, key=kls.get)
    # float32 (as ncnn) vs float64 may split a near-tie differently; the chosen bin must be
    # optimal to within float32 noise of the float64 objective.
    assert kls[got.bin] <= kls[best] + 1e-5 * max(1.0, abs(kls[best])), (got.bin, best)
    assert got.threshold == pytest.approx((got.bin + 0.5) * absmax / 2048, rel=1e-6)
    assert got.scale == pytest.approx(127 / got.threshold, rel=1e-6)
    if kind == "outliers":
        assert got.threshold < 0.3 * absmax  # KL clips the outliers away
    if kind == "uniform":
        assert got.threshold > 0.9 * absmax  # nothing to clip


@pytest.mark.parametrize("kind", KINDS)
def test_aciq_matches_formula(kind):
    x = synthetic(kind, 50_000)
    absmax = float(np.abs(x).max())
    got = aciq_threshold(absmax, x.size)
    sigma = absmax * 2 * 0.5 * 0.35 * (1 + math.sqrt(math.pi * math.log(4))) / math.sqrt(2 * math.log(x.size))
    assert got.threshold == pytest.approx(3.92403714 * sigma, rel=1e-6)
    assert got.scale == pytest.approx(127 / (3.92403714 * sigma), rel=1e-6)
    c = HistogramCollector("online")
    c.observe("a", x)
    assert c.threshold("a", "aciq") == got
    with pytest.raises(NcasrError, match="at least 2 values"):
        aciq_threshold(1.0, 1)


def percentile_reference(hist: np.ndarray, range_: float, percent: float) -> float:
    h = hist.astype(np.float64)
    cum = np.cumsum(h)
    target = percent / 100 * cum[-1]
    b = int(np.searchsorted(cum, target))  # first bin with cum >= target
    before = cum[b - 1] if b else 0.0
    return (b + (target - before) / h[b]) * range_ / h.size


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("percent", [50.0, 99.0, 99.99, 100.0])
def test_percentile_matches_reference(kind, percent):
    x = synthetic(kind)
    absmax = float(np.abs(x).max())
    hist = abs_histogram(x, absmax).counts
    got = percentile_threshold(hist, absmax, percent, absmax)
    ref = min(percentile_reference(hist, absmax, percent), absmax)
    assert got.threshold == pytest.approx(ref, rel=1e-6)
    # And against the raw data: within one bin width of NumPy's percentile.
    assert abs(got.threshold - np.percentile(np.abs(x[x != 0]).astype(np.float64), percent)) <= absmax / 2048 * 1.01


def test_minmax_and_degenerate_inputs():
    assert minmax_threshold(2.5) == (2.5, np.float32(127) / np.float32(2.5), -1)
    with pytest.raises(NcasrError, match="every value was zero"):
        minmax_threshold(0.0)
    with pytest.raises(NcasrError, match="histogram is empty"):
        kl_threshold(np.zeros(2048, np.uint64), 1.0)
    with pytest.raises(NcasrError, match="histogram is empty"):
        percentile_threshold(np.zeros(2048, np.uint64), 1.0)
    with pytest.raises(ConfigError, match="more histogram bins"):
        kl_threshold(np.ones(128, np.uint64), 1.0)
    with pytest.raises(ConfigError, match=r"percentile must be in \(0, 100\]"):
        percentile_threshold(np.ones(16, np.uint64), 1.0, 0.0)
    with pytest.raises(NcasrError, match="no finite int8 scale"):
        minmax_threshold(1e-45)  # 127 / denormal overflows


def test_collector_thresholds_use_the_histogram():
    x = synthetic("outliers", 100_000, 3)
    c = two_pass({"t": [x[:50_000], x[50_000:]]})
    absmax = float(np.abs(x).max())
    hist = abs_histogram(x, absmax).counts
    assert c.threshold("t", "kl") == kl_threshold(hist, absmax)
    assert c.threshold("t", "percentile", 99.9) == percentile_threshold(hist, absmax, 99.9, absmax)
    assert c.threshold("t", "minmax").threshold == absmax
    assert c.threshold("t", "aciq") == aciq_threshold(absmax, 50_000)


# --------------------------------------------------------------------------- weights


def test_per_channel_round_trip_within_half_a_step():
    rng = np.random.default_rng(4)
    w = (rng.standard_normal((64, 300)) * rng.uniform(1e-3, 10, (64, 1))).astype(np.float32)
    w[5] = 0.0
    w[9, 7] = -1e-40  # a denormal-only channel is zero at int8 precision
    w[9, w[9] != w[9, 7]] = 0.0
    scales = per_channel_scales(w)
    absmax = np.abs(w).max(axis=1)
    with np.errstate(over="ignore"):
        expect = np.where(absmax > 0, np.float32(127) / np.where(absmax > 0, absmax, 1), 1).astype(np.float32)
    expect[9] = 1.0  # 127 / denormal overflows: documented fallback 1.0
    np.testing.assert_array_equal(scales, expect)
    q = quantize_per_channel(w, scales)
    assert q.dtype == np.int8 and q.shape == w.shape and np.abs(q.astype(int)).max() == 127
    v = (w * scales[:, None]).astype(np.float64)
    np.testing.assert_array_equal(q, np.where(v >= 0, np.floor(v + 0.5), np.ceil(v - 0.5)).astype(np.int8))
    back = dequantize_per_channel(q, scales)
    step = 1.0 / scales[:, None].astype(np.float64)
    assert np.all(np.abs(back.astype(np.float64) - w) <= 0.5 * step * (1 + 1e-6))
    assert not q[5].any() and not back[5].any()


def test_quantize_rounds_half_away_and_clamps():
    w = np.array([[2.5, -2.5, 0.5, -0.5, 1.49, 300.0, -300.0, 0.0]], np.float32)
    q = quantize_per_channel(w, np.array([1.0], np.float32))
    assert q.tolist() == [[3, -3, 1, -1, 1, 127, -127, 0]]
    with pytest.raises(ConfigError, match="weight channel 1 holds 1 NaN/inf"):
        per_channel_scales(np.array([[1.0, 2.0], [np.nan, 1.0]], np.float32))
    with pytest.raises(ConfigError, match="one scale per output channel"):
        quantize_per_channel(np.ones((3, 2), np.float32), np.ones(2, np.float32))
    with pytest.raises(ConfigError, match="not a positive finite number"):
        dequantize_per_channel(np.ones((2, 2), np.int8), np.array([1.0, 0.0], np.float32))


# ------------------------------------------------------------------------ scale table


def make_table() -> ScaleTable:
    t = ScaleTable()
    t["conv1_param_0"] = [49.14, 54.46, 0.0123, 1234.5]
    t["conv1"] = 31.06469
    t["lstm_param_1"] = np.array([1.5, 2.5], np.float32)
    t["fc1"] = 0.05
    return t


def test_scale_table_round_trip(tmp_path):
    t = make_table()
    path = tmp_path / "table.txt"
    t.save(path)
    text = path.read_text()
    lines = text.split("\n")
    assert lines[-1] == "" and "" not in lines[:-1] and "\t" not in text
    assert lines[0] == "conv1_param_0 49.139999 54.459999 1.230000e-02 1234.500000 "
    assert lines[1] == "conv1 31.064690 "
    u = ScaleTable.load(path)
    assert u.keys() == t.keys() and len(u) == 4
    for key in t:
        assert np.allclose(u[key], t[key], rtol=1e-6)
    assert u.weight_scales.keys() == {"conv1_param_0", "lstm_param_1"}
    assert u.activation_scales == pytest.approx({"conv1": 31.06469, "fc1": 0.05}, rel=1e-6)
    assert "2 weight rows, 2 activation rows" in repr(u)
    u["conv1"] = 30.0  # replaced in place, order kept
    del u["fc1"]
    assert u.keys() == ["conv1_param_0", "conv1", "lstm_param_1"] and u["conv1"] == 30.0
    with pytest.raises(KeyError):
        u["fc1"]


def test_parse_ncnn2table_text(tmp_path):
    text = "conv1_param_0 49.143105 54.461720 \r\nconv2_param_0  12.000000   13.5e0 \nconv1 31.064690 \nfc1 7 \n\n\n"
    path = tmp_path / "ncnn.table"
    path.write_bytes(text.encode())
    t = ScaleTable.load(str(path))
    assert t.keys() == ["conv1_param_0", "conv2_param_0", "conv1", "fc1"]
    assert t["conv1_param_0"] == pytest.approx([49.143105, 54.46172])
    assert t["conv2_param_0"] == [12.0, 13.5]
    assert t["fc1"] == 7.0
    assert ScaleTable.parse(t.to_string()) == t


BAD_TABLES = [
    ("fc1 31.0 \nfc1 12.0 \n", "line 2: duplicate key 'fc1' \\(first on line 1\\)"),
    ("conv_param_0 1.0 abc \n", "line 1: 'abc' in row 'conv_param_0' is not a number"),
    ("fc1 nan \n", "line 1: scale 0 of 'fc1' is not finite"),
    ("a 1.0 \nfc1 inf \n", "line 2: scale 0 of 'fc1' is not finite"),
    ("fc1 0.000000 \n", "line 1: scale 0 of 'fc1' is not positive"),
    ("w_param_0 1.0 -2.0 \n", "line 1: scale 1 of 'w_param_0' is not positive"),
    ("a 1.0 \n\nb 2.0 \n", "line 3: content after the empty line 2; ncnn2int8 stops reading"),
    ("a 1.0 \n   \nb 2.0 \n", "line 3: content after the empty line 2"),
    ("a\t1.0\n", "line 1: tab character"),
    ("fc1 1.0 2.0 \n", "line 1: activation row 'fc1' must have exactly 1 scale, got 2"),
    ("fc1 \n", "line 1: 'fc1' has no scale values"),
    ("fc1 1e99 \n", "line 1: value '1e99' of 'fc1' is out of float range"),
    ("", "the scale table has no rows"),
    ("\n\n", "the scale table has no rows"),
    ("k" * 300 + " 1.0 \n", "line 1: key longer than 255 characters"),
]


@pytest.mark.parametrize("text,message", BAD_TABLES)
def test_bad_tables_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "bad.table"
    path.write_text(text)
    with pytest.raises(ModelError, match=message) as info:
        ScaleTable.load(path)
    assert info.value.path == str(path) and str(path) in str(info.value)


def test_table_io_errors(tmp_path):
    with pytest.raises(ModelFileNotFoundError, match="scale table not found"):
        ScaleTable.load(tmp_path / "missing.table")
    t = ScaleTable()
    with pytest.raises(ConfigError, match="refusing to write an empty scale table"):
        t.save(tmp_path / "empty.table")
    with pytest.raises(ConfigError, match="is not positive"):
        t["fc"] = -1.0
    with pytest.raises(ConfigError, match="whitespace"):
        t["a b"] = 1.0
    with pytest.raises(ConfigError, match="exactly 1 scale"):
        t["fc"] = [1.0, 2.0]
    with pytest.raises(ModelError, match="cannot write the scale table"):
        make_table().save(tmp_path / "no-such-dir" / "t.table")
    assert not list(tmp_path.iterdir())


def test_collector_to_table_to_file(tmp_path):
    c = two_pass({"enc.fc1": chunks(21), "enc.conv": chunks(22)})
    table = activation_scale_table(c, "kl")
    table["enc.fc1_param_0"] = per_channel_scales(np.random.default_rng(0).standard_normal((8, 16)))
    table.save(tmp_path / "t.table")
    back = ScaleTable.load(tmp_path / "t.table")
    assert back["enc.fc1"] == pytest.approx(c.threshold("enc.fc1", "kl").scale, rel=1e-6)
    assert len(back["enc.fc1_param_0"]) == 8


def test_top_level_exports():
    assert ncasr.ScaleTable is ScaleTable and ncasr.HistogramCollector is HistogramCollector
    assert callable(ncasr.quantize)  # the model quantizer keeps its name
