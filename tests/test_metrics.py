"""WER scoring: the normaliser and the word alignment, against hand-counted cases and jiwer."""

import random

import jiwer
import pytest

from ncasr.metrics import EditCounts, align_words, char_edits, char_error_rate, normalize_text, word_error_rate


def counts(ref: str, hyp: str) -> EditCounts:
    return align_words(ref.split(), hyp.split())


@pytest.mark.parametrize(
    "ref, hyp, expected",
    [
        ("a b c", "a b c", (0, 0, 0, 3)),
        ("a b c", "a x b c y", (0, 0, 2, 3)),  # insertions only
        ("a b c d", "b d", (0, 2, 0, 4)),  # deletions only
        ("a b c", "", (0, 3, 0, 3)),  # empty hypothesis
        ("", "a b", (0, 0, 2, 0)),  # empty reference
        ("", "", (0, 0, 0, 0)),
        ("a b c", "a x c", (1, 0, 0, 3)),  # one substitution, not a D + I pair
        ("the cat sat", "cat sat on", (0, 1, 1, 3)),
    ],
)
def test_hand_counted_alignments(ref, hyp, expected):
    c = counts(ref, hyp)
    assert (c.substitutions, c.deletions, c.insertions, c.ref_words) == expected


def test_wer_of_empty_reference_counts_insertions():
    assert counts("", "").wer == 0.0
    assert counts("", "x y").wer == 2.0
    assert counts("a b c d", "a c").wer == pytest.approx(0.5)


def test_normaliser():
    assert normalize_text("Don't stop - it's well-known!") == "DON'T STOP IT'S WELL KNOWN"
    assert normalize_text("  Hello,\tWORLD.  ") == "HELLO WORLD"
    assert normalize_text("rock\u2019n\u2019roll \u2014 live") == "ROCK'N'ROLL LIVE"
    assert normalize_text("...") == ""


def test_corpus_totals_add_up():
    refs = ["hello world", "a b c", ""]
    hyps = ["hello, World!", "a c", "x"]
    total = word_error_rate(refs, hyps)
    assert (total.substitutions, total.deletions, total.insertions) == (0, 1, 1)
    assert total.ref_words == 5
    assert total.wer == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        word_error_rate(["a", "b"], ["a"])


def test_char_edits_known_values():
    assert char_edits("abc", "abc") == 0
    assert char_edits("abc", "") == 3 and char_edits("", "ab") == 2
    assert char_edits("kitten", "sitting") == 3


def test_char_edits_equal_the_word_aligner_on_characters():
    # char_edits must hand the aligner characters, spaces included, not words
    rng = random.Random(3)
    for _ in range(200):
        ref = "".join(rng.choice("ab c") for _ in range(rng.randint(0, 15)))
        hyp = "".join(rng.choice("ab c") for _ in range(rng.randint(0, 15)))
        assert char_edits(ref, hyp) == align_words(list(ref), list(hyp)).errors


def test_char_error_rate_corpus_totals():
    # normalised first ("Roomer!" -> "ROOMER"), spaces count: "IN TO" vs "INTO" is one edit
    edits, chars = char_error_rate(["check into the rumor", "a"], ["check in to the Roomer!", ""])
    assert chars == len("CHECK INTO THE RUMOR") + 1
    assert edits == 1 + char_edits("RUMOR", "ROOMER") + 1
    with pytest.raises(ValueError, match="2 references but 1 hypotheses"):
        char_error_rate(["a", "b"], ["a"])


def test_matches_jiwer_on_random_pairs():
    rng = random.Random(7)
    vocab = ["a", "b", "c", "d", "e"]
    refs, hyps = [], []
    for _ in range(300):
        ref = [rng.choice(vocab) for _ in range(rng.randint(1, 12))]
        hyp = list(ref)
        for _ in range(rng.randint(0, 6)):
            op = rng.random()
            if op < 0.33 and hyp:
                hyp[rng.randrange(len(hyp))] = rng.choice(vocab)
            elif op < 0.66 and hyp:
                del hyp[rng.randrange(len(hyp))]
            else:
                hyp.insert(rng.randint(0, len(hyp)), rng.choice(vocab))
        refs.append(" ".join(ref).upper())
        hyps.append(" ".join(hyp).upper())
        ours = align_words(ref, hyp)
        theirs = jiwer.process_words(refs[-1], hyps[-1] or "")
        assert ours.errors == theirs.substitutions + theirs.deletions + theirs.insertions
    ours = word_error_rate(refs, hyps)
    assert ours.wer == pytest.approx(jiwer.wer(refs, hyps))
