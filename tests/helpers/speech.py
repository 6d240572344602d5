"""Test audio made here: espeak-ng speech through sox, with silences and noise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import List

import numpy as np
import soundfile as sf

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "please call stella and ask her to bring these things with her from the store",
    "six spoons of fresh snow peas five thick slabs of blue cheese",
    "she can scoop these things into three red bags",
    "we also need a small plastic snake and a big toy frog for the kids",
    "it was the best of times it was the worst of times",
    "turn left at the second light then keep going for two miles",
    "the meeting has been moved to thursday afternoon at half past three",
    "rain is expected later tonight so bring an umbrella",
    "numbers like nineteen eighty four and two thousand twenty six are spoken in words",
    "hello world",
    "yes",
]
VOICES = ["en-us", "en-gb", "en-us+f3", "en-gb-scotland", "en-us+m7", "en-029"]


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"{tool} is not installed (apt-get install {tool})")
    return path


def speak(text: str, voice: str, speed: int, out: Path) -> np.ndarray:
    raw = out.with_suffix(".raw.wav")
    subprocess.run(
        [_need("espeak-ng"), "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True, capture_output=True
    )
    # -D: no dither, so the same text always gives the same samples.
    subprocess.run(
        [_need("sox"), "-D", str(raw), "-r", "16000", "-b", "16", "-c", "1", str(out)], check=True, capture_output=True
    )
    raw.unlink()
    samples, _ = sf.read(out, dtype="float32")
    return samples


def make_test_wavs(folder: Path, count: int = 24, seed: int = 20261123) -> List[Path]:
    """`count` 16 kHz mono wavs of 1-20 s: speech, silences, noise, quiet and loud."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        out = folder / f"utt{i:02d}.wav"
        n_sent = 1 + i % 3 if i < 20 else 6  # a few long ones, up to ~20 s
        pieces = []
        for k in range(n_sent):
            text = SENTENCES[(i * 3 + k) % len(SENTENCES)]
            voice = VOICES[(i + k) % len(VOICES)]
            pieces.append(speak(text, voice, int(rng.integers(130, 200)), out))
            pieces.append(np.zeros(int(rng.uniform(0.05, 0.8) * 16000), np.float32))
        x = np.concatenate([np.zeros(int(rng.uniform(0.0, 0.6) * 16000), np.float32)] + pieces)
        x = x[: 20 * 16000]
        if i % 4 == 1:  # white noise at about 15 dB SNR
            x = x + rng.normal(0, 1, x.size).astype(np.float32) * np.sqrt(np.mean(x**2) / 30)
        if i % 5 == 2:
            x = x * 0.05  # quiet
        if i == 3:
            x = rng.normal(0, 0.02, 16000).astype(np.float32)  # 1 s of noise only
        x = np.clip(x, -1, 1).astype(np.float32)
        sf.write(out, x, 16000, subtype="PCM_16")
        paths.append(out)
    return paths
