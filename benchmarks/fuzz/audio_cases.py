"""Odd audio files: each writer makes the file at `path` and returns a description.
AUDIO_KINDS are drawn at random; the long silence runs once, as case 0."""

from __future__ import annotations

import io
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np

RATE = 16000


@dataclass
class AudioCtx:
    long_silence_seconds: int
    files_any_param: bytes  # a param file's bytes, for "not audio"


def tone(seconds: float, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """A few seconds of tones and noise: not speech, but it exercises every layer."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.2 * np.sin(2 * np.pi * 300 * t) + 0.1 * np.sin(2 * np.pi * 1250 * t * (1 + t))
    x += 0.02 * np.random.default_rng(seed).standard_normal(t.size)
    return x.astype(np.float32)


def write_silence_wav(path: Path, seconds: int, rate: int = RATE) -> None:
    """A 16-bit mono wav of zeros without writing them: a header, then a sparse tail."""
    data_bytes = seconds * rate * 2
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )
    with open(path, "wb") as f:
        f.write(header)
        f.truncate(len(header) + data_bytes)


def write_audio(path: Path, x: np.ndarray, rate: int, subtype: str = "PCM_16", fmt: Optional[str] = None) -> None:
    import soundfile as sf

    sf.write(str(path), x, rate, subtype=subtype, format=fmt or "WAV")


def _wav_bytes(x: np.ndarray, rate: int = RATE, subtype: str = "PCM_16") -> bytes:
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, x, rate, subtype=subtype, format="WAV")
    return buf.getvalue()


def a_empty(rng, path, ctx) -> str:
    write_audio(path, np.zeros(0, np.float32), RATE)
    return "valid header, no samples"


def a_nan(rng, path, ctx) -> str:
    x = tone(1.0)
    x[rng.sample(range(x.size), rng.choice([1, 10, x.size // 2]))] = np.nan
    write_audio(path, x, RATE, "FLOAT")
    return "float wav with NaN samples"


def a_inf(rng, path, ctx) -> str:
    x = tone(1.0)
    x[rng.randrange(x.size)] = rng.choice([np.inf, -np.inf])
    write_audio(path, x, RATE, "FLOAT")
    return "float wav with an infinite sample"


def a_huge_float(rng, path, ctx) -> str:
    scale = rng.choice([1e3, 1e20, 3.4e38])
    write_audio(path, np.clip(tone(1.0) * scale, -3.4e38, 3.4e38), RATE, "FLOAT")
    return f"float wav, samples up to {scale:g}"


def a_channels(rng, path, ctx) -> str:
    n = rng.choice([2, 2, 6])
    write_audio(path, np.stack([tone(1.0, seed=i) for i in range(n)], axis=1), RATE)
    return f"{n} channels"


def a_rate(rng, path, ctx) -> str:
    rate = rng.choice([8000, 11025, 22050, 44100, 48000, 96000, 192000, 1, 100, 4000, 384000])
    n = max(1, int(rate * rng.choice([0.05, 0.5, 1.0])))
    write_audio(path, tone(n / rate + 1e-9, rate)[:n] if n > 1 else np.zeros(n, np.float32), rate)
    return f"{rate} Hz, {n} samples"


def a_subtype(rng, path, ctx) -> str:
    subtype = rng.choice(
        ["PCM_U8", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW", "IMA_ADPCM", "MS_ADPCM", "GSM610"]
    )
    rate = 8000 if subtype == "GSM610" else RATE
    write_audio(path, tone(1.0, rate), rate, subtype)
    return f"WAV {subtype}"


def a_container(rng, path, ctx) -> str:
    fmt, subtype = rng.choice(
        [
            ("FLAC", "PCM_16"),
            ("OGG", "VORBIS"),
            ("AIFF", "PCM_16"),
            ("AU", "PCM_16"),
            ("W64", "PCM_16"),
            ("RF64", "PCM_16"),
            ("CAF", "PCM_16"),
        ]
    )
    write_audio(path, tone(1.0), RATE, subtype, fmt)
    return f"{fmt} data in a .wav file"


def a_truncated(rng, path, ctx) -> str:
    data = _wav_bytes(tone(1.0))
    cut = rng.choice([rng.randrange(0, 44), rng.randrange(44, len(data))])
    path.write_bytes(data[:cut])
    return f"wav truncated at byte {cut} of {len(data)}"


def a_header_flip(rng, path, ctx) -> str:
    data = bytearray(_wav_bytes(tone(1.0)))
    pos, bit = rng.randrange(44), rng.randrange(8)
    data[pos] ^= 1 << bit
    path.write_bytes(bytes(data))
    return f"header byte {pos} bit {bit} flipped"


def a_not_audio(rng, path, ctx) -> str:
    what = rng.choice(["text", "png", "param", "elf", "json"])
    blobs = {
        "text": b"hello, this is not audio\n",
        "png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "param": ctx.files_any_param,
        "elf": Path(sys.executable).read_bytes()[:4096],
        "json": b'{"samples": [0, 1, 2]}',
    }
    path.write_bytes(blobs[what])
    return f"{what} bytes named .wav"


def a_garbage(rng, path, ctx) -> str:
    n = rng.choice([1, 44, 1000, 100_000])
    prefix = b"RIFF\x00\x00\x00\x00WAVE" if rng.random() < 0.5 else b""
    path.write_bytes(prefix + bytes(rng.randrange(256) for _ in range(n)))
    return f"{'RIFF/WAVE + ' if prefix else ''}{n} random bytes"


def a_short(rng, path, ctx) -> str:
    n = rng.choice([1, 2, 10, 399, 400, 401])
    write_audio(path, tone(1.0)[:n], RATE)
    return f"{n} samples"


def a_missing(rng, path, ctx) -> str:
    return "audio path does not exist"


def a_directory(rng, path, ctx) -> str:
    path.mkdir()
    return "audio path is a folder"


def a_long_silence(rng, path, ctx) -> str:
    write_silence_wav(path, ctx.long_silence_seconds)
    return f"{ctx.long_silence_seconds} s of silence (16-bit wav)"


# The order matters: cases pick a kind by index, so a seed's cases depend on it.
AUDIO_KINDS: Dict[str, Callable] = {
    "empty_wav": a_empty,
    "nan_samples": a_nan,
    "inf_samples": a_inf,
    "huge_float": a_huge_float,
    "channels": a_channels,
    "sample_rate": a_rate,
    "subtype": a_subtype,
    "container": a_container,
    "truncated_wav": a_truncated,
    "header_flip": a_header_flip,
    "not_audio": a_not_audio,
    "garbage_bytes": a_garbage,
    "short_audio": a_short,
    "missing_file": a_missing,
    "audio_is_folder": a_directory,
}
SPECIAL_AUDIO_KINDS = {"long_silence": a_long_silence}  # once per run, as case 0
