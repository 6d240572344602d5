"""Model-folder mutations: each takes a file's bytes and returns the damaged bytes (None
deletes the file) and a description. MODEL_KINDS says which file roles each applies to."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

from .model_folders import Source

GARBAGE_LINES = [
    "xq7 zz=3",
    "ReLU relu_fuzz 1 1 in0 fuzz0",
    "fuzz 9999",
    "   \t ",
    "7767517",
    "#comment",
    "Input in9 0 1 in9",
    "1 2 3 4 5 6 7 8 9",
    "=",
    "0=1",
    "<blk> 0",
    "#0 500",
]
NON_UTF8 = [
    b"\xff",
    b"\xfe\xfe",
    b"\xc3\x28",
    b"\x80",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
    b"\xe2\x82",
]
HUGE_VALUES = ["2147483647", "1000000000", "2147483648", "4294967297", "-2147483648", "1e9", "999999999999"]


@dataclass
class ModelCtx:
    """What a model mutation may look at besides the bytes: the other models."""

    sources: List[Source]
    source: Source
    file: str


def _lines(data: bytes) -> List[bytes]:
    return data.split(b"\n")


def m_truncate(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    cut = rng.randrange(0, max(1, len(data)))
    return data[:cut], f"truncated at byte {cut} of {len(data)}"


def m_bit_flip(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    out = bytearray(data)
    flips = []
    for _ in range(rng.choice([1, 1, 1, 2, 4, 8])):
        pos, bit = rng.randrange(len(out)), rng.randrange(8)
        out[pos] ^= 1 << bit
        flips.append(f"{pos}:{bit}")
    return bytes(out), "flipped byte:bit " + ",".join(flips)


def m_zero_range(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    n = min(len(data), rng.choice([1, 4, 16, 256, 4096]))
    start = rng.randrange(0, len(data) - n + 1)
    return data[:start] + bytes(n) + data[start + n :], f"zeroed bytes {start}..{start + n - 1}"


def m_garbage_line(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    lines = _lines(data)
    choice = rng.randrange(len(GARBAGE_LINES) + 2)
    if choice == len(GARBAGE_LINES):
        garbage = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 40)))
        garbage = garbage.replace(b"\n", b"")
    elif choice == len(GARBAGE_LINES) + 1:
        garbage = b"x" * 100_000
    else:
        garbage = GARBAGE_LINES[choice].encode()
    at = rng.randrange(len(lines) + 1)
    lines.insert(at, garbage)
    return b"\n".join(lines), f"inserted line {at + 1}: {garbage[:40]!r}"


def m_swap_lines(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    lines = _lines(data)
    if len(lines) < 2:
        return data, "one line: nothing to swap"
    a, b = rng.sample(range(len(lines)), 2)
    lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines), f"swapped lines {a + 1} and {b + 1}"


def m_delete_line(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    lines = _lines(data)
    at = rng.randrange(len(lines))
    gone = lines.pop(at)
    return b"\n".join(lines), f"deleted line {at + 1}: {gone[:40]!r}"


def m_delete_file(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[None, str]:
    return None, "deleted"


def m_empty_file(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    return b"", "emptied"


def m_non_utf8(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    bad = rng.choice(NON_UTF8)
    at = rng.randrange(len(data) + 1)
    return data[:at] + bad + data[at:], f"inserted {bad!r} at byte {at}"


def m_crlf(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    return data.replace(b"\n", b"\r\n"), "CRLF line endings"


def m_append_bytes(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    n = rng.choice([1, 4, 64, 4096])
    return data + bytes(rng.randrange(256) for _ in range(n)), f"appended {n} bytes"


def m_foreign_file(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    twin = src.file
    others = [s for s in src.sources if s.name != src.source.name and twin in s.files]
    if not others:  # e.g. an int8 file only the bundled model has: take the float one
        twin = src.file.replace(".int8.", ".")
        others = [s for s in src.sources if s.name != src.source.name and twin in s.files]
        if not others:
            return data, "no other model has this file: unchanged"
    other = rng.choice(others)
    return other.files[twin], f"replaced by {other.name}/{twin}"


def _int_params(line: bytes) -> List[Tuple[int, int]]:
    """(start, end) of each integer k=v value on a layer line."""
    return [(m.start(2), m.end(2)) for m in re.finditer(rb"(?<!\S)(\d+)=(-?\d+)(?!\S)", line)]


def m_huge_dim(rng: random.Random, data: bytes, src: ModelCtx) -> Tuple[bytes, str]:
    lines = _lines(data)
    value = rng.choice(HUGE_VALUES).encode()
    if rng.random() < 0.1 and len(lines) > 1:  # the blob count of line 2
        lines[1] = re.sub(rb"\d+\s*$", value, lines[1].rstrip(), count=1)
        return b"\n".join(lines), f"line 2 blob count -> {value.decode()}"
    spots = [(i, s) for i, line in enumerate(lines[2:], 2) for s in _int_params(line)]
    zero = [(i, s) for i, s in spots if lines[i][s[0] - 2 : s[0]] in (b" 0=", b"0=")]
    if not spots:
        return data, "no integer parameter: unchanged"
    i, (a, b) = rng.choice(zero if zero and rng.random() < 0.7 else spots)
    old = lines[i][a:b].decode()
    key = lines[i][:a].rsplit(b" ", 1)[-1].decode()
    lines[i] = lines[i][:a] + value + lines[i][b:]
    name = lines[i].split()[1].decode(errors="replace") if len(lines[i].split()) > 1 else "?"
    return b"\n".join(lines), f"line {i + 1} ({name}): {key}{old} -> {key}{value.decode()}"


TEXT_ROLES = ("param", "tokens", "other")
# The order matters: cases pick a kind by index, so a seed's cases depend on it.
MODEL_KINDS: Dict[str, Tuple[Callable, Tuple[str, ...]]] = {
    "truncate": (m_truncate, ("param", "bin", "tokens")),
    "bit_flip": (m_bit_flip, ("param", "bin", "tokens", "other")),
    "zero_range": (m_zero_range, ("param", "bin", "tokens")),
    "garbage_line": (m_garbage_line, TEXT_ROLES),
    "swap_lines": (m_swap_lines, ("param", "tokens")),
    "delete_line": (m_delete_line, ("param", "tokens")),
    "delete_file": (m_delete_file, ("param", "bin", "tokens", "other")),
    "empty_file": (m_empty_file, ("param", "bin", "tokens")),
    "non_utf8": (m_non_utf8, ("param", "tokens")),
    "crlf": (m_crlf, ("param", "tokens")),
    "huge_dim": (m_huge_dim, ("param",)),
    "append_bytes": (m_append_bytes, ("bin",)),
    "foreign_file": (m_foreign_file, ("param", "bin", "tokens")),
}
