"""The ``ncasr serve`` page in a real browser: headless Chromium whose fake microphone plays
a WAV file streams it through the page (AudioWorklet, resampling to 16 kHz, WebSocket) to an
in-process server, and shows the results.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; a missing
browser fails the test (CI installs them). The screenshot of the finished page is saved to
$NCASR_TEST_ARTIFACTS (if set) or the test's tmp_path, and its path printed.

Why the text is not compared with ``transcribe(wav)`` for equality: Chromium's fake capture
drops a varying 0-60 ms at the start (whatever arrives before the page's audio graph is
connected) and its capture path is not bit-exact, and the small reference model's text
changes with a 10 ms shift for every test-0000xx.wav. So the test checks what is checkable
exactly: the audio the server received *is* the WAV (aligned correlation, no drift, little
lost), and the page's first final is exactly the server's transcription of that audio.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import List

import numpy as np
import pytest
import soundfile as sf

import ncasr

REPO = Path(__file__).resolve().parents[1]
SOURCE_WAV = REPO / "tests" / "data" / "reference-lstm-en" / "wav" / "test-000001.wav"
STATIC = REPO / "python" / "ncasr" / "serve" / "static"
MIC_RATE = 48000
TRAILING_SILENCE = 3.0  # so an endpoint (1.2 s of trailing silence) fires after the speech


def make_microphone_wav(source: Path, out: Path) -> Path:
    """``source`` (16 kHz mono) with TRAILING_SILENCE s of silence appended, as 16-bit PCM at
    MIC_RATE: with sox when installed, else a windowed-sinc interpolator in numpy."""
    sox = shutil.which("sox")
    if sox:
        # -D: no dither, the same file every run
        subprocess.run(
            [
                sox,
                "-D",
                str(source),
                "-r",
                str(MIC_RATE),
                "-b",
                "16",
                "-c",
                "1",
                str(out),
                "pad",
                "0",
                str(TRAILING_SILENCE),
            ],
            check=True,
            capture_output=True,
        )
        return out
    samples, rate = sf.read(source, dtype="float64")
    assert rate == 16000 and MIC_RATE % rate == 0
    factor = MIC_RATE // rate
    up = np.zeros(samples.size * factor)
    up[::factor] = samples * factor
    t = np.arange(-32 * factor, 32 * factor + 1) / factor  # in input samples
    taps = 0.95 * np.sinc(0.95 * t) * np.hanning(t.size)  # low-pass just under the input's Nyquist
    taps /= taps.sum()  # unit gain at DC: with the zero-stuffing's factor, the original level
    resampled = np.convolve(up, taps, mode="same")
    resampled = np.concatenate([resampled, np.zeros(int(TRAILING_SILENCE * MIC_RATE))])
    sf.write(out, np.clip(resampled, -1.0, 1.0), MIC_RATE, subtype="PCM_16")
    return out


class RecordingRecognizer(ncasr.Recognizer):
    """A Recognizer that keeps a copy of every sample its streams accept: what the server
    received from the page."""

    received: List[np.ndarray]

    def create_stream(self) -> ncasr.Stream:
        stream = super().create_stream()
        accept, record = stream.accept_waveform, self.received

        def recording(sample_rate: int, samples: np.ndarray) -> None:
            record.append(np.array(samples, dtype=np.float32))
            accept(sample_rate, samples)

        stream.accept_waveform = recording  # type: ignore[method-assign]
        return stream


def _offset(reference: np.ndarray, received: np.ndarray, start: int, length: int, search: int) -> "tuple[int, float]":
    """Where received[start:start+length] sits in reference, as (received lag in samples:
    positive when the page lost the start, normalised correlation there)."""
    seg = received[start : start + length]
    lo = max(0, start - search)
    window = reference[lo : start + length + search]
    n = 1 << int(np.ceil(np.log2(window.size + seg.size)))
    corr = np.fft.irfft(np.fft.rfft(window, n) * np.conj(np.fft.rfft(seg, n)), n)[: window.size - seg.size + 1]
    k = int(np.argmax(corr))
    ref = window[k : k + seg.size]
    ncc = float(np.dot(ref, seg) / (np.linalg.norm(ref) * np.linalg.norm(seg) + 1e-12))
    return lo + k - start, ncc


# The page's resampler on a chirp in uneven pieces, as it runs on the microphone's frames.
RESAMPLE_JS = """
const rate = arguments[0], n = rate, input = new Float32Array(n);
for (let i = 0; i < n; i++) { const t = i / rate; input[i] = 0.5 * Math.sin(2 * Math.PI * (100 + 11000 * t) * t); }
const r = new window.ncasrResampler(rate, 16000), out = [];
let i = 0, k = 0;
while (i < n) {
  const m = Math.min(n - i, [1, 128, 960, 4095][k++ % 4]);
  out.push(...r.process(input.subarray(i, i + m), false));
  i += m;
}
out.push(...r.process(new Float32Array(0), true));
return [Array.from(input), out];
"""


def test_page_is_self_contained():
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    worklet = (STATIC / "worklet.js").read_text(encoding="utf-8")
    for name, text in (("index.html", html), ("worklet.js", worklet)):
        assert "http://" not in text and "https://" not in text, f"{name} names an external URL"
        assert not re.search(r"""(src|href)\s*=\s*["']?//""", text), f"{name} loads a protocol-relative URL"
        assert "@import" not in text and "importScripts" not in text, name
    assert not re.search(r"<script[^>]*\bsrc=", html), "scripts must be inline"
    assert not re.search(r"<link[^>]*stylesheet", html), "styles must be inline"
    for element_id in ("start", "status", "partial", "finals"):
        assert f'id="{element_id}"' in html
    assert "<title>ncasr</title>" in html


