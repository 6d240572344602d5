"""cpp/features tested directly (no Python binding): a small C++ CLI, fbank_harness.cc,
is compiled with g++ and compared with kaldi-native-fbank (the oracle), and its
resampler with a float64 NumPy evaluation of Kaldi's LinearResample formula."""

from __future__ import annotations

import math
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SOURCES = [HERE / "fbank_harness.cc", REPO / "cpp/features/fbank.cc", REPO / "cpp/features/resampler.cc"]
REL_TOL = 1e-4  # |ours - knf| <= REL_TOL * max(1, |knf|) on log-mel


@pytest.fixture(scope="session")
def harness(tmp_path_factory) -> Path:
    gxx = shutil.which("g++")
    if gxx is None:
        pytest.fail("g++ is needed to build tests/features/fbank_harness.cc")
    exe = tmp_path_factory.mktemp("harness") / "fbank_harness"
    cmd = [gxx, "-O2", "-std=c++17", "-Wall", "-Wextra", f"-I{REPO / 'cpp'}", *map(str, SOURCES), "-o", str(exe)]
    subprocess.run(cmd, check=True)
    return exe


class Runner:
    def __init__(self, exe: Path, tmp: Path):
        self.exe, self.tmp = exe, tmp

    def fbank(self, x: np.ndarray, chunk: int = 0, pop: bool = False, **opts) -> np.ndarray:
        src, dst = self.tmp / "in.f32", self.tmp / "out.f32"
        np.asarray(x, np.float32).tofile(src)
        args = [str(self.exe), "fbank", str(src), str(dst), str(chunk)]
        args += ["pop"] if pop else []
        args += [f"{k}={int(v) if isinstance(v, bool) else v}" for k, v in opts.items()]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split()
        return np.fromfile(dst, np.float32).reshape(int(out[1]), int(out[3]))

    def resample(self, x: np.ndarray, rate_in: int, rate_out: int, chunk: int = 0) -> np.ndarray:
        src, dst = self.tmp / "rin.f32", self.tmp / "rout.f32"
        np.asarray(x, np.float32).tofile(src)
        subprocess.run(
            [str(self.exe), "resample", str(rate_in), str(rate_out), str(src), str(dst), str(chunk)],
            check=True,
            capture_output=True,
        )
        return np.fromfile(dst, np.float32)


@pytest.fixture
def run(harness, tmp_path) -> Runner:
    return Runner(harness, tmp_path)


def knf_fbank(x: np.ndarray, **opts) -> np.ndarray:
    import kaldi_native_fbank as knf

    o = knf.FbankOptions()
    o.frame_opts.dither = 0
    o.frame_opts.snip_edges = opts.pop("snip_edges", False)
    o.frame_opts.samp_freq = 16000
    o.frame_opts.window_type = opts.pop("window", "povey")
    o.mel_opts.num_bins = opts.pop("num_bins", 80)
    o.mel_opts.high_freq = opts.pop("high_freq", -400)
    for k, v in opts.items():  # FbankOptions' own fields: use_energy, use_power, ...
        setattr(o, k, v)
    fb = knf.OnlineFbank(o)
    fb.accept_waveform(16000, np.asarray(x, np.float32).tolist())
    fb.input_finished()
    n = fb.num_frames_ready
    return np.array([fb.get_frame(i) for i in range(n)], np.float32).reshape(n, fb.dim)


def assert_close(ours: np.ndarray, ref: np.ndarray, label: str) -> None:
    assert ours.shape == ref.shape, f"{label}: shape {ours.shape} vs knf {ref.shape}"
    if ref.size == 0:
        return
    diff = np.abs(ours.astype(np.float64) - ref)
    rel = diff / np.maximum(1.0, np.abs(ref))
    print(f"{label}: frames {ref.shape[0]} max abs diff {diff.max():.3g} max rel diff {rel.max():.3g}")
    assert rel.max() <= REL_TOL, f"{label}: max rel diff {rel.max():.3g} at {np.unravel_index(rel.argmax(), rel.shape)}"


