"""Word and character error rates: a documented text normaliser and Levenshtein alignments.

Shared by ``ncasr bench`` (corpus WER/CER) and the sensitivity search (word alignment), so
quantization never imports the benchmark package.

Normaliser (applied to references and hypotheses alike): upper case; hyphens and other dashes
become spaces; every character that is not a letter, a digit, an apostrophe or white space is
removed; runs of white space collapse to one space. So "Don't stop - it's well-known!" becomes
"DON'T STOP IT'S WELL KNOWN".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, List, Sequence, Tuple

__all__ = ["normalize_text", "EditCounts", "align_words", "word_error_rate", "char_edits", "char_error_rate"]

_DASHES = re.compile(r"[-\u2010-\u2015\u2212]")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc]")


def normalize_text(text: str) -> str:
    """The scoring form of ``text`` (see the module docstring).

    Example::

        normalize_text("Don't stop - it's well-known!")  # "DON'T STOP IT'S WELL KNOWN"
    """
    text = unicodedata.normalize("NFKC", text)
    text = _APOSTROPHES.sub("'", text)
    text = _DASHES.sub(" ", text).upper()
    kept = "".join(ch for ch in text if ch == "'" or ch.isspace() or unicodedata.category(ch)[0] in "LN")
    return " ".join(kept.split())


@dataclass(frozen=True)
class EditCounts:
    """Edit operations turning a reference into a hypothesis, counted in words.

    Example::

        (EditCounts(1, 0, 0, 4) + EditCounts(0, 1, 1, 6)).wer  # 0.3
    """

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    ref_words: int = 0

    @property
    def errors(self) -> int:
        """Substitutions + deletions + insertions."""
        return self.substitutions + self.deletions + self.insertions

    @property
    def wer(self) -> float:
        """errors / reference words; an empty reference scores 0 with no hypothesis words
        and 1.0 per inserted word otherwise (so it is never a division by zero)."""
        if self.ref_words == 0:
            return float(self.insertions)
        return self.errors / self.ref_words

    def __add__(self, other: "EditCounts") -> "EditCounts":
        return EditCounts(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.ref_words + other.ref_words,
        )


def align_words(ref: Sequence[str], hyp: Sequence[str]) -> EditCounts:
    """Minimum-edit alignment of two word lists. Among alignments with the fewest errors the
    one with the most substitutions is kept (fewer, larger S than D+I pairs), as sclite does.

    Example::

        align_words("a b c d".split(), "a x d".split())
        # EditCounts(substitutions=1, deletions=1, insertions=0, ref_words=4)
    """
    n, m = len(ref), len(hyp)
    # cost[j] = (errors, -substitutions, deletions, insertions) for ref[:i] vs hyp[:j]
    prev: List[Tuple[int, int, int, int]] = [(j, 0, 0, j) for j in range(m + 1)]
    for i in range(1, n + 1):
        cur = [(i, 0, i, 0)]
        for j in range(1, m + 1):
            if ref[i - 1] == hyp[j - 1]:
                best = prev[j - 1]
            else:
                e, ns, d, ins = prev[j - 1]
                best = (e + 1, ns - 1, d, ins)
            e, ns, d, ins = prev[j]
            best = min(best, (e + 1, ns, d + 1, ins))
            e, ns, d, ins = cur[j - 1]
            best = min(best, (e + 1, ns, d, ins + 1))
            cur.append(best)
        prev = cur
    errors, neg_sub, dels, ins = prev[m]
    return EditCounts(-neg_sub, dels, ins, n)


def word_error_rate(refs: Iterable[str], hyps: Iterable[str], *, normalize: bool = True) -> EditCounts:
    """Corpus totals over paired reference and hypothesis texts (normalised first unless
    ``normalize=False``).

    Example::

        word_error_rate(["hello world"], ["Hello, word!"]).wer  # 0.5
    """
    refs, hyps = list(refs), list(hyps)
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    total = EditCounts()
    for r, h in zip(refs, hyps):
        if normalize:
            r, h = normalize_text(r), normalize_text(h)
        total = total + align_words(r.split(), h.split())
    return total


def char_edits(ref: str, hyp: str) -> int:
    """Levenshtein distance between two strings, in characters (spaces count): the word
    aligner run on one-character tokens.

    Example::

        char_edits("rumor", "roomer")  # 3
    """
    return align_words(list(ref), list(hyp)).errors


def char_error_rate(refs: Iterable[str], hyps: Iterable[str], *, normalize: bool = True) -> Tuple[int, int]:
    """Corpus (character edits, reference characters) over the normalised texts, spaces
    included: a misplaced word boundary costs one edit where WER charges two words. For
    languages written without spaces this is the usual metric; for English it separates
    near misses ("roomer" for "rumor") from wrong or missing words.

    Example::

        edits, chars = char_error_rate(["the rumor"], ["the roomer"])  # (3, 9)
        cer = edits / max(chars, 1)
    """
    refs, hyps = list(refs), list(hyps)
    if len(refs) != len(hyps):
        raise ValueError(f"{len(refs)} references but {len(hyps)} hypotheses")
    edits = chars = 0
    for r, h in zip(refs, hyps):
        if normalize:
            r, h = normalize_text(r), normalize_text(h)
        edits += char_edits(r, h)
        chars += len(r)
    return edits, chars