def test_page_streams_the_microphone_to_the_server(tmp_path, capsys):
    from helpers.browser import ServerThread, browser_paths, headless_chromium

    browser_paths()  # fails, naming the packages, when chromium or chromedriver is missing
    from ncasr import _core
    from ncasr.serve.options import ServeOptions

    wav = make_microphone_wav(SOURCE_WAV, tmp_path / "microphone-48k.wav")
    model_dir = ncasr.default_model_dir()
    plain = ncasr.Recognizer.from_dir(model_dir)
    offline_text = plain.transcribe(wav).text.strip()
    recorder = RecordingRecognizer.from_dir(model_dir)
    recorder.received = []

    statuses = []
    with ServerThread(recorder, ServeOptions(port=0, workers=2)) as server:
        page_url = f"http://127.0.0.1:{server.port}/"
        driver = headless_chromium(wav, log_path=tmp_path / "chromedriver.log")
        try:
            driver.get(page_url)
            assert driver.title == "ncasr"
            button = driver.find_element("id", "start")
            button.click()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status = driver.find_element("id", "status").text
                if not statuses or statuses[-1] != status:
                    statuses.append(status)
                assert not status.startswith("error"), f"the page failed: {status}"
                if driver.execute_script("return window.ncasrFinals.length"):
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"no final result within 60 s; statuses {statuses}")
            button.click()  # Stop: the page sends what is left, then Done
            deadline = time.monotonic() + 30
            while not driver.execute_script("return window.ncasrDone"):
                assert time.monotonic() < deadline, "no 'Done!' from the server within 30 s of Stop"
                time.sleep(0.1)
            resampled = {rate: driver.execute_script(RESAMPLE_JS, rate) for rate in (44100, 48000, 22050)}
            finals = driver.execute_script("return window.ncasrFinals")
            stats = driver.execute_script("return window.ncasrStats")
            listed = [li.text for li in driver.find_elements("css selector", "#finals li")]
            status = driver.find_element("id", "status").text
            resources = driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])"
            )
            log = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
            screenshot = tmp_path / "serve-page.png"
            driver.save_screenshot(str(screenshot))
        finally:
            driver.quit()

    artifacts = Path(os.environ.get("NCASR_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    if artifacts.resolve() != tmp_path.resolve():
        shutil.copy(screenshot, artifacts / screenshot.name)

    # What the server received (less the tail padding it adds itself after Done).
    chunks = recorder.received
    pad = int(round(plain.config.tail_padding * 16000))
    if chunks and chunks[-1].size == pad and not chunks[-1].any():
        chunks = chunks[:-1]
    received = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    served_text = plain.transcribe(received, sample_rate=16000).text.strip() if received.size else ""

    mic, rate = sf.read(wav, dtype="float32")
    reference = np.asarray(_core.LinearResampler(rate, 16000).resample(mic, True), dtype=np.float64)
    lost, ncc = _offset(reference, received.astype(np.float64), 8000, 16000, 8000)  # speech at 0.5-1.5 s
    lost_late, ncc_late = _offset(reference, received.astype(np.float64), 32000, 16000, 8000)  # at 2-3 s

    similarity = difflib.SequenceMatcher(None, finals[0] if finals else "", offline_text).ratio()
    with capsys.disabled():
        print(
            f"\n[serve-browser] screenshot: {artifacts / screenshot.name}\n"
            f"[serve-browser] AudioContext {stats['contextRate']} Hz; "
            f"page sent {stats['samplesSent'] / 16000:.2f} s; "
            f"lost at the start {lost / 16:.1f} ms; correlation {ncc:.4f} / {ncc_late:.4f}\n"
            f"[serve-browser] page finals {finals}; statuses {statuses + [status]}\n"
            f"[serve-browser] transcribe(received) {served_text!r}; transcribe(wav) {offline_text!r} "
            f"(similarity {similarity:.2f})"
        )

    # The page's resampler is the server's: same samples, chunked or not.
    for rate, (chirp, out) in resampled.items():
        expected = np.asarray(_core.LinearResampler(rate, 16000).resample(np.asarray(chirp, np.float32), True))
        assert len(out) == expected.size == 16000, rate
        error = float(np.abs(np.asarray(out) - expected).max())
        assert error < 1e-6, f"the page's {rate} Hz resampler differs from the server's by {error}"

    # The page: results shown as the server sent them, then done.
    assert finals, "no final result"
    assert listed == finals
    assert status == "done"
    assert "listening" in statuses
    assert not log, f"browser console errors: {log}"
    origin = page_url.rstrip("/")
    assert all(url.startswith(origin + "/") for url in resources), f"external resources loaded: {resources}"

    # The audio the page sent is the microphone's, resampled to 16 kHz at the right rate.
    assert received.size >= 2.5 * 16000, f"the server received only {received.size / 16000:.2f} s"
    assert received.size == stats["samplesSent"]
    assert 0 <= lost < 8000, f"the page lost {lost / 16:.0f} ms at the start (or has the audio shifted)"
    assert abs(lost_late - lost) <= 2, f"the page's audio drifts: offset {lost} then {lost_late} samples"
    assert ncc > 0.95 and ncc_late > 0.95, f"the page's audio is not the microphone's: correlation {ncc}, {ncc_late}"

    # The first final is exactly the recognition of that audio.
    assert finals[0] == served_text


def test_page_passes_the_token_and_shows_errors(tmp_path):
    from helpers.browser import ServerThread, browser_paths, headless_chromium

    browser_paths()
    from ncasr.serve.options import ServeOptions

    wav = make_microphone_wav(SOURCE_WAV, tmp_path / "microphone-48k.wav")
    rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())
    with ServerThread(rec, ServeOptions(port=0, workers=1, token="s3cret")) as server:
        driver = headless_chromium(wav)
        try:

            def wait_status(predicate, what):
                deadline = time.monotonic() + 20
                while True:
                    status = driver.find_element("id", "status").text
                    if predicate(status):
                        return status
                    assert time.monotonic() < deadline, f"waited for {what}; status {status!r}"
                    time.sleep(0.05)

            driver.get(f"http://127.0.0.1:{server.port}/?token=wrong")
            driver.find_element("id", "start").click()
            status = wait_status(lambda s: s.startswith("error"), "an error")
            assert "token" in status and "1008" in status, status
            assert driver.find_element("id", "start").text == "Start"
            assert driver.find_element("id", "start").is_enabled()

            driver.get(f"http://127.0.0.1:{server.port}/?token=s3cret")
            driver.find_element("id", "start").click()
            wait_status(lambda s: s == "listening" or s.startswith("error"), "listening")
            assert driver.find_element("id", "status").text == "listening"
            time.sleep(0.5)
            driver.find_element("id", "start").click()
            wait_status(lambda s: s == "done" or s.startswith("error"), "done")
            assert driver.find_element("id", "status").text == "done"
            assert driver.execute_script("return window.ncasrDone") is True
        finally:
            driver.quit()
