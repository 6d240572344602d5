"""Evaluation data: manifests of utterances and "some audio" arguments.

Shared by ``ncasr bench`` and calibration/sensitivity, so quantization never imports the
benchmark package.

Manifests are UTF-8 TSV files with a header row::

    path<TAB>duration<TAB>text
    wav/utt1.wav<TAB>2.310<TAB>hello world

Columns: ``path`` and ``text`` are required, ``duration`` (seconds), ``id`` and ``speaker``
are optional, in any order; any other column name is an error. Relative paths are relative
to the manifest's folder. Blank lines and lines starting with ``#`` are skipped. When
``text`` is the last column it may itself contain tabs.

Audio sources (where a command takes "some audio": calibration, sensitivity) are files,
folders, manifests (.tsv) or arrays; each becomes ``(float32 samples, sample_rate, name)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

import numpy as np

from .audio import as_samples, load_audio
from .errors import AudioError, NcasrError

__all__ = ["ManifestEntry", "ManifestError", "read_manifest", "write_manifest", "AUDIO_SUFFIXES", "gather_audio"]

PathLike = Union[str, "os.PathLike[str]"]

KNOWN_COLUMNS = ("path", "duration", "text", "id", "speaker")
REQUIRED_COLUMNS = ("path", "text")


class ManifestError(NcasrError, ValueError):
    """A manifest that cannot be used; the message names the file and line.

    Example::

        try:
            entries = read_manifest("test.tsv")
        except ManifestError as e:
            print(e.path, e.line, e.reason)  # str(e) == "test.tsv:3: empty path"
    """

    def __init__(self, path: PathLike, line: int, reason: str) -> None:
        self.path, self.line, self.reason = os.fspath(path), line, reason
        super().__init__(f"{self.path}:{line}: {reason}")

    def __reduce__(self) -> Tuple[type, Tuple[str, int, str]]:
        return (type(self), (self.path, self.line, self.reason))


@dataclass(frozen=True)
class ManifestEntry:
    """One utterance of a manifest.

    Example::

        entry = ManifestEntry("/data/utt1.wav", "hello world", 2.31)
        rec.transcribe(entry.path).text
    """

    path: str  # absolute
    text: str
    duration: Optional[float] = None
    id: str = ""
    speaker: str = ""
    line: int = 0  # where it came from, for messages


def read_manifest(path: PathLike, *, check_files: bool = True) -> List[ManifestEntry]:
    """Entries of the manifest at ``path``; raises ManifestError on the first bad line.

    ``check_files=False`` skips checking that each audio file exists.

    Example::

        for e in read_manifest("test.tsv"):
            print(e.path, e.duration, e.text)
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ManifestError(path, 0, "manifest file not found") from None
    except OSError as e:
        raise ManifestError(path, 0, f"cannot be read: {e.strerror}") from None
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ManifestError(
            path, data.count(b"\n", 0, e.start) + 1, f"not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start}"
        ) from None
    lines = raw.splitlines()
    if not lines or not lines[0].strip():
        raise ManifestError(
            path, 1, "empty manifest: the first line must be a header such as 'path<TAB>duration<TAB>text'"
        )
    columns = [c.strip() for c in lines[0].split("\t")]
    for c in columns:
        if c not in KNOWN_COLUMNS:
            raise ManifestError(path, 1, f"unknown column {c!r} in the header (known: {', '.join(KNOWN_COLUMNS)})")
    for c in REQUIRED_COLUMNS:
        if c not in columns:
            raise ManifestError(path, 1, f"the header has no {c!r} column")
    if len(set(columns)) != len(columns):
        raise ManifestError(path, 1, "a column appears twice in the header")
    text_last = columns[-1] == "text"
    entries = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t", len(columns) - 1) if text_last else line.split("\t")
        if len(fields) != len(columns):
            raise ManifestError(
                path,
                number,
                f"expected {len(columns)} tab-separated fields ({', '.join(columns)}), found {len(fields)}",
            )
        row = dict(zip(columns, fields))
        if not row["path"].strip():
            raise ManifestError(path, number, "empty path")
        audio = Path(row["path"].strip())
        if not audio.is_absolute():
            audio = path.parent / audio
        if check_files and not audio.is_file():
            raise ManifestError(path, number, f"audio file not found: {audio}")
        duration = None
        if row.get("duration", "").strip():
            try:
                duration = float(row["duration"])
            except ValueError:
                raise ManifestError(path, number, f"duration {row['duration']!r} is not a number") from None
            if not duration >= 0:
                raise ManifestError(path, number, f"duration {duration} is negative or NaN")
        entries.append(
            ManifestEntry(
                str(audio),
                row["text"].strip(),
                duration,
                row.get("id", "").strip(),
                row.get("speaker", "").strip(),
                number,
            )
        )
    if not entries:
        raise ManifestError(path, len(lines), "no utterances after the header")
    return entries


def write_manifest(path: PathLike, entries: Iterable[Tuple[PathLike, float, str]]) -> None:
    """Write (path, duration, text) rows with a header, atomically (a temporary file renamed
    into place); paths are written as given.

    Example::

        write_manifest("test.tsv", [("wav/utt1.wav", 2.31, "hello world")])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("path\tduration\ttext\n")
        for p, d, t in entries:
            if "\n" in t or "\t" in t:
                raise ValueError(f"text may not contain tabs or newlines: {t!r}")
            f.write(f"{os.fspath(p)}\t{float(d):.3f}\t{t}\n")
    os.replace(tmp, path)


AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif", ".au")

Source = Union[str, "os.PathLike[str]", np.ndarray, Tuple[np.ndarray, int]]


def _paths(source: PathLike) -> List[Path]:
    path = Path(source)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)
        if not found:
            raise AudioError(f"{path}: folder holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
        return found
    if path.suffix.lower() == ".tsv":
        return [Path(e.path) for e in read_manifest(path)]
    if not path.exists():
        raise FileNotFoundError(f"{path}: audio file not found")
    return [path]


def gather_audio(
    sources: Union[Source, Iterable[Source]], *, sample_rate: Optional[int] = None, mix_to_mono: bool = False
) -> List[Tuple[np.ndarray, int, str]]:
    """Every utterance named by ``sources``: a path (file, folder searched recursively, or a
    manifest .tsv), an array (needs ``sample_rate``), an ``(array, rate)`` pair, or a list of
    those. Raises AudioError when nothing is found or an array is unusable.

    Example::

        for samples, rate, name in gather_audio(["wav/", "extra.tsv"], mix_to_mono=True):
            print(name, samples.size / rate)
    """
    if isinstance(sources, (str, os.PathLike, np.ndarray)) or (
        isinstance(sources, tuple) and len(sources) == 2 and isinstance(sources[1], int)
    ):
        sources = [sources]
    out = []
    for i, src in enumerate(sources):
        if isinstance(src, (str, os.PathLike)):
            for p in _paths(src):
                x, rate = load_audio(p, mix_to_mono=mix_to_mono)
                out.append((x, rate, str(p)))
            continue
        if isinstance(src, tuple) and len(src) == 2:
            x, rate = src
        else:
            x, rate = src, sample_rate
            if rate is None:
                raise AudioError(f"audio array #{i}: pass sample_rate= or an (array, rate) pair")
        out.append((as_samples(x, mix_to_mono=mix_to_mono), int(rate), f"array #{i}"))
    if not out:
        raise AudioError("no audio was given")
    return out
