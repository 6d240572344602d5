"""The ``ncasr serve`` page in a real browser: headless Chromium whose fake microphone plays
a WAV file streams it through the page (AudioWorklet, resampling to 16 kHz, WebSocket) to an
in-process server, and shows the results.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package; a missing
browser fails the test (CI installs them). The screenshot of the finished page is saved to
$NCASR_TEST_ARTIFACTS (if set) or the test's tmp_path, and its path printed.

The microphone's speech is made here with espeak-ng, in a voice and sentence the bundled
model recognises with a wide margin. That matters: Chromium's fake capture drops a varying
0-60 ms at the start (whatever arrives before the page's audio graph is connected) and is not
bit-exact, and on speech the small model is unsure of (its held-out test clips) a 10 ms shift
changes the text. ``test_microphone_text_survives_capture_shifts`` proves the margin offline
(every shift from 12 ms early to 120 ms late gives the same text), so the browser test can demand what a user
expects: the page's final text equals ``transcribe`` of the WAV. It also checks the audio the
server received is the WAV (aligned correlation, no drift, little lost), and that the page's
first final is exactly the server's transcription of that audio.
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
SPEECH = ("en-us", 175, "the weather is nice today")  # voice, words per minute, text
STATIC = REPO / "python" / "ncasr" / "serve" / "static"
MIC_RATE = 48000
LEADING_SILENCE = 0.3  # what the page may lose at the start falls in silence
TRAILING_SILENCE = 3.0  # so an endpoint (1.2 s of trailing silence) fires after the speech


def make_microphone_wav(folder: Path) -> Path:
    """SPEECH from espeak-ng with LEADING_SILENCE and TRAILING_SILENCE around it, as 16-bit
    PCM at MIC_RATE (a microphone's rate, so the page resamples)."""
    from helpers.speech import speak

    voice, speed, text = SPEECH
    source = folder / "speech-16k.wav"
    speak(text, voice, speed, source)
    out = folder / "microphone-48k.wav"
    pad = ["pad", str(LEADING_SILENCE), str(TRAILING_SILENCE)]
    # -D: no dither, the same file every run
    sox = ["sox", "-D", str(source), "-r", str(MIC_RATE), "-b", "16", "-c", "1", str(out), *pad]
    subprocess.run(sox, check=True, capture_output=True)
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


def test_microphone_text_survives_capture_shifts(tmp_path):
    """The premise of the browser test's equality: the WAV's text does not depend on where
    capture starts (0-120 ms lost, or up to 12 ms of silence added) or on capture noise, checked
    offline through the server's resampler."""
    from ncasr import _core

    wav = make_microphone_wav(tmp_path)
    rec = ncasr.Recognizer.from_dir(ncasr.default_model_dir())
    expected = rec.transcribe(wav).text.strip()
    assert expected == SPEECH[2]
    mic, rate = sf.read(wav, dtype="float32")
    noise = np.random.default_rng(0).normal(0, 1e-4, mic.size).astype(np.float32)
    for lost_ms in range(-12, 121, 4):  # negative: the capture starts with a few ms of added silence
        for capture in (mic, mic + noise):
            lost = lost_ms * rate // 1000
            shifted = capture[lost:] if lost >= 0 else np.concatenate([np.zeros(-lost, np.float32), capture])
            audio = np.asarray(_core.LinearResampler(rate, 16000).resample(shifted, True), np.float32)
            text = rec.transcribe(audio, sample_rate=16000).text.strip()
            assert text == expected, f"{lost_ms} ms lost: {text!r}"


def test_page_streams_the_microphone_to_the_server(tmp_path, capsys):
    from helpers.browser import ServerThread, browser_paths, headless_chromium

    browser_paths()  # fails, naming the packages, when chromium or chromedriver is missing
    from ncasr import _core
    from ncasr.serve.options import ServeOptions

    wav = make_microphone_wav(tmp_path)
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
    lost, ncc = _offset(reference, received.astype(np.float64), 6400, 8000, 6400)  # speech at 0.4-0.9 s
    lost_late, ncc_late = _offset(reference, received.astype(np.float64), 19200, 8000, 8000)  # at 1.2-1.7 s

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
    # Chromium's capture occasionally starts with a few samples of its own silence: lost < 0.
    assert -160 <= lost < 8000, f"the page lost {lost / 16:.0f} ms at the start (or has the audio shifted)"
    assert abs(lost_late - lost) <= 2, f"the page's audio drifts: offset {lost} then {lost_late} samples"
    assert ncc > 0.95 and ncc_late > 0.95, f"the page's audio is not the microphone's: correlation {ncc}, {ncc_late}"

    # The first final is exactly the recognition of that audio, and the page's text is what
    # `ncasr transcribe` prints for the WAV.
    assert finals[0] == served_text
    assert " ".join(finals) == offline_text, f"page {finals} != transcribe(wav) {offline_text!r}"


def test_page_passes_the_token_and_shows_errors(tmp_path):
    from helpers.browser import ServerThread, browser_paths, headless_chromium

    browser_paths()
    from ncasr.serve.options import ServeOptions

    wav = make_microphone_wav(tmp_path)
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