def speech_like(n: int, rate: int = 16000, seed: int = 3) -> np.ndarray:
    """Voiced sound: a gliding f0 with 1/k harmonics, a syllable-rate envelope, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / rate
    f0 = 120 + 30 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 30) if k * 150 < rate / 2)
    envelope = 0.5 * (1 + np.sin(2 * np.pi * 4 * t)) ** 2
    x = 0.15 * envelope * voiced + 0.003 * rng.standard_normal(n)
    return x.astype(np.float32)


@pytest.fixture(scope="session")
def espeak_speech(tmp_path_factory) -> np.ndarray:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed to make the speech test signal")
    d = tmp_path_factory.mktemp("speech")
    subprocess.run(["espeak-ng", "-w", str(d / "x.wav"), "hello world"], check=True)
    # -D: no dither, so the signal is the same on every run.
    subprocess.run(["sox", "-D", str(d / "x.wav"), "-r", "16000", str(d / "y.wav")], check=True)
    with wave.open(str(d / "y.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
    return (pcm / 32768.0).astype(np.float32)


def signal(name: str, espeak: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(11)
    if name == "noise":
        return rng.uniform(-1, 1, 16000 + 37).astype(np.float32)
    if name == "speech_like":
        return speech_like(24000 + 123)
    return espeak


SIGNALS = ["noise", "speech_like", "espeak"]


@pytest.mark.parametrize("name", SIGNALS)
def test_matches_knf(run, espeak_speech, name):
    x = signal(name, espeak_speech)
    assert x.size % 160 != 0 or name == "espeak"
    assert_close(run.fbank(x), knf_fbank(x), name)


@pytest.mark.parametrize("n", [0, 1, 79, 80, 81, 159, 160, 239, 240, 241, 399, 400, 401, 480, 560, 1000, 16001])
def test_short_and_odd_lengths_match_knf(run, n):
    x = np.random.default_rng(n).uniform(-0.5, 0.5, n).astype(np.float32)
    ours, ref = run.fbank(x), knf_fbank(x)
    assert ours.shape[0] == ref.shape[0] == (n + 80) // 160
    assert_close(ours, ref, f"{n} samples")


def float64_fbank(x: np.ndarray, shift=160, length=400, nfft=512, bins=80, low=20.0, high=7600.0, rate=16000):
    """The default pipeline written out in float64 NumPy: the exact values that both
    ncasr and knf approximate in float32."""
    x = x.astype(np.float64)
    n = x.size
    i = np.arange(length)
    window = (0.5 - 0.5 * np.cos(2 * np.pi * i / (length - 1))) ** 0.85
    mel = lambda f: 1127 * np.log(1 + f / 700)  # noqa: E731 (a formula, kept as one)
    m_low, delta = mel(low), (mel(high) - mel(low)) / (bins + 1)
    fft_mel = mel(np.arange(nfft // 2) * rate / nfft)
    banks = np.zeros((bins, nfft // 2))
    for b in range(bins):
        left, center, right = m_low + b * delta, m_low + (b + 1) * delta, m_low + (b + 2) * delta
        up, down = (fft_mel - left) / (center - left), (right - fft_mel) / (right - center)
        banks[b] = np.where((fft_mel > left) & (fft_mel < right), np.where(fft_mel <= center, up, down), 0)
    frames = []
    for f in range((n + shift // 2) // shift):
        idx = f * shift + shift // 2 - length // 2 + i
        while ((idx < 0) | (idx >= n)).any():  # Kaldi's reflection
            idx = np.where(idx < 0, -idx - 1, np.where(idx >= n, 2 * n - 1 - idx, idx))
        w = x[idx] - x[idx].mean()
        w = np.concatenate([[0.03 * w[0]], w[1:] - 0.97 * w[:-1]]) * window
        power = np.abs(np.fft.rfft(w, nfft)[: nfft // 2]) ** 2
        frames.append(np.log(np.maximum(banks @ power, np.finfo(np.float32).eps)))
    return np.array(frames)


@pytest.mark.parametrize("name", ["noise", "speech_like"])
def test_close_to_float64_pipeline(run, espeak_speech, name):
    """Ours repeats knf's float32 arithmetic operation for operation (tests/test_features.py
    checks the bits); both stay near an independent float64 pipeline (furthest on white
    noise, where the float FFT's rounding weighs most; the test prints both distances)."""
    x = signal(name, espeak_speech)
    exact = float64_fbank(x)
    ours, ref = np.abs(run.fbank(x) - exact).max(), np.abs(knf_fbank(x) - exact).max()
    print(f"{name}: max abs diff to float64: ours {ours:.3g}, knf {ref:.3g}")
    assert ours == ref and ours <= 3e-4


@pytest.mark.parametrize("name", SIGNALS)
def test_streaming_is_bit_identical(run, espeak_speech, name):
    x = signal(name, espeak_speech)
    whole = run.fbank(x)
    for chunk in (1, 160, 1600, 7):
        for pop in (False, True):
            pieces = run.fbank(x, chunk=chunk, pop=pop)
            assert pieces.tobytes() == whole.tobytes(), f"chunk {chunk} pop {pop} differs"


@pytest.mark.parametrize(
    "opts",
    [
        {"window": "hamming"},
        {"window": "hanning"},
        {"window": "rectangular"},
        {"window": "blackman"},
        {"snip_edges": True},
        {"use_energy": True},
        {"use_power": False},
        {"num_bins": 23, "high_freq": 0},
    ],
    ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()),
)
def test_options_match_knf(run, opts):
    x = speech_like(16000 + 321, seed=5)
    assert_close(run.fbank(x, **opts), knf_fbank(x, **opts), str(opts))


