"""Shared helpers: paths, manifest I/O, text normalisation, tokens.txt."""

from __future__ import annotations

import os
import re
from pathlib import Path

# ---------------------------------------------------------------- paths


def work_dir() -> Path:
    """Root of all generated data (corpus, features, checkpoints, exports).

    Override with the NCASR_RECIPE_DIR environment variable.
    """
    d = os.environ.get("NCASR_RECIPE_DIR", os.path.expanduser("~/.cache/ncasr-recipe"))
    return Path(d)


def corpus_dir() -> Path:
    return Path(os.environ.get("NCASR_RECIPE_CORPUS", str(work_dir() / "corpus")))


def lang_dir() -> Path:
    return work_dir() / "lang"


def feats_dir() -> Path:
    return Path(os.environ.get("NCASR_RECIPE_FEATS", str(work_dir() / "feats")))


def exp_dir() -> Path:
    return Path(os.environ.get("NCASR_RECIPE_EXP", str(work_dir() / "exp")))


SPLITS = ("train", "dev", "test")

# ---------------------------------------------------------------- manifest

# The manifest format is ncasr's own (ncasr.data), so `ncasr bench` reads the corpus.


def write_manifest(path: Path, rows) -> None:
    """rows: iterable of (relpath, duration_seconds, text). Header: path, duration, text."""
    from ncasr.data import write_manifest as write

    write(path, rows)


def tsv_rows(path) -> list[list[str]]:
    """The rows of a TSV file with a header line, each split on tabs."""
    return [l.split("\t") for l in Path(path).read_text().splitlines()[1:]]


def read_manifest(path: Path):
    """Returns a list of (absolute_path, duration, text)."""
    from ncasr.data import read_manifest as read

    return [(e.path, e.duration, e.text) for e in read(path, check_files=False)]


# ---------------------------------------------------------------- text

_ALLOWED = re.compile(r"^[a-z' ]+$")
_ORD = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_DEC = re.compile(r"\b(\d+)\.(\d+)\b")
_NUM = re.compile(r"\d+")
_YEAR_OK = re.compile(r"^(1[1-9]|20)\d\d$")


def _num2words(n: str, to: str = "cardinal") -> str:
    from num2words import num2words

    if to == "cardinal" and _YEAR_OK.match(n):
        return num2words(int(n), to="year")
    return num2words(int(n), to=to)


def normalize_text(s: str) -> str | None:
    """Lower-case, numbers as words, only [a-z' ]; returns None if unusable."""
    s = s.strip()
    if not s or not s.isascii():
        return None
    s = re.sub(r"\$(\d+)", r"\1 dollars", s)
    s = s.replace("&", " and ").replace("%", " percent ").replace("$", " dollars ")
    s = s.replace("+", " plus ").replace("@", " at ")
    s = s.replace("`", "'")
    s = _ORD.sub(lambda m: " " + _num2words(m.group(1), "ordinal") + " ", s)
    s = _DEC.sub(
        lambda m: " " + _num2words(m.group(1)) + " point " + " ".join(_num2words(c) for c in m.group(2)) + " ", s
    )
    s = s.replace(",000", "000")
    s = _NUM.sub(lambda m: " " + _num2words(m.group(0)) + " ", s)
    s = s.lower()
    s = re.sub(r"[-/]", " ", s)
    # drop sentence punctuation
    s = re.sub(r"[.,;:!?\"()\[\]{}*_]", " ", s)
    if not _ALLOWED.match(s.replace("  ", " ") or "x"):
        s2 = re.sub(r"\s+", " ", s)
        if not _ALLOWED.match(s2):
            return None
        s = s2
    words = []
    for w in s.split():
        w = w.strip("'")
        if not w:
            continue
        words.append(w)
    if not words:
        return None
    out = " ".join(words)
    return out if _ALLOWED.match(out) else None


# ---------------------------------------------------------------- tokens


def read_tokens(path: Path) -> list[str]:
    toks = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            sym, idx = line.rstrip("\n").rsplit(" ", 1)
            assert int(idx) == i, (line, i)
            toks.append(sym)
    return toks


def tokens_to_text(tokens: list[str], ids) -> str:
    s = "".join(tokens[i] for i in ids)
    return s.replace("\u2581", " ").strip()


# ---------------------------------------------------------------- WER


def corpus_wer(pairs) -> tuple[float, int, int]:
    """pairs: iterable of (ref_text, hyp_text). Returns (wer, errors, ref_words), scored by
    ncasr's WER (the texts here are already normalised, so its normaliser changes nothing)."""
    from ncasr.metrics import word_error_rate

    pairs = list(pairs)
    c = word_error_rate([r for r, _ in pairs], [h for _, h in pairs])
    return (c.errors / max(c.ref_words, 1), c.errors, c.ref_words)


def corpus_cer(pairs) -> float:
    """Character error rate (spaces count) of (ref_text, hyp_text) pairs, by ncasr's scorer.
    Beside the WER it tells near misses (mis-spelt, split or joined words) from lost ones."""
    from ncasr.metrics import char_error_rate

    pairs = list(pairs)
    edits, chars = char_error_rate([r for r, _ in pairs], [h for _, h in pairs])
    return edits / max(chars, 1)