def test_linear_mel_energies_match_knf(run):
    x = speech_like(8000, seed=9)
    ours, ref = run.fbank(x, use_log_fbank=False), knf_fbank(x, use_log_fbank=False)
    assert ours.shape == ref.shape
    # Energies span many decades: compare relative to each value, floored at 1e-3 of the frame's peak.
    scale = np.maximum(np.abs(ref), 1e-3 * np.abs(ref).max(axis=1, keepdims=True))
    assert (np.abs(ours - ref) / scale).max() < 1e-4


def test_api_errors_and_pop(harness):
    out = subprocess.run([str(harness), "api"], capture_output=True, text=True)
    assert out.returncode == 0 and "api ok" in out.stdout, out.stderr


# ---------------------------------------------------------------- resampler


def kaldi_num_outputs(n: int, rate_in: int, rate_out: int) -> int:
    """Outputs at times k / rate_out before the input's end n / rate_in (flushed)."""
    tick = math.lcm(rate_in, rate_out)
    ticks = n * (tick // rate_in)
    if ticks <= 0:
        return 0
    per_out = tick // rate_out
    last = ticks // per_out
    return last if last * per_out == ticks else last + 1


def reference_resample(x: np.ndarray, rate_in: int, rate_out: int, num_zeros: int = 6) -> np.ndarray:
    """Kaldi LinearResample in float64: y[k] = sum_i x[i] h(i / rate_in - k / rate_out) / rate_in
    with h a Hann-windowed sinc of cutoff 0.99 * min(rates) / 2; x is zero outside."""
    x = x.astype(np.float64)
    cutoff = 0.99 * 0.5 * min(rate_in, rate_out)
    width = num_zeros / (2 * cutoff)
    k = np.arange(kaldi_num_outputs(x.size, rate_in, rate_out))
    t_out = k / rate_out
    lo = np.ceil((t_out - width) * rate_in).astype(np.int64)
    taps = int(np.floor(2 * width * rate_in)) + 2
    idx = lo[:, None] + np.arange(taps)[None, :]
    t = idx / rate_in - t_out[:, None]
    window = np.where(np.abs(t) < width, 0.5 * (1 + np.cos(2 * np.pi * cutoff / num_zeros * t)), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sinc = np.where(t != 0, np.sin(2 * np.pi * cutoff * t) / (np.pi * t), 2 * cutoff)
    valid = (idx >= 0) & (idx < x.size)
    samples = np.where(valid, x[np.clip(idx, 0, max(x.size - 1, 0))] if x.size else 0.0, 0.0)
    return (window * sinc / rate_in * samples).sum(axis=1)


RATES = [(8000, 16000), (44100, 16000), (48000, 16000), (22050, 16000), (16000, 8000), (11025, 16000)]


@pytest.mark.parametrize("rates", RATES, ids=lambda r: f"{r[0]}to{r[1]}")
def test_resampler_matches_float64_reference(run, rates):
    rate_in, rate_out = rates
    n = int(1.3 * rate_in) + 17
    x = np.random.default_rng(rate_in).uniform(-1, 1, n).astype(np.float32)
    ours, ref = run.resample(x, rate_in, rate_out), reference_resample(x, rate_in, rate_out)
    assert ours.size == ref.size == kaldi_num_outputs(n, rate_in, rate_out)
    err = np.abs(ours - ref).max()
    print(f"resample {rate_in}->{rate_out}: {ours.size} outputs, max abs diff {err:.3g}")
    assert err < 1e-5


@pytest.mark.parametrize("rates", [(8000, 16000), (44100, 16000), (48000, 16000)], ids=str)
def test_resampler_chunked_is_bit_identical(run, rates):
    rate_in, rate_out = rates
    x = speech_like(rate_in + 999, rate=rate_in)
    whole = run.resample(x, rate_in, rate_out)
    for chunk in (1, 37, 160, 1600):
        assert run.resample(x, rate_in, rate_out, chunk).tobytes() == whole.tobytes(), f"chunk {chunk}"


def test_resampler_keeps_a_tone(run):
    """Physical check: a 1 kHz tone at 48 kHz is a 1 kHz tone of the same amplitude at 16 kHz."""
    t = np.arange(48000) / 48000
    y = run.resample((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 48000, 16000)
    assert y.size == 16000
    expect = 0.5 * np.sin(2 * np.pi * 1000 * np.arange(16000) / 16000)
    assert np.abs(y[200:-200] - expect[200:-200]).max() < 2e-3


@pytest.mark.parametrize("n", [0, 1, 5])
def test_resampler_tiny_inputs(run, n):
    x = np.linspace(-0.5, 0.5, n).astype(np.float32)
    ours = run.resample(x, 44100, 16000)
    np.testing.assert_allclose(ours, reference_resample(x, 44100, 16000), atol=1e-6)
